/**
 * The tokenbench desktop: the lab at a glance, one device in the hand with its login screen and
 * traffic beside it, operator and clock controls at the side. Errors stay on screen until they are
 * dismissed or the action that failed succeeds; a page whose access token the server no longer
 * takes says so and what to do.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import {
  ApiError,
  type EventStream,
  type TokenbenchClient,
  type TokenDisplay,
  type TokenSummary,
  type TraceRecord,
} from '../../../emulator/api/client.ts';
import { CardFace, type CardGrid } from './CardFace.tsx';
import { Device } from './Device.tsx';
import { ClockControls, type ClockOp, type ClockView } from './panels/ClockControls.tsx';
import { CreateToken, type CreateForm } from './panels/CreateToken.tsx';
import { CreatePhone } from './panels/CreatePhone.tsx';
import { LabOverview } from './panels/LabOverview.tsx';
import { LoginSimulator } from './panels/LoginSimulator.tsx';
import { TokenActions, type UnlockInfo } from './panels/TokenActions.tsx';
import { TrafficView } from './panels/TrafficView.tsx';
import { Problems, useProblems } from './problems.tsx';
import { formatScenario, Recorder, recordFrame } from '../../../emulator/qa/scenario.ts';
import { WrongToken } from './WrongToken.tsx';
import { BoardsPanel } from './panels/BoardsPanel.tsx';
import { SlsApp } from './sls/SlsApp.tsx';
import { ConformancePanel } from './panels/ConformancePanel.tsx';
import { PhoneDevice } from './panels/PhoneDevice.tsx';
import type { PhoneSpec, PhoneView, SlsEvent } from '../../../emulator/api/sls-client.ts';

export function App({ client }: { client: TokenbenchClient }) {
  const [tokens, setTokens] = useState<TokenSummary[]>([]);
  // Emulated phones (IB Key) are devices of the lab too; their SLS events come on the same stream.
  const [phones, setPhones] = useState<PhoneView[]>([]);
  const [slsEvents, setSlsEvents] = useState<SlsEvent[]>([]);
  const [slsTick, setSlsTick] = useState(0);
  const [loaded, setLoaded] = useState(false);
  const [selected, setSelected] = useState<string | null>(null);
  const [traces, setTraces] = useState<Record<string, TraceRecord[]>>({});
  const [card, setCard] = useState<CardGrid | null>(null);
  const [clock, setClock] = useState<ClockView | null>(null);
  const [unlockInfo, setUnlockInfo] = useState<UnlockInfo>(null);
  const [refused, setRefused] = useState(false);
  const problems = useProblems();
  const { report, clear } = problems; // stable across renders
  // A scenario being recorded (docs/qa.md): fed by the selected token's traffic and display events.
  const recording = useRef<{ id: string; rec: Recorder; stream: Promise<EventStream | null> } | null>(null);
  const [recordingId, setRecordingId] = useState<string | null>(null);
  const [view, setView] = useState<'lab' | 'sls'>('lab');
  const refreshSoon = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  /** Runs an action; a failure stays listed under `name` until dismissed or `name` succeeds. */
  const run = useCallback(
    async <T,>(name: string, op: () => Promise<T>): Promise<T | undefined> => {
      try {
        const r = await op();
        clear(name);
        return r;
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) setRefused(true);
        else report(name, e);
        return undefined;
      }
    },
    [report, clear],
  );

  const refresh = useCallback(
    () =>
      run('refresh', async () => {
        setTokens(await client.list());
        setLoaded(true);
      }).then(() => run('phones', async () => setPhones(await client.sls.phones()))),
    [client, run],
  );

  const setDisplay = useCallback(
    (id: string, d: TokenDisplay) =>
      setTokens((ts) => ts.map((t) => (t.id === id ? { ...t, display: { text: d.text, indicators: d.indicators } } : t))),
    [],
  );

  const stream = useRef<EventStream | null>(null);
  useEffect(() => {
    let stop: (() => void) | undefined;
    let live = true;
    // The list first: a refused access token shows its page rather than an empty lab.
    refresh().then(() => {
      if (!live) return;
      client
        .stream((e) => {
          if (e.type === 'hello') setTokens(e.tokens), setLoaded(true);
          else if (e.type === 'display') {
            setDisplay(e.id, e);
            // The token's state (off, pin, locked, tries...) changes with its display: fetch it soon after.
            clearTimeout(refreshSoon.current);
            refreshSoon.current = setTimeout(refresh, 150);
          } else if (e.type === 'traffic') setTraces((t) => ({ ...t, [e.id]: [...(t[e.id] ?? []).slice(-999), e] }));
          else if (e.type === 'error') report(`key ${e.id ?? ''}`, new Error(e.error));
          else if (e.type === 'sls') {
            const { type: _t, ...ev } = e;
            setSlsEvents((l) => [...l.slice(-199), ev]);
            setSlsTick((t) => t + 1);
          } else refresh();
        })
        .then(
          (s) => {
            stream.current = s;
            stop = () => s.close();
            if (!live) s.close();
          },
          (e) => report('events', e),
        );
    });
    const timer = setInterval(refresh, 2000);
    return () => {
      live = false;
      stop?.();
      clearInterval(timer);
    };
  }, [client, report, refresh, setDisplay]);

  const phoneId = selected?.startsWith('phone:') ? selected.slice(6) : null;
  const phone = phoneId === null ? null : (phones.find((p) => p.id === phoneId) ?? null);
  useEffect(() => {
    if (phoneId !== null && (phone !== null || phones.length === 0)) return;
    if (selected === null && tokens.length) setSelected(tokens[0].id);
    if (selected !== null && tokens.length && !tokens.some((t) => t.id === selected)) setSelected(tokens[0]?.id ?? null);
  }, [tokens, selected, phoneId, phone, phones.length]);

  // The SLS lab clock while a phone is selected: the time IB Key, the Temporary Code and the online
  // card's 21 days are judged by (POST /api/sls/clock moves it alone; /api/clock moves it with every token's).
  const [labClock, setLabClock] = useState<ClockView | null>(null);
  const readLabClock = useCallback(
    async (op: ClockOp = {}, all = false) => {
      if (all) await client.hostClock(op);
      const c = all || Object.keys(op).length === 0 ? await client.sls.clock() : await client.sls.setClock(op);
      setLabClock({ clock: c.clock, paused: c.paused, rate: c.rate, readAt: Date.now() });
    },
    [client],
  );
  useEffect(() => {
    setLabClock(null);
    if (phoneId !== null) run('clock', () => readLabClock());
  }, [phoneId, run, readLabClock]);

  const token = useMemo(() => tokens.find((t) => t.id === selected) ?? null, [tokens, selected]);
  const isCard = token?.kind === 'card' || token?.kind === 'online-card';

  const readClock = useCallback(
    async (id: string, op: ClockOp = {}) => {
      const c = await client.clock(id, op);
      if (selectedRef.current === id) setClock({ clock: c.clock, paused: c.paused, rate: c.rate, readAt: Date.now() });
    },
    [client],
  );

  useEffect(() => {
    setCard(null);
    setClock(null);
    setUnlockInfo(null);
    if (!token) return;
    if (isCard) run('card', async () => setCard(await client.card(token.id)));
    if (token.kind !== 'board') run('clock', () => readClock(token.id));
    run('trace', async () => {
      const records = await client.trace(token.id);
      setTraces((t) => ({ ...t, [token.id]: records }));
    });
  }, [token?.id, token?.kind, isCard, client, run, readClock]);

  // Keys go over the event socket: one connection keeps them in the order they were pressed
  // (typing fast never lets a key overtake another), and the display comes back as events.
  const onKey = useCallback(
    (key: string, action: 'down' | 'up') => {
      const id = selectedRef.current;
      if (!id) return;
      if (stream.current) stream.current.key(id, key, action);
      else run('key', async () => setDisplay(id, await client.key(id, key, action)));
    },
    [client, run, setDisplay],
  );

  const create = async (f: CreateForm): Promise<boolean> => {
    const t = await run('create', () =>
      client.create({
        kind: f.kind,
        ...(f.id.trim() && { id: f.id.trim() }),
        ...(f.secret.trim() && { secret: f.secret.trim() }),
        ...(f.pin.trim() && (f.kind === 'dscplus' || f.kind === 'dsc') && { pin: f.pin.trim() }),
        ...(f.suite.trim() && f.kind === 'dscplus' && { suite: f.suite.trim() }),
        ...(f.kind === 'dsc' && { otp: { mode: f.otp } }),
      }),
    );
    if (!t) return false;
    await refresh();
    setSelected(t.id);
    return true;
  };

  const createPhone = async (spec: PhoneSpec): Promise<boolean> => {
    const p = await run('create phone', () => client.sls.createPhone(spec));
    if (!p) return false;
    await refresh();
    setSelected(`phone:${p.id}`);
    return true;
  };

  const removePhone = (id: string) => {
    if (confirm(`Remove phone ${id}? The IB Key of its users on it ends.`))
      run('remove phone', async () => {
        await client.sls.removePhone(id);
        setSelected(tokens[0]?.id ?? null);
        await refresh();
      });
  };

  const actions = token && {
    unlockCode: () => run('unlock code', async () => setUnlockInfo(await client.unlockCode(token.id))),
    unlock: () => run('unlock', () => client.unlock(token.id).then((d) => (setDisplay(token.id, d), setUnlockInfo(null), refresh()))),
    powerCycle: () =>
      run(
        'power',
        async () => (await client.power(token.id, false), setDisplay(token.id, await client.power(token.id, true)), setUnlockInfo(null)),
      ),
    snapshot: () =>
      run('snapshot', async () => {
        const snap = await client.snapshot(token.id);
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([JSON.stringify(snap, null, 2)], { type: 'application/json' }));
        a.download = `${token.id}-snapshot.json`;
        a.click();
      }),
    restore: (file: File) =>
      run('restore', async () => {
        let snap: unknown;
        try {
          snap = JSON.parse(await file.text());
        } catch {
          throw new Error(`${file.name} is not a snapshot: it is not JSON`);
        }
        await client.restore(token.id, snap as never);
        await refresh();
      }),
    record: () => {
      const r = recording.current;
      if (!r) {
        const rec = new Recorder(token.kind === 'board' ? token.board?.model : token.kind);
        if (token.display) rec.display(Date.now(), token.display.text);
        // A stream of its own that shows the PIN digits as typed (the lab's other streams see KEY=*),
        // so the scenario can replay them.
        const id = token.id;
        const stream = client
          .stream(
            (e) => {
              if (e.type === 'traffic' && e.id === id) recordFrame(rec, Date.now(), e);
              else if (e.type === 'display' && e.id === id) rec.display(Date.now(), e.text);
            },
            id,
            { clearKeys: true },
          )
          .catch((e) => (report('record', e), null));
        recording.current = { id, rec, stream };
        setRecordingId(id);
        return;
      }
      void r.stream.then((s) => s?.close());
      recording.current = null;
      setRecordingId(null);
      const a = document.createElement('a');
      a.href = URL.createObjectURL(new Blob([formatScenario(r.rec.scenario(`recorded on ${r.id}`))], { type: 'application/yaml' }));
      a.download = `${r.id}-scenario.yaml`;
      a.click();
    },
    remove: () => {
      if (confirm(`Delete ${token.id}? Its secret and state are gone for good.`))
        run('delete', async () => (await client.remove(token.id), await refresh()));
    },
  };

  if (refused) return <WrongToken />;

  const views = (
    <button type="button" className="view-switch" onClick={() => setView(view === 'lab' ? 'sls' : 'lab')}>
      {view === 'lab' ? 'Secure Login System' : 'Token lab'}
    </button>
  );
  if (view === 'sls')
    return (
      <div>
        <header className="top">{views}</header>
        <SlsApp client={client} />
      </div>
    );
  return (
    <div className="app">
      <header className="top">
        <h1>tokenbench</h1>
        {views}
        <Problems problems={problems} />
      </header>
      <LabOverview tokens={tokens} phones={phones} selected={selected} onSelect={setSelected} />
      <main className="bench">
        {phone !== null ? (
          <PhoneDevice
            client={client}
            phoneId={phone.id}
            users={phone.app.users.map((u) => u.username)}
            events={slsEvents}
            tick={slsTick}
            onChange={() => {
              setSlsTick((t) => t + 1);
              refresh();
            }}
          />
        ) : token === null ? (
          <p className="empty">{loaded ? 'No tokens yet: create one with New token.' : 'Loading the lab…'}</p>
        ) : (
          <>
            <div className={`hand ${isCard ? 'card' : ''}`}>
              {!isCard && <Device token={token} paused={!!clock?.paused} onKey={onKey} />}
              {token.kind !== 'board' && (
                <LoginSimulator
                  key={token.id}
                  token={token}
                  onChallenge={async () => (await run('challenge', () => client.challenge(token.id))) ?? null}
                  onCheck={async (challenge, response) => {
                    const r = (await run('login', () => client.check(token.id, { ...(challenge && { challenge }), response }))) ?? null;
                    refresh();
                    return r;
                  }}
                />
              )}
              {/* A card's login comes first: its prompt and answer sit above the grid they are read from. */}
              {isCard && <CardFace card={card} onError={(e) => report('pdf', e)} />}
            </div>
            <TrafficView
              key={token.id}
              id={token.id}
              records={traces[token.id] ?? []}
              onClear={() => setTraces((t) => ({ ...t, [token.id]: [] }))}
            />
          </>
        )}
      </main>
      <aside className="side" aria-label="controls">
        {token && actions && <TokenActions token={token} unlockInfo={unlockInfo} recording={recordingId} act={actions} />}
        {token && token.kind !== 'board' && (
          <ClockControls
            clock={clock}
            onClock={(op, all) => run('clock', async () => (all && (await client.hostClock(op)), await readClock(token.id, all ? {} : op)))}
          />
        )}
        {token && <ConformancePanel client={client} token={token} onError={(e) => report('conformance', e)} />}
        {phone !== null && (
          <>
            <section className="actions" aria-label="phone actions">
              <h2>{phone.id}</h2>
              <div className="buttons">
                <button type="button" className="danger" onClick={() => removePhone(phone.id)}>
                  Remove phone
                </button>
              </div>
            </section>
            <ClockControls
              clock={labClock}
              title="Lab clock (SLS)"
              label="lab time"
              canSet
              onClock={(op, all) => run('clock', () => readLabClock(op, all))}
            />
          </>
        )}
        <CreateToken onCreate={create} />
        <CreatePhone onCreate={createPhone} />
        <BoardsPanel client={client} />
      </aside>
    </div>
  );
}

/** The tokenbench desktop: the lab at a glance, one device in the hand, and the login screen beside it. */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { EventStream, TokenbenchClient, TokenDisplay, TokenSummary, TraceRecord } from '../../../emulator/api/client.ts';
import { CardFace, DscFace, DscPlusFace, type CardGrid } from './Faces.tsx';
import { ConformancePanel } from './panels/ConformancePanel.tsx';
import { ClockControls, CreateToken, LabOverview, LoginSimulator, TokenActions, TrafficView, type CreateForm } from './Panels.tsx';

const KEYBOARD: Record<string, string> = { Enter: 'OK', Backspace: 'C', ' ': 'PRESS' };

export function App({ client }: { client: TokenbenchClient }) {
  const [tokens, setTokens] = useState<TokenSummary[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [traces, setTraces] = useState<Record<string, TraceRecord[]>>({});
  const [card, setCard] = useState<CardGrid | null>(null);
  const [clock, setClock] = useState<{ clock: number; paused: boolean; rate: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const refreshSoon = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;

  const fail = useCallback((e: unknown) => setError(e instanceof Error ? e.message : String(e)), []);
  const run = useCallback(
    async <T,>(op: () => Promise<T>): Promise<T | undefined> => {
      try {
        const r = await op();
        setError(null);
        return r;
      } catch (e) {
        fail(e);
        return undefined;
      }
    },
    [fail],
  );

  const refresh = useCallback(() => run(async () => setTokens(await client.list())), [client, run]);

  const setDisplay = useCallback((id: string, d: TokenDisplay) => setTokens((ts) => ts.map((t) => (t.id === id ? { ...t, display: { text: d.text, indicators: d.indicators } } : t))), []);

  const stream = useRef<EventStream | null>(null);
  useEffect(() => {
    let stop: (() => void) | undefined;
    client
      .stream((e) => {
        if (e.type === 'hello') setTokens(e.tokens);
        else if (e.type === 'display') {
          setDisplay(e.id, e);
          // The token's state (off, pin, locked...) changes with its display: fetch it soon after.
          clearTimeout(refreshSoon.current);
          refreshSoon.current = setTimeout(refresh, 150);
        }
        else if (e.type === 'traffic') setTraces((t) => ({ ...t, [e.id]: [...(t[e.id] ?? []).slice(-499), e] }));
        else if (e.type === 'error') fail(new Error(e.error));
        else refresh();
      })
      .then((s) => {
        stream.current = s;
        stop = () => s.close();
      }, fail);
    const timer = setInterval(refresh, 2000);
    return () => {
      stop?.();
      clearInterval(timer);
    };
  }, [client, fail, refresh, setDisplay]);

  useEffect(() => {
    if (selected === null && tokens.length) setSelected(tokens[0].id);
    if (selected !== null && tokens.length && !tokens.some((t) => t.id === selected)) setSelected(tokens[0]?.id ?? null);
  }, [tokens, selected]);

  const token = useMemo(() => tokens.find((t) => t.id === selected) ?? null, [tokens, selected]);
  const isDevice = token !== null && (token.kind === 'dscplus' || token.kind === 'dsc' || token.kind === 'board');

  useEffect(() => {
    setCard(null);
    if (!token) return;
    if (token.kind === 'card' || token.kind === 'online-card') run(async () => setCard(await client.card(token.id)));
    if (token.kind !== 'board' && (token.kind === 'dscplus' || token.kind === 'dsc')) run(async () => setClock(await client.clock(token.id, {})));
    run(async () => {
      const records = await client.trace(token.id);
      setTraces((t) => ({ ...t, [token.id]: records }));
    });
  }, [token?.id, token?.kind, client, run]);

  // Keys go over the event socket: one connection keeps them in the order they were pressed
  // (typing fast never lets a key overtake another), and the display comes back as events.
  const onKey = useCallback(
    (key: string, action: 'down' | 'up') => {
      const id = selectedRef.current;
      if (!id) return;
      if (stream.current) stream.current.key(id, key, action);
      else run(async () => setDisplay(id, await client.key(id, key, action)));
    },
    [client, run, setDisplay],
  );

  // The keyboard works too: digits, Enter = OK, Backspace = C, Space = PRESS (held as long as Space is).
  useEffect(() => {
    if (!isDevice) return;
    const typing = (e: KeyboardEvent) => e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
    const map = (e: KeyboardEvent) => (/^[0-9]$/.test(e.key) ? e.key : KEYBOARD[e.key]);
    const down = (e: KeyboardEvent) => {
      const k = map(e);
      if (!k || typing(e) || e.repeat) return;
      e.preventDefault();
      onKey(k, 'down');
    };
    const up = (e: KeyboardEvent) => {
      const k = map(e);
      if (!k || typing(e)) return;
      e.preventDefault();
      onKey(k, 'up');
    };
    window.addEventListener('keydown', down);
    window.addEventListener('keyup', up);
    return () => {
      window.removeEventListener('keydown', down);
      window.removeEventListener('keyup', up);
    };
  }, [isDevice, onKey]);

  const create = async (f: CreateForm) => {
    const t = await run(() =>
      client.create({ kind: f.kind, ...(f.secret && { secret: f.secret.trim() }), ...(f.pin && { pin: f.pin.trim() }), ...(f.suite && { suite: f.suite.trim() }) }),
    );
    if (t) {
      await refresh();
      setSelected(t.id);
    }
  };

  const actions = token && {
    unlock: () => run(() => client.unlock(token.id).then((d) => setDisplay(token.id, d))),
    powerCycle: () => run(async () => (await client.power(token.id, false), setDisplay(token.id, await client.power(token.id, true)))),
    snapshot: () =>
      run(async () => {
        const snap = await client.snapshot(token.id);
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob([JSON.stringify(snap, null, 2)], { type: 'application/json' }));
        a.download = `${token.id}-snapshot.json`;
        a.click();
      }),
    restore: (file: File) => run(async () => (await client.restore(token.id, JSON.parse(await file.text())), await refresh())),
    remove: () => {
      if (confirm(`Delete ${token.id}? Its secret and state are gone for good.`)) run(async () => (await client.remove(token.id), await refresh()));
    },
  };

  return (
    <div className="app">
      <header className="top">
        <h1>tokenbench</h1>
        {error && (
          <div role="alert" className="error">
            {error}
            <button type="button" aria-label="dismiss" onClick={() => setError(null)}>
              ×
            </button>
          </div>
        )}
      </header>
      <LabOverview tokens={tokens} selected={selected} onSelect={setSelected} />
      <main className="bench">
        {token === null ? (
          <p>No tokens yet: create one.</p>
        ) : token.kind === 'dscplus' || (token.kind === 'board' && token.board?.model === 'dscplus') ? (
          <DscPlusFace serial={token.serial} display={token.display ?? { text: '', indicators: 0 }} onKey={onKey} />
        ) : token.kind === 'dsc' || (token.kind === 'board' && token.board?.model === 'dsc') ? (
          <DscFace serial={token.serial} display={token.display ?? { text: '', indicators: 0 }} onKey={onKey} />
        ) : token.kind === 'board' ? (
          <p>Board {token.id}: {token.board?.model}</p>
        ) : (
          <CardFace card={card} />
        )}
        {token && token.kind !== 'board' && (
          <LoginSimulator
            key={token.id}
            token={token}
            onChallenge={async () => (await run(() => client.challenge(token.id))) ?? { challenge: null }}
            onCheck={async (challenge, response) => (await run(() => client.check(token.id, { ...(challenge && { challenge }), response }))) ?? null}
          />
        )}
      </main>
      <aside className="side">
        {token && actions && <TokenActions token={token} act={actions} />}
        {token && (token.kind === 'dscplus' || token.kind === 'dsc') && (
          <ClockControls
            clock={clock}
            onClock={(op, all) =>
              run(async () => {
                if (all) await client.hostClock(op);
                setClock(await client.clock(token.id, all ? {} : op));
              })
            }
          />
        )}
        {token && <ConformancePanel client={client} token={token} onError={fail} />}
        <CreateToken onCreate={create} />
      </aside>
      <footer className="bottom">{token && <TrafficView records={traces[token.id] ?? []} />}</footer>
    </div>
  );
}

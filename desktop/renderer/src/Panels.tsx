/** The panels around the device face: lab overview, login simulator, controls, clock, traffic. */
import { useState } from 'react';
import type { TokenSummary, TraceRecord } from '../../../emulator/api/client.ts';

const blank = (t: string) => (t === '' ? '·' : t);

export function LabOverview({ tokens, selected, onSelect }: { tokens: TokenSummary[]; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <nav className="overview" aria-label="lab">
      <h2>Lab</h2>
      <ul>
        {tokens.map((t) => (
          <li key={t.id}>
            <button type="button" className={t.id === selected ? 'selected' : ''} aria-current={t.id === selected} onClick={() => onSelect(t.id)}>
              <span className="id">{t.id}</span>
              <span className="model">{t.kind === 'board' ? `board: ${t.board?.model}` : t.kind}</span>
              <span className="serial">{t.serial}</span>
              <span className={`state state-${t.state}`}>{t.state}</span>
              {t.display && <span className="mini-lcd">{blank(t.display.text)}</span>}
              <span className="transports">
                {t.transports.tcpPort !== null && `tcp ${t.transports.tcpPort}`}
                {t.transports.serialPath && ` · ${t.transports.serialPath}`}
                {t.transports.usbipBusId && ` · usbip ${t.transports.usbipBusId}`}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export type Outcome = { outcome: string; accepted: boolean } | null;

export function LoginSimulator({
  token,
  onChallenge,
  onCheck,
}: {
  token: TokenSummary;
  onChallenge: () => Promise<{ challenge: string | null; indexes?: [number, number] }>;
  onCheck: (challenge: string | undefined, response: string) => Promise<Outcome>;
}) {
  const [challenge, setChallenge] = useState<{ challenge: string | null; indexes?: [number, number] } | null>(null);
  const [response, setResponse] = useState('');
  const [outcome, setOutcome] = useState<Outcome>(null);
  const needsChallenge = token.kind !== 'dsc';
  return (
    <section className="login" aria-label="login simulator">
      <h2>Login</h2>
      {needsChallenge && (
        <button
          type="button"
          onClick={async () => {
            // The old challenge is used up: clear it at once, so nobody types it meanwhile.
            setOutcome(null);
            setResponse('');
            setChallenge(null);
            setChallenge(await onChallenge());
          }}
        >
          New challenge
        </button>
      )}
      {challenge?.indexes ? (
        <p>
          Enter the values for index numbers <strong aria-label="first index">{challenge.indexes[0]}</strong> and{' '}
          <strong aria-label="second index">{challenge.indexes[1]}</strong>, one after the other.
        </p>
      ) : challenge?.challenge ? (
        <p>
          Challenge: <strong aria-label="challenge">{challenge.challenge}</strong> — type it on the DSC+ after the PIN and enter the response.
        </p>
      ) : (
        !needsChallenge && <p>Turn the DSC on, enter the PIN, and type the passcode it shows.</p>
      )}
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setOutcome(await onCheck(challenge?.challenge ?? undefined, response));
        }}
      >
        <input aria-label="response" value={response} onChange={(e) => setResponse(e.target.value)} autoComplete="off" />
        <button type="submit" disabled={needsChallenge && !challenge}>
          Log in
        </button>
      </form>
      {outcome && (
        <p role="status" aria-label="login result" className={outcome.accepted ? 'accepted' : 'rejected'}>
          {outcome.accepted ? 'accepted' : `rejected (${outcome.outcome})`}
        </p>
      )}
    </section>
  );
}

export interface CreateForm {
  kind: 'dscplus' | 'dsc' | 'card' | 'online-card';
  secret: string;
  pin: string;
  suite: string;
}

export function CreateToken({ onCreate }: { onCreate: (f: CreateForm) => Promise<void> }) {
  const [f, setF] = useState<CreateForm>({ kind: 'dscplus', secret: '', pin: '', suite: '' });
  const set = (k: keyof CreateForm) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  return (
    <form
      className="create"
      aria-label="create token"
      onSubmit={async (e) => {
        e.preventDefault();
        await onCreate(f);
      }}
    >
      <h2>New token</h2>
      <label>
        Model
        <select value={f.kind} onChange={set('kind')}>
          <option value="dscplus">DSC+</option>
          <option value="dsc">DSC</option>
          <option value="card">Security Code Card</option>
          <option value="online-card">Online Security Code Card</option>
        </select>
      </label>
      <label>
        Secret (hex, empty = random)
        <input value={f.secret} onChange={set('secret')} spellCheck={false} />
      </label>
      {(f.kind === 'dscplus' || f.kind === 'dsc') && (
        <label>
          PIN (empty = 1234)
          <input value={f.pin} onChange={set('pin')} inputMode="numeric" />
        </label>
      )}
      {f.kind === 'dscplus' && (
        <label>
          Suite (empty = OCRA-1:HOTP-SHA1-8:QN06)
          <input value={f.suite} onChange={set('suite')} spellCheck={false} />
        </label>
      )}
      <button type="submit">Create</button>
    </form>
  );
}

export function TokenActions({
  token,
  act,
}: {
  token: TokenSummary;
  act: { unlock(): void; powerCycle(): void; snapshot(): void; restore(file: File): void; remove(): void };
}) {
  const device = token.kind === 'dscplus' || token.kind === 'dsc';
  return (
    <section className="actions" aria-label="token controls">
      <h2>Token {token.id}</h2>
      {device && (
        <>
          <button type="button" onClick={act.unlock}>
            Reset PIN tries
          </button>
          <button type="button" onClick={act.powerCycle}>
            Power cycle
          </button>
        </>
      )}
      {token.kind !== 'board' && (
        <>
          <button type="button" onClick={act.snapshot}>
            Snapshot
          </button>
          <label className="file-button">
            Restore
            <input type="file" accept="application/json" onChange={(e) => e.target.files?.[0] && act.restore(e.target.files[0])} />
          </label>
        </>
      )}
      <button type="button" className="danger" onClick={act.remove}>
        Delete
      </button>
    </section>
  );
}

export function ClockControls({ clock, onClock }: { clock: { clock: number; paused: boolean; rate: number } | null; onClock: (op: { pause?: boolean; rate?: number; advance?: number }, all: boolean) => void }) {
  const [all, setAll] = useState(false);
  return (
    <section className="clock" aria-label="clock">
      <h2>Clock</h2>
      {clock && (
        <p className="now">
          {new Date(clock.clock).toISOString().replace('T', ' ').slice(0, 19)} {clock.paused ? '(paused)' : clock.rate !== 1 ? `(x${clock.rate})` : ''}
        </p>
      )}
      <label>
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> every token
      </label>
      <button type="button" onClick={() => onClock({ pause: !clock?.paused }, all)}>
        {clock?.paused ? 'Resume' : 'Pause'}
      </button>
      {[1, 10, 60].map((r) => (
        <button key={r} type="button" onClick={() => onClock({ rate: r }, all)}>
          x{r}
        </button>
      ))}
      {[2, 30, 60].map((s) => (
        <button key={s} type="button" onClick={() => onClock({ advance: s * 1000 }, all)}>
          +{s} s
        </button>
      ))}
    </section>
  );
}

export function TrafficView({ records }: { records: TraceRecord[] }) {
  return (
    <section className="traffic" aria-label="traffic">
      <h2>Traffic</h2>
      {records.length === 0 ? (
        <p className="empty">No frames yet: talk to the token over TCP, its serial port or USB/IP.</p>
      ) : (
        <ol>
          {records.slice(-200).map((r) => (
            <li key={r.n} className={`dir-${r.dir}`}>
              <time>{new Date(r.t).toISOString().slice(11, 23)}</time> <span className="transport">{r.transport}</span> <span className="client">{r.client}</span>{' '}
              <span className="arrow">{r.dir === 'request' ? '→' : r.dir === 'response' ? '←' : '⇠'}</span> <span className="summary">{r.summary}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

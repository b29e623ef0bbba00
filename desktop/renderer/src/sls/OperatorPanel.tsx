/** The lab operator's side: the demo lab, users, the compliance queue and the SMS inbox. */
import { useEffect, useState } from 'react';
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';
import type { Sharing, Sms, UserView } from '../../../../emulator/api/sls-client.ts';
import { Alert, useRun } from './use-run.tsx';

export function OperatorPanel({ client, tick, onChange }: { client: TokenbenchClient; tick: number; onChange: () => void }) {
  const [users, setUsers] = useState<UserView[]>([]);
  const [queue, setQueue] = useState<Sharing[]>([]);
  const [sms, setSms] = useState<Sms[]>([]);
  const [password, setPassword] = useState('');
  const [demo, setDemo] = useState<string | null>(null);
  const { error, run } = useRun();
  // what the operator watches changes on its own (requests, SMS): look again every 2 s
  const [poll, setPoll] = useState(0);
  useEffect(() => {
    const t = setInterval(() => setPoll((p) => p + 1), 2000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    void run(async () => {
      setUsers(await client.sls.users());
      setQueue(await client.sls.sharings('pending'));
      setSms(await client.sls.sms());
    });
  }, [client, tick, poll]);
  const decide = (id: string, approve: boolean) =>
    void run(() => (approve ? client.sls.approve(id) : client.sls.reject(id))).then(onChange);
  return (
    <section className="sls-card sls-operator" aria-label="lab operator">
      <h2>Lab operator</h2>
      {users.length === 0 && (
        <form
          aria-label="demo lab"
          onSubmit={(e) => {
            e.preventDefault();
            void run(() => client.sls.demo(password)).then((r) => {
              if (!r) return;
              setPassword('');
              setDemo(`Demo lab created: ${r.users.join(', ')}. Temporary Code of ann.temp: ${r.tempCode}`);
              onChange();
            });
          }}
        >
          <label>
            Password for the demo users{' '}
            <input type="password" aria-label="demo password" value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <button type="submit">Create demo lab</button>
        </form>
      )}
      {demo && <p role="status">{demo}</p>}
      <h3>Users</h3>
      <ul className="sls-list" aria-label="sls users">
        {users.map((u) => (
          <li key={u.username}>
            <strong>{u.username}</strong> {u.best ? `${u.best.name} (${u.best.id})` : 'no device'}
            {u.optedOut && ' · opted out'}
            {u.locked && (
              <>
                {' '}
                · locked{' '}
                <button type="button" onClick={() => void run(() => client.sls.unlock(u.username)).then(onChange)}>
                  Unlock
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      <h3>Compliance queue</h3>
      {queue.length === 0 ? (
        <p className="sls-dim">No sharing waits for compliance.</p>
      ) : (
        <ul className="sls-list" aria-label="compliance queue">
          {queue.map((s) => (
            <li key={s.id}>
              {s.requester} asks to share {s.deviceId} of {s.owner}{' '}
              <button type="button" onClick={() => decide(s.id, true)}>
                Approve {s.id}
              </button>
              <button type="button" onClick={() => decide(s.id, false)}>
                Reject {s.id}
              </button>
            </li>
          ))}
        </ul>
      )}
      <h3>SMS inbox</h3>
      <ol className="sls-list sls-sms" aria-label="sms inbox">
        {sms.map((m) => (
          <li key={m.id}>
            <span className="sls-dim">to {m.number}:</span> {m.text}
          </li>
        ))}
      </ol>
      <Alert error={error} />
    </section>
  );
}

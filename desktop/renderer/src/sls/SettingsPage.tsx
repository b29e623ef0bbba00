/**
 * Settings > Secure Login System for the logged-in user: the devices (active, redundant, shared),
 * Share device (the owner's credentials and a response of the owner's device), the user's
 * sharings, and opt-out (with its risks) or opt back in.
 */
import { useCallback, useEffect, useState } from 'react';
import type { Sharing, UserView } from '../../../../emulator/api/sls-client.ts';
import { Alert, type SessionPageProps, useRun } from './use-run.tsx';

export function SettingsPage({ client, username, session, tick }: SessionPageProps) {
  const [user, setUser] = useState<UserView | null>(null);
  const [sharings, setSharings] = useState<Sharing[]>([]);
  const [risks, setRisks] = useState<string[] | null>(null);
  const [ack, setAck] = useState(false);
  const [share, setShare] = useState({ owner: '', ownerPassword: '', deviceId: '', response: '' });
  const [challenge, setChallenge] = useState<{ challenge: string | null; indexes?: [number, number] } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const { error, run } = useRun();

  const load = useCallback(async () => {
    setUser(await client.sls.user(username));
    setSharings((await client.sls.sharings()).filter((s) => s.requester === username || s.owner === username));
  }, [client, username]);
  useEffect(() => void run(load), [load, tick]);

  if (!user) return <Alert error={error} />;
  const set = (k: keyof typeof share) => (e: { target: { value: string } }) => setShare({ ...share, [k]: e.target.value });
  return (
    <section className="sls-card" aria-label="Secure Login System settings">
      <h2>Settings › Secure Login System</h2>
      <p>
        User <strong>{user.username}</strong>, account {user.accountId}.{' '}
        {user.primary
          ? 'You may change the security settings of this account.'
          : `Only user ${user.primaryUser} may change the security settings of this account.`}
      </p>
      <table className="sls-table" aria-label="devices">
        <thead>
          <tr>
            <th>Device</th>
            <th>Id</th>
            <th>Token</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {[...user.devices, ...user.shared].map((d) => (
            <tr key={d.id}>
              <td>{d.name}</td>
              <td className="sls-mono">{d.id}</td>
              <td>{d.tokenId ?? '-'}</td>
              <td>{d.owner === user.username ? d.status : `shared by ${d.owner}`}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <form
        aria-label="share device"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => client.sls.share({ session, ...share, challenge: challenge?.challenge ?? undefined })).then((s) => {
            if (!s) return;
            setNotice(
              s.status === 'pending'
                ? `Sharing ${s.id} is waiting for compliance approval.`
                : `Device ${s.deviceId} of ${s.owner} is now shared with you.`,
            );
            setShare({ ...share, ownerPassword: '', response: '' });
            setChallenge(null);
            void load();
          });
        }}
      >
        <h3>Share device</h3>
        <label>
          Owner username <input value={share.owner} onChange={set('owner')} aria-label="owner" />
        </label>
        <label>
          Owner password <input type="password" value={share.ownerPassword} onChange={set('ownerPassword')} aria-label="owner password" />
        </label>
        <label>
          Owner's device id <input value={share.deviceId} onChange={set('deviceId')} aria-label="device id" />
        </label>
        <button
          type="button"
          onClick={() =>
            void run(() => client.sls.shareChallenge(share.owner.trim(), share.deviceId.trim())).then((c) => c && setChallenge(c))
          }
        >
          Get challenge
        </button>
        {challenge && (
          <p>
            {challenge.indexes ? (
              <>
                Index numbers{' '}
                <strong aria-label="share index numbers" className="sls-mono">
                  {challenge.indexes.join(' ')}
                </strong>
              </>
            ) : challenge.challenge ? (
              <>
                Challenge{' '}
                <strong aria-label="share challenge" className="sls-mono">
                  {challenge.challenge}
                </strong>
              </>
            ) : (
              'Type the passcode the device shows.'
            )}
          </p>
        )}
        <label>
          Response of the owner's device <input value={share.response} onChange={set('response')} aria-label="share response" />
        </label>
        <button type="submit">Share device</button>
      </form>
      {notice && <p role="status">{notice}</p>}
      <Alert error={error} />

      {sharings.length > 0 && (
        <ul aria-label="sharings" className="sls-list">
          {sharings.map((s) => (
            <li key={s.id}>
              {s.deviceId} of {s.owner} → {s.requester}: {s.status}{' '}
              {(s.status === 'active' || s.status === 'pending') && (
                <button type="button" onClick={() => void run(() => client.sls.cancelSharing(session, s.id)).then(load)}>
                  Cancel sharing {s.id}
                </button>
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>Secure Login System participation</h3>
      {user.optedOut ? (
        <>
          <p role="status">This account opted out: logins ask for the password only; Pink Sheet and OTCBB trading are not allowed.</p>
          <button type="button" onClick={() => void run(() => client.sls.optIn(session)).then((u) => u && setUser(u))}>
            Opt back in
          </button>
        </>
      ) : risks === null ? (
        <button type="button" onClick={() => void run(() => client.sls.risks()).then((r) => r && setRisks(r.risks))}>
          Opt out…
        </button>
      ) : (
        <div aria-label="opt-out risks">
          <ul>
            {risks.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          <label>
            <input type="checkbox" checked={ack} onChange={(e) => setAck(e.target.checked)} /> I understand the risks
          </label>
          <button
            type="button"
            onClick={() =>
              void run(() => client.sls.optOut(session, ack)).then((u) => {
                if (!u) return;
                setUser(u);
                setRisks(null);
                setAck(false);
              })
            }
          >
            Opt out of the Secure Login System
          </button>
        </div>
      )}
    </section>
  );
}

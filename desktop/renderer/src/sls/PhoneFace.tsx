/**
 * The IB Key phone: a phone-shaped face with the app's screens: activation (username, password,
 * number, the SMS code, the PIN), notifications with the biometric prompt (the lab picks succeed,
 * fail or cancel) or the PIN, challenge entry and the response; network switch, reinstall.
 * With `phoneId` it is that one phone (the lab view shows each phone as a device beside the token
 * faces); without, a picker of every phone (the SLS view).
 */
import { useEffect, useState } from 'react';
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';
import type { Notification, PhoneView } from '../../../../emulator/api/sls-client.ts';
import { Alert, useRun } from './use-run.tsx';

type Phone = PhoneView & { notifications: Notification[] };

export function PhoneFace({
  client,
  tick,
  onChange,
  phoneId,
}: {
  client: TokenbenchClient;
  tick: number;
  onChange: () => void;
  phoneId?: string;
}) {
  const [phones, setPhones] = useState<PhoneView[]>([]);
  const [id, setId] = useState<string | null>(null);
  const [phone, setPhone] = useState<Phone | null>(null);
  const [f, setF] = useState({ username: '', password: '', number: '', code: '', pin: '', challenge: '', biometrics: false });
  const [request, setRequest] = useState<string | null>(null);
  const [response, setResponse] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const { error, run } = useRun();

  useEffect(() => {
    void run(async () => {
      const list = await client.sls.phones();
      setPhones(list);
      const pick = phoneId ?? id ?? list[0]?.id ?? null;
      setId(pick);
      setPhone(pick ? await client.sls.phone(pick) : null);
    });
  }, [client, tick, id, phoneId]);
  // notifications arrive while a login waits: look every second
  useEffect(() => {
    if (!id) return;
    const t = setInterval(() => void client.sls.phone(id).then(setPhone, () => undefined), 1000);
    return () => clearInterval(t);
  }, [client, id]);

  if (!phone)
    return (
      <section className="phone" aria-label="IB Key phone">
        <p>No phone yet (the demo lab adds iphone-1).</p>
        <Alert error={error} />
      </section>
    );
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const refresh = async () => {
    setPhone(await client.sls.phone(phone.id));
    onChange();
  };
  const users = phone.app.users;
  const active = users.filter((u) => u.active);
  const approve = (n: Notification, how: { biometric: 'succeed' | 'fail' | 'cancel' } | { pin: string }) =>
    void run(() => client.sls.approvePush(phone.id, { notificationId: n.id, ...how })).then(async (r) => {
      if (r) setNote(r.message === r.outcome ? `${r.outcome}: the login proceeds` : `${r.outcome}: ${r.message}`);
      await refresh();
    });
  return (
    <section className={`phone phone-${phone.profile.os}`} aria-label="IB Key phone">
      <header className="phone-bar">
        {phoneId ? (
          <span aria-label="phone">
            {phone.id} ({phone.profile.os} {phone.profile.version})
          </span>
        ) : (
          <select aria-label="phone" value={phone.id} onChange={(e) => setId(e.target.value)}>
            {phones.map((p) => (
              <option key={p.id} value={p.id}>
                {p.id} ({p.profile.os} {p.profile.version})
              </option>
            ))}
          </select>
        )}
        <label>
          <input
            type="checkbox"
            aria-label="network"
            checked={phone.network}
            onChange={(e) => void run(() => client.sls.network(phone.id, e.target.checked)).then(refresh)}
          />{' '}
          network
        </label>
      </header>
      <div className="phone-screen">
        <h2>IB Key</h2>
        <p className="sls-dim">
          {active.length ? `Users: ${active.map((u) => u.username).join(', ')}` : 'Not activated'}
          {users.some((u) => !u.active) &&
            ` · inactive here: ${users
              .filter((u) => !u.active)
              .map((u) => u.username)
              .join(', ')}`}
        </p>
        {phone.notifications.map((n) => (
          <div key={n.id} className="phone-notification" role="dialog" aria-label="login notification">
            <p>
              Approve the login of <strong>{n.username}</strong>?
            </p>
            {phone.app.useBiometrics && (
              <div aria-label="biometric prompt">
                <button type="button" onClick={() => approve(n, { biometric: 'succeed' })}>
                  Biometric: succeed
                </button>
                <button type="button" onClick={() => approve(n, { biometric: 'fail' })}>
                  Biometric: fail
                </button>
                <button type="button" onClick={() => approve(n, { biometric: 'cancel' })}>
                  Biometric: cancel
                </button>
              </div>
            )}
            <label>
              {phone.app.useBiometrics ? 'or the PIN' : 'PIN'}{' '}
              <input type="password" aria-label="app PIN for approval" value={f.pin} onChange={set('pin')} />
            </label>
            <button type="button" onClick={() => approve(n, { pin: f.pin })}>
              Approve with PIN
            </button>
          </div>
        ))}
        {active.length > 0 && (
          <form
            aria-label="challenge response"
            onSubmit={(e) => {
              e.preventDefault();
              void run(() =>
                client.sls.respond(phone.id, { username: active[0].username, challenge: f.challenge.trim(), pin: f.pin }),
              ).then((r) => r && setResponse(r.response));
            }}
          >
            <label>
              Challenge <input aria-label="app challenge" inputMode="numeric" value={f.challenge} onChange={set('challenge')} />
            </label>
            <label>
              PIN <input type="password" aria-label="app PIN" value={f.pin} onChange={set('pin')} />
            </label>
            <button type="submit">Generate response</button>
            {response && (
              <p>
                Response:{' '}
                <strong aria-label="app response" className="sls-mono">
                  {response}
                </strong>
              </p>
            )}
          </form>
        )}
        <details open={active.length === 0}>
          <summary>{active.length ? 'Add user' : 'Activate IB Key'}</summary>
          {request === null ? (
            <form
              aria-label="activate"
              onSubmit={(e) => {
                e.preventDefault();
                void run(() =>
                  client.sls.activate(phone.id, {
                    username: f.username.trim(),
                    password: f.password,
                    number: f.number.trim(),
                    mode: phone.app.recoverable.includes(f.username.trim()) ? 'recover' : 'register',
                  }),
                ).then((r) => {
                  if (!r) return;
                  setRequest(r.request);
                  setF({ ...f, password: '' });
                  onChange();
                });
              }}
            >
              <label>
                Username <input aria-label="app username" value={f.username} onChange={set('username')} />
              </label>
              <label>
                Password <input type="password" aria-label="app password" value={f.password} onChange={set('password')} />
              </label>
              <label>
                Phone number <input aria-label="phone number" inputMode="numeric" value={f.number} onChange={set('number')} />
              </label>
              <button type="submit">Send activation SMS</button>
            </form>
          ) : (
            <form
              aria-label="confirm activation"
              onSubmit={(e) => {
                e.preventDefault();
                void run(() => client.sls.confirm(phone.id, { request, code: f.code.trim(), pin: f.pin, biometrics: f.biometrics })).then(
                  async (r) => {
                    if (!r) return;
                    setRequest(null);
                    setNote(`IB Key activated${r.warnings.length ? ` (advice: ${r.warnings.join('; ')})` : ''}`);
                    setF({ ...f, code: '', pin: '' });
                    await refresh();
                  },
                );
              }}
            >
              <label>
                Activation code (SMS) <input aria-label="activation code" inputMode="numeric" value={f.code} onChange={set('code')} />
              </label>
              <label>
                {users.length ? "The app's PIN" : 'Choose a PIN (4 to 6 characters)'}{' '}
                <input type="password" aria-label="new PIN" value={f.pin} onChange={set('pin')} />
              </label>
              {phone.profile.biometrics !== 'none' && (
                <label>
                  <input type="checkbox" checked={f.biometrics} onChange={(e) => setF({ ...f, biometrics: e.target.checked })} /> use{' '}
                  {phone.profile.biometrics}
                </label>
              )}
              <button type="submit">Activate</button>
            </form>
          )}
        </details>
        {phone.app.recoverable.length > 0 && (
          <p>
            Recover {phone.app.recoverable.join(', ')} (activate again with the same username), or{' '}
            <button type="button" onClick={() => void run(() => client.sls.declineRecovery(phone.id)).then(refresh)}>
              Decline recovery
            </button>
          </p>
        )}
        {note && <p role="status">{note}</p>}
        <Alert error={error} />
      </div>
      <footer className="phone-bar">
        <button type="button" onClick={() => void run(() => client.sls.reinstall(phone.id)).then(refresh)}>
          Reinstall app
        </button>
      </footer>
    </section>
  );
}

/**
 * The portal-like login page: username and password, then the step that fits the user's device
 * (a challenge, two index numbers, a passcode or code, or an IB Key push with its fallback).
 */
import { useEffect, useState } from 'react';
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';
import type { LoginState } from '../../../../emulator/api/sls-client.ts';
import { Alert, useRun } from './use-run.tsx';

export function LoginPage({
  client,
  onSession,
  onLogout,
}: {
  client: TokenbenchClient;
  onSession: (username: string, session: string) => void;
  onLogout?: () => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [login, setLogin] = useState<LoginState | null>(null);
  const [response, setResponse] = useState('');
  const { error, run } = useRun();

  const done = (l: LoginState | undefined) => {
    if (!l) return;
    setLogin(l);
    setResponse('');
    if (l.status === 'done' && l.session) onSession(l.username, l.session);
  };

  // A push was sent: the page follows the login until the phone approves it.
  useEffect(() => {
    if (login?.push !== 'sent' || login.status !== 'second-factor') return;
    const t = setInterval(() => void client.sls.loginStatus(login.id).then(done, () => undefined), 500);
    return () => clearInterval(t);
  }, [login?.id, login?.push, login?.status]);

  if (!login || login.status === 'failed') {
    return (
      <form
        className="sls-card sls-login"
        aria-label="log in"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => client.sls.login(username.trim(), password)).then((l) => {
            setPassword('');
            done(l);
          });
        }}
      >
        <h2>Log in</h2>
        {login?.status === 'failed' && <p className="sls-error">{login.message}</p>}
        <label>
          Username
          <input value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
        </label>
        <label>
          Password
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" />
        </label>
        <button type="submit">Log in</button>
        <Alert error={error} />
      </form>
    );
  }
  if (login.status === 'done') {
    return (
      <section className="sls-card sls-login" aria-label="logged in">
        <h2>Welcome, {login.username}</h2>
        <p role="status">{login.message}</p>
        <button
          type="button"
          onClick={() => {
            // the session is kept by the server until it expires: end it there (one already gone is logged out too)
            const session = login.session;
            void (session ? client.sls.logout(session).catch(() => undefined) : Promise.resolve()).then(() => {
              setLogin(null);
              onLogout?.();
            });
          }}
        >
          Log out
        </button>
      </section>
    );
  }
  const d = login.device!;
  return (
    <form
      className="sls-card sls-login"
      aria-label="second factor"
      onSubmit={(e) => {
        e.preventDefault();
        void run(() => client.sls.answer(login.id, response.trim())).then(done);
      }}
    >
      <h2>Secure Login System</h2>
      <p>
        Device: <strong aria-label="device">{d.name}</strong>
        {d.tokenId && <span className="sls-dim"> ({d.tokenId})</span>}
      </p>
      {login.challenge && (
        <p>
          Challenge:{' '}
          <strong aria-label="login challenge" className="sls-mono">
            {login.challenge}
          </strong>
        </p>
      )}
      {login.indexes && (
        <p>
          Index numbers:{' '}
          <strong aria-label="index numbers" className="sls-mono">
            {login.indexes.join(' ')}
          </strong>
        </p>
      )}
      <p role="status">{login.message}</p>
      {d.kind === 'ibkey' && login.push !== 'sent' && (
        <button type="button" onClick={() => void run(() => client.sls.push(login.id)).then(done)}>
          Send notification to my phone
        </button>
      )}
      {d.kind === 'ibkey' && login.push === 'sent' && <p className="sls-dim">Waiting for the approval on the phone…</p>}
      <label>
        Response
        <input aria-label="login response" value={response} onChange={(e) => setResponse(e.target.value)} autoComplete="one-time-code" />
      </label>
      <button type="submit">Continue</button>
      <button type="button" onClick={() => setLogin(null)}>
        Start again
      </button>
      <Alert error={error} />
    </form>
  );
}

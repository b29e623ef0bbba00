/**
 * An emulated phone in the lab view, where the token faces are: the IB Key face (notification,
 * biometric prompt, PIN, challenge entry, response; sls/PhoneFace.tsx) with the phone's recent SLS
 * events beside it (pushes, approvals, activations, SMS), as the event stream brings them. The
 * events carry no PIN, code or response (docs/sls.md, "Events").
 */
import type { TokenbenchClient } from '../../../../emulator/api/client.ts';
import type { SlsEvent } from '../../../../emulator/api/sls-client.ts';
import { PhoneFace } from '../sls/PhoneFace.tsx';
import '../sls/sls.css';

const WHAT: Partial<Record<SlsEvent['event'], string>> = {
  'push-sent': 'notification sent',
  'push-approved': 'login approved',
  'push-denied': 'login not approved',
  'ibkey-activated': 'IB Key activated',
  'sms-sent': 'SMS sent',
  'login-success': 'logged in',
  'login-failure': 'login failed',
};

export function PhoneDevice({
  client,
  phoneId,
  users,
  events,
  tick,
  onChange,
}: {
  client: TokenbenchClient;
  phoneId: string;
  users: string[];
  events: SlsEvent[];
  tick: number;
  onChange: () => void;
}) {
  const mine = events
    .filter(
      (e) =>
        e.phoneId === phoneId ||
        (e.phoneId === undefined && e.event.startsWith('login') && e.username !== undefined && users.includes(e.username)),
    )
    .slice(-30)
    .reverse(); // newest first
  return (
    <div className="hand phone-hand">
      <PhoneFace client={client} phoneId={phoneId} tick={tick} onChange={onChange} />
      <section className="phone-log" aria-label="phone events">
        <h2>IB Key events</h2>
        {mine.length === 0 ? (
          <p className="sls-dim">Nothing yet: log in as one of this phone's users (Secure Login System view) and send a notification.</p>
        ) : (
          <ul className="sls-list phone-events">
            {mine.map((e, i) => (
              <li key={`${e.at}-${i}`}>
                <span className="sls-dim">{new Date(e.at).toISOString().slice(11, 19)}</span> {WHAT[e.event] ?? e.event}
                {e.username && ` · ${e.username}`}
                {e.reason && ` (${e.reason})`}
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

/**
 * The lab at a glance: every token and board with its model, serial, state, display and
 * transports, and every emulated phone (IB Key) with its users and network. A phone's entry is
 * selected as `phone:ID` (a colon is never in a token id).
 */
import type { TokenSummary } from '../../../../emulator/api/client.ts';
import type { PhoneView } from '../../../../emulator/api/sls-client.ts';

const blank = (t: string) => (t === '' ? '·' : t);

export function LabOverview({
  tokens,
  phones = [],
  selected,
  onSelect,
}: {
  tokens: TokenSummary[];
  phones?: PhoneView[];
  selected: string | null;
  onSelect: (id: string) => void;
}) {
  return (
    <nav className="overview" aria-label="lab">
      <h2>Lab</h2>
      <ul>
        {tokens.map((t) => (
          <li key={t.id}>
            <button
              type="button"
              className={t.id === selected ? 'selected' : ''}
              aria-current={t.id === selected}
              onClick={() => onSelect(t.id)}
            >
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
        {phones.map((p) => {
          const key = `phone:${p.id}`;
          const users = p.app.users.filter((u) => u.active).map((u) => u.username);
          return (
            <li key={key}>
              <button
                type="button"
                className={`phone-entry ${key === selected ? 'selected' : ''}`}
                aria-current={key === selected}
                onClick={() => onSelect(key)}
              >
                <span className="id">{p.id}</span>
                <span className="model">IB Key phone</span>
                <span className="serial">
                  {p.profile.os === 'ios' ? 'iOS' : 'Android'} {p.profile.version}
                </span>
                <span className={`state ${p.network ? 'state-on' : 'state-off'}`}>{p.network ? 'online' : 'offline'}</span>
                <span className="transports">{users.length ? `users: ${users.join(', ')}` : 'not activated'}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}

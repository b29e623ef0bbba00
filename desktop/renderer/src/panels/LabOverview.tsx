/** The lab at a glance: every token and board with its model, serial, state, display and transports. */
import type { TokenSummary } from '../../../../emulator/api/client.ts';

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

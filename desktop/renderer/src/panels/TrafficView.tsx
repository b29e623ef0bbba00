/** The token's frames on every transport, decoded, live. */
import type { TraceRecord } from '../../../../emulator/api/client.ts';

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

/**
 * The token's frames on every transport (and the UI's own key presses, transport "api"), decoded,
 * newest at the bottom. It follows new lines while scrolled to the end and stops following when
 * the user scrolls up; filters by transport and direction; Clear hides what is there; Export saves
 * the shown lines as JSON Lines.
 */
import { useLayoutEffect, useRef, useState } from 'react';
import type { TraceRecord } from '../../../../emulator/api/client.ts';
import { KEY_NAME } from '../../../../protocol/codes.ts';

type Dir = TraceRecord['dir'];
const DIRS: Dir[] = ['request', 'response', 'event'];
const ARROW: Record<Dir, string> = { request: '→', response: '←', event: '⇠' };

/** A summary with key codes named: "KEY_DOWN KEY=0a" -> "KEY_DOWN KEY=OK". */
export function withKeyNames(summary: string): string {
  return summary.replace(/\bKEY=([0-9a-fA-F]{2})\b/g, (m, h: string) => {
    const name = KEY_NAME[parseInt(h, 16)];
    return name ? `KEY=${name}` : m;
  });
}

export function TrafficView({ id, records, onClear }: { id: string; records: TraceRecord[]; onClear: () => void }) {
  const [transport, setTransport] = useState('all');
  const [dirs, setDirs] = useState<Record<Dir, boolean>>({ request: true, response: true, event: true });
  const [follow, setFollow] = useState(true);
  const list = useRef<HTMLOListElement>(null);
  const transports = [...new Set(records.map((r) => r.transport))].sort();
  const shown = records.filter((r) => (transport === 'all' || r.transport === transport) && dirs[r.dir]).slice(-500);
  const last = shown.at(-1)?.n ?? 0;

  useLayoutEffect(() => {
    if (follow && list.current) list.current.scrollTop = list.current.scrollHeight;
  }, [follow, last, shown.length]);

  const onScroll = () => {
    const el = list.current!;
    setFollow(el.scrollHeight - el.scrollTop - el.clientHeight < 4);
  };
  const exportTrace = () => {
    const url = URL.createObjectURL(new Blob([shown.map((r) => JSON.stringify(r)).join('\n') + '\n'], { type: 'application/x-ndjson' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${id}-trace.jsonl`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };

  return (
    <section className={`traffic ${records.length === 0 ? 'idle' : ''}`} aria-label="traffic">
      <div className="traffic-bar">
        <h2>Traffic</h2>
        <label>
          Transport{' '}
          <select value={transport} onChange={(e) => setTransport(e.target.value)}>
            <option value="all">all</option>
            {[...new Set([...transports, transport].filter((t) => t !== 'all'))].map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
        {DIRS.map((d) => (
          <label key={d} className="inline">
            <input type="checkbox" checked={dirs[d]} onChange={(e) => setDirs({ ...dirs, [d]: e.target.checked })} /> {d}s
          </label>
        ))}
        <button type="button" onClick={onClear} disabled={records.length === 0}>
          Clear
        </button>
        <button type="button" onClick={exportTrace} disabled={shown.length === 0}>
          Export
        </button>
        {!follow && (
          <button type="button" className="follow" onClick={() => setFollow(true)}>
            Paused: follow new lines
          </button>
        )}
      </div>
      {shown.length === 0 ? (
        <p className="empty">
          {records.length
            ? 'No frames match the filters.'
            : 'No frames yet: press a key, or talk to the token over TCP, its serial port or USB/IP.'}
        </p>
      ) : (
        <ol ref={list} onScroll={onScroll} tabIndex={0} aria-label="frames">
          {shown.map((r) => (
            <li key={r.n} className={`dir-${r.dir}`}>
              <time>{new Date(r.t).toISOString().slice(11, 23)}</time> <span className="transport">{r.transport}</span>{' '}
              <span className="client">{r.client}</span> <span className="arrow">{ARROW[r.dir]}</span>{' '}
              <span className="summary">{withKeyNames(r.summary)}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

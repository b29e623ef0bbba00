/** The token's clock (or every token's): pause, speed, advance. */
import { useState } from 'react';

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

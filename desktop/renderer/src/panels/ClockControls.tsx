/**
 * The token's clock (a device's or a card's; or every token's): it ticks on screen at the token's
 * rate, and can be paused, sped up, moved on (seconds for a DSC, days for an online card's expiry)
 * and put back on real time. With `label` it is another clock (the SLS lab clock while a phone is
 * selected, which can also be set to a UTC date and time): "every token" moves every token's clock
 * with it.
 */
import { useEffect, useState } from 'react';

export interface ClockView {
  clock: number;
  paused: boolean;
  rate: number;
  /** Date.now() when `clock` was read: the display extrapolates from it. */
  readAt: number;
}

export type ClockOp = { pause?: boolean; rate?: number; advance?: number; set?: number; real?: true };

const STEPS: { label: string; ms: number }[] = [
  { label: '+2 s', ms: 2000 },
  { label: '+30 s', ms: 30_000 },
  { label: '+1 h', ms: 3_600_000 },
  { label: '+1 day', ms: 86_400_000 },
  { label: '+7 days', ms: 7 * 86_400_000 },
];

/** The token's time now, from a reading of it. */
export function clockNow(c: ClockView, now: number): number {
  return c.paused ? c.clock : Math.floor(c.clock + (now - c.readAt) * c.rate);
}

export function ClockControls({
  clock,
  onClock,
  label = 'token time',
  title = 'Clock',
  canSet = false,
}: {
  clock: ClockView | null;
  onClock: (op: ClockOp, all: boolean) => void;
  label?: string;
  title?: string;
  canSet?: boolean;
}) {
  const [all, setAll] = useState(false);
  const [setTo, setSetTo] = useState('');
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!clock || clock.paused) return;
    // Fast enough that seconds turn over on time at x60 too.
    const t = setInterval(() => setNow(Date.now()), clock.rate > 1 ? 100 : 250);
    return () => clearInterval(t);
  }, [clock]);
  const shown = clock ? clockNow(clock, Math.max(now, clock.readAt)) : null;
  const real = clock && !clock.paused && clock.rate === 1 && Math.abs(shown! - Date.now()) < 1500;
  return (
    <section className="clock" aria-label="clock">
      <h2>{title}</h2>
      {clock && (
        <p className="now">
          <time aria-label={label}>{new Date(shown!).toISOString().replace('T', ' ').slice(0, 19)}</time>{' '}
          <span className="clock-state">
            {clock.paused ? '(paused)' : clock.rate !== 1 ? `(x${clock.rate})` : real ? '(real time)' : '(shifted)'}
          </span>
        </p>
      )}
      <label className="inline">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> every token
      </label>
      <div className="buttons">
        <button type="button" onClick={() => onClock({ pause: !clock?.paused }, all)}>
          {clock?.paused ? 'Resume' : 'Pause'}
        </button>
        <button type="button" onClick={() => onClock({ real: true }, all)}>
          Real time
        </button>
        {[1, 10, 60].map((r) => (
          <button key={r} type="button" aria-pressed={clock?.rate === r && !clock.paused} onClick={() => onClock({ rate: r }, all)}>
            x{r}
          </button>
        ))}
      </div>
      <div className="buttons">
        {STEPS.map((s) => (
          <button key={s.label} type="button" onClick={() => onClock({ advance: s.ms }, all)}>
            {s.label}
          </button>
        ))}
      </div>
      {canSet && (
        <form
          className="clock-set"
          aria-label="set clock"
          onSubmit={(e) => {
            e.preventDefault();
            // datetime-local gives no zone: the clock is shown in UTC, so the value is read as UTC
            const at = Date.parse(`${setTo}Z`);
            if (Number.isFinite(at)) onClock({ set: at }, all);
          }}
        >
          <label>
            Set to (UTC) <input type="datetime-local" step={1} value={setTo} required onChange={(e) => setSetTo(e.target.value)} />
          </label>
          <button type="submit">Set</button>
        </form>
      )}
    </section>
  );
}

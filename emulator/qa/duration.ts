/** Durations as QA writes them: "500ms", "30s", "2m", "1h", "21d", or a number of milliseconds. */
import { InputError } from '../../firmware/errors.ts';

const UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(d: unknown, what = 'duration'): number {
  if (typeof d === 'number') {
    if (Number.isSafeInteger(d) && d >= 0) return d;
    throw new InputError(what, `${what} must be whole milliseconds, 0 or more; got ${d}`);
  }
  if (typeof d !== 'string') throw new InputError(what, `${what} is missing: write a number and a unit, e.g. 500ms, 30s, 2m, 1h, 21d`);
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(d);
  if (!m) throw new InputError(what, `${what}: "${d}" is not a duration: write a number and a unit, e.g. 500ms, 30s, 2m, 1h, 21d`);
  const ms = Math.round(Number(m[1]) * UNIT[m[2]]);
  if (!Number.isSafeInteger(ms)) throw new InputError(what, `${what}: "${d}" is too long`);
  return ms;
}

/**
 * Device time for the timing cases (devices.md: every timeout at threshold - 1 ms and at
 * threshold). Where the device clock can be held (SET_CLOCK P1 = 01, protocol.md P-1.17), the suite
 * moves it with ADVANCE_CLOCK and checks the exact millisecond. Where it cannot (SET_CLOCK P1 = 01
 * answers 6A86, or the device has no clock plane), the case waits on the real clock instead and
 * checks a window around the threshold:
 *
 *   - the key that starts the timeout reaches the device somewhere between the moment it was sent
 *     (s1) and the moment its answer came back (r1);
 *   - "still in the old state" is read so that its answer comes back by s1 + threshold - margin:
 *     a conforming device cannot have reached the threshold yet;
 *   - "changed" is read no earlier than r1 + threshold + margin: a conforming device is past it.
 *
 * The margin is max(50 ms, 4 x the longest of a few measured round trips) plus 0.1 % of the
 * threshold (a device crystal and a tick of its own). A device whose timeout is off by less than
 * the margin passes in real time; one that is off by more fails naming the rule. A "still" read that
 * came back too late to prove anything (a link that stalled) skips the case with that reason
 * rather than judge the device on it.
 */
export const MIN_MARGIN_MS = 50;
export const RTT_FACTOR = 4;
/** Allowed clock error of the device, as a fraction of the threshold. */
export const CLOCK_TOLERANCE = 0.001;

/** When a command was sent and when its answer came back, on the target's host clock. */
export interface Window {
  sent: number;
  received: number;
}

/** Why the clock runs in real time and what the link's round trip measured. */
export interface RealTime {
  reason: string;
  rttMs: number;
  /** The device has GET_CLOCK (a clock plane that cannot be held): the golden model follows it. */
  readable: boolean;
}

/** The margin either side of `thresholdMs` for a link whose round trip is `rttMs`. */
export function marginFor(thresholdMs: number, rttMs: number): number {
  return Math.max(MIN_MARGIN_MS, Math.ceil(RTT_FACTOR * rttMs)) + Math.ceil(thresholdMs * CLOCK_TOLERANCE);
}

/** How the margin came about, for the case's line, JUnit and JSON. */
export function marginText(thresholdMs: number, rt: RealTime): string {
  const m = marginFor(thresholdMs, rt.rttMs);
  return `real time (${rt.reason}): ${thresholdMs} ms checked at -${m} and +${m} ms = max(${MIN_MARGIN_MS} ms, ${RTT_FACTOR} x ${rt.rttMs} ms round trip) + ${CLOCK_TOLERANCE * 100}% clock tolerance`;
}

/** The time the device may spend past its threshold before a "still" read proves nothing. */
export function lateLimit(thresholdMs: number): number {
  return thresholdMs - Math.ceil(thresholdMs * CLOCK_TOLERANCE);
}

/** The longest round trip of `n` calls of `probe`, in ms on `now`'s clock (at least 1). */
export async function measureRtt(probe: () => Promise<unknown>, now: () => number, n = 5): Promise<number> {
  let worst = 1;
  for (let i = 0; i < n; i++) {
    const t = now();
    await probe();
    worst = Math.max(worst, now() - t);
  }
  return worst;
}

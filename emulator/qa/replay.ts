/**
 * Plays a scenario (scenario.ts) against a device through a small target interface, so the same
 * file runs against a hosted token, a TCP port or a board. Stops at the first expect-display that
 * does not hold within `settleMs`, with both texts.
 */
import type { Scenario, Step } from './scenario.ts';

export interface ReplayTarget {
  key(key: string, action: 'down' | 'up' | 'press'): Promise<void>;
  display(): Promise<string>;
  power(on: boolean): Promise<void>;
  clock(op: { advance: number } | { set: number } | { pause: boolean }): Promise<void>;
}

export type ReplayResult = { ok: true; steps: number } | { ok: false; step: number; expected: string; actual: string; message: string };

const describe = (s: Step): string => JSON.stringify(s);

export async function replay(
  scenario: Scenario,
  target: ReplayTarget,
  options: { sleep?: (ms: number) => Promise<void>; settleMs?: number; onStep?: (n: number, s: Step) => void } = {},
): Promise<ReplayResult> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const settleMs = options.settleMs ?? 1000;
  for (const [i, s] of scenario.steps.entries()) {
    const n = i + 1;
    options.onStep?.(n, s);
    if ('press' in s) for (const k of s.press) await target.key(k, 'press');
    else if ('hold' in s) {
      await target.key(s.hold.key, 'down');
      await sleep(s.hold.ms);
      await target.key(s.hold.key, 'up');
    } else if ('wait' in s) await sleep(s.wait);
    else if ('power' in s) await target.power(s.power);
    else if ('clock' in s) await target.clock(s.clock);
    else if ('expectDisplay' in s) {
      const want = s.expectDisplay;
      const holds = (t: string) => ('text' in want ? t === want.text : new RegExp(want.match).test(t));
      // The display may lag the key by a frame on a real board: look again for a while.
      let actual = await target.display();
      for (let waited = 0; !holds(actual) && waited < settleMs; waited += 25) {
        await sleep(25);
        actual = await target.display();
      }
      if (!holds(actual)) {
        const expected = 'text' in want ? JSON.stringify(want.text) : `/${want.match}/`;
        return {
          ok: false,
          step: n,
          expected,
          actual,
          message: `step ${n} expect-display: expected ${expected}, the device shows ${JSON.stringify(actual)}`,
        };
      }
    } else throw new Error(`unknown step ${describe(s)}`);
  }
  return { ok: true, steps: scenario.steps.length };
}

/**
 * Lockstep differential (D-5.1): seeded random key scripts, with waits, battery pulls and wrong
 * PINs, run on the device and on the golden model side by side; every display after every step
 * must be equal. On a difference the script is shrunk (delta debugging: drop chunks while the
 * difference stays) to a minimal one, printed with both displays.
 */
import type { TokenClient } from '../../../protocol/client.ts';
import { StatusError } from '../../../protocol/client.ts';
import { randomInt, seededRng, type Rng } from '../../../firmware/rng.ts';
import { fail, Skip, type Case } from '../case.ts';
import type { Harness } from '../harness.ts';

export type Step = { k: 'key'; key: string } | { k: 'hold'; ms: number } | { k: 'wait'; ms: number } | { k: 'battery' };

const WAITS = [1, 500, 1999, 2000, 14_999, 15_000, 29_999, 30_000, 59_999, 60_000];

export function scriptText(s: Step[]): string {
  return s
    .map((x) => (x.k === 'key' ? x.key : x.k === 'hold' ? `PRESS:${x.ms}` : x.k === 'wait' ? `WAIT:${x.ms}` : 'BATTERY:OUT-IN'))
    .join(' ');
}

/**
 * A random script made of the pieces a person (or a power supply) produces: turning on, right and
 * wrong PINs, challenges, stray digits and OKs, waits at and next to every threshold, battery pulls
 * (often in the middle of an entry, then turning on again) and holds of PRESS.
 */
export function randomScript(rng: Rng, model: string, length: number): Step[] {
  const out: Step[] = [];
  const key = (k: string): Step => ({ k: 'key', key: k });
  const digits = (n: number) => Array.from({ length: n }, () => key(String(randomInt(rng, 10))));
  const on = (): Step[] =>
    model === 'dsc'
      ? [
          { k: 'hold', ms: 2000 },
          { k: 'wait', ms: 2000 },
        ]
      : [key('PRESS')];
  const pieces: [number, () => Step[]][] = [
    [12, on],
    [15, () => [...'1234'.split('').map(key), key('OK')]],
    [8, () => [...digits(4), key('OK')]],
    [6, () => [...digits(4), key('OK'), { k: 'wait', ms: 2000 }]],
    [10, () => [...digits(model === 'dscplus' ? 6 : 4), key('OK')]],
    [10, () => digits(1 + randomInt(rng, 4))],
    [5, () => [key('OK')]],
    [model === 'dscplus' ? 4 : 0, () => [key('C')]],
    [16, () => [{ k: 'wait', ms: WAITS[randomInt(rng, WAITS.length)] }]],
    [5, () => [{ k: 'battery' }]],
    [8, () => [...digits(1 + randomInt(rng, 3)), { k: 'battery' }, ...on()]],
    [4, () => [{ k: 'hold', ms: [100, 1999, 2000, 2500][randomInt(rng, 4)] }]],
  ];
  const total = pieces.reduce((a, [w]) => a + w, 0);
  while (out.length < length) {
    let r = randomInt(rng, total);
    const piece = pieces.find(([w]) => (r -= w) < 0)!;
    out.push(...piece[1]());
  }
  return out.slice(0, length);
}

async function apply(c: TokenClient, s: Step): Promise<string> {
  try {
    const d =
      s.k === 'key'
        ? await c.press(s.key)
        : s.k === 'hold'
          ? await c.hold('PRESS', s.ms)
          : s.k === 'wait'
            ? await c.advanceClock(s.ms)
            : (await c.setPower(false), await c.setPower(true));
    const i = d.indicators;
    // The unlock challenge comes from the device's own RNG: its form is compared, not its digits.
    const text = /^U-\d{6}$/.test(d.text) ? 'U-nnnnnn' : d.text;
    return `${JSON.stringify(text)}${i.on ? ' on' : ''}${i.locked ? ' locked' : ''}${i.noBattery ? ' no-battery' : ''}`;
  } catch (err) {
    return err instanceof StatusError ? `SW ${err.sw.toString(16).toUpperCase()}` : `error: ${(err as Error).message}`;
  }
}

export interface Difference {
  at: number;
  device: string;
  golden: string;
}

/** Runs `script` from a fresh setup on both; the first difference, or null. */
export async function runLockstep(h: Harness, script: Step[], lockThreshold = 3): Promise<Difference | null> {
  const g = await h.setup({ lockThreshold });
  if (h.realTime)
    throw new Skip(`lockstep moves the device clock to every threshold and needs a clock the suite can hold (${h.realTime.reason})`);
  for (let i = 0; i < script.length; i++) {
    const device = await apply(h.client, script[i]);
    const golden = await apply(g, script[i]);
    if (device !== golden) return { at: i, device, golden };
  }
  return null;
}

/** Shrinks a failing script: drops chunks (halves, quarters, ... single steps) while it still fails. */
export async function shrink(h: Harness, script: Step[], budget = 200, lockThreshold = 3): Promise<{ script: Step[]; diff: Difference }> {
  let best = script;
  let diff = (await runLockstep(h, best, lockThreshold))!;
  best = best.slice(0, diff.at + 1);
  let runs = 0;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && runs < budget; chunk >>= 1) {
    for (let i = 0; i < best.length && runs < budget; ) {
      const candidate = [...best.slice(0, i), ...best.slice(i + chunk)];
      runs++;
      const d = candidate.length ? await runLockstep(h, candidate, lockThreshold) : null;
      if (d) {
        best = candidate.slice(0, d.at + 1);
        diff = d;
      } else i += chunk;
    }
  }
  return { script: best, diff };
}

export const SCRIPTS = 6;
export const SCRIPT_LENGTH = 50;

export const LOCKSTEP_CASES: Case[] = [
  {
    id: 'D-5.1 lockstep',
    rule: 'D-5.1',
    title: `${SCRIPTS} seeded random scripts of ${SCRIPT_LENGTH} steps: every display equals the golden model's`,
    needs: ['ui', 'keys', 'provisioning', 'power', 'clock'],
    async run(h) {
      const rng = seededRng(`lockstep-${h.seed}`);
      for (let n = 0; n < SCRIPTS; n++) {
        const script = randomScript(rng, h.profile.model, SCRIPT_LENGTH);
        // Lock thresholds 1, 2 and 3 in turn: a short script then reaches the lock too.
        const threshold = 1 + (n % 3);
        const d = await runLockstep(h, script, threshold);
        if (!d) continue;
        const min = await shrink(h, script, 200, threshold);
        fail(
          `script ${n + 1} (seed ${h.seed}, lock threshold ${threshold}) differs at step ${min.diff.at + 1}; minimal script: ${scriptText(min.script)}; device shows ${min.diff.device}, the golden model ${min.diff.golden}`,
        );
      }
    },
  },
];

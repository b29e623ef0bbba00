/**
 * Lockstep differential (D-5.1): seeded random key scripts, with waits, battery pulls and wrong
 * PINs, run on the device and on the golden model side by side; every display after every step
 * must be equal. On a difference the script is shrunk (delta debugging: drop chunks while the
 * difference stays) to a minimal one, printed with both displays.
 */
import type { TokenClient } from '../../../protocol/client.ts';
import { StatusError } from '../../../protocol/client.ts';
import { randomInt, seededRng, type Rng } from '../../../firmware/rng.ts';
import { fail, type Case } from '../case.ts';
import type { Harness } from '../harness.ts';

export type Step = { k: 'key'; key: string } | { k: 'hold'; ms: number } | { k: 'wait'; ms: number } | { k: 'battery' };

const WAITS = [1, 500, 1999, 2000, 14_999, 15_000, 29_999, 30_000, 59_999, 60_000];

export function scriptText(s: Step[]): string {
  return s.map((x) => (x.k === 'key' ? x.key : x.k === 'hold' ? `PRESS:${x.ms}` : x.k === 'wait' ? `WAIT:${x.ms}` : 'BATTERY:OUT-IN')).join(' ');
}

/** A random script: PIN entries right and wrong, challenges, waits near every threshold, battery pulls. */
export function randomScript(rng: Rng, model: string, length: number): Step[] {
  const out: Step[] = [];
  const digits = (n: number) => Array.from({ length: n }, () => ({ k: 'key', key: String(randomInt(rng, 10)) }) as Step);
  const on = (): Step[] => (model === 'dsc' ? [{ k: 'hold', ms: 2000 }, { k: 'wait', ms: 2000 }] : [{ k: 'key', key: 'PRESS' }]);
  while (out.length < length) {
    const r = randomInt(rng, 100);
    if (r < 15) out.push(...on());
    else if (r < 35) out.push(...'1234'.split('').map((key) => ({ k: 'key', key }) as Step), { k: 'key', key: 'OK' });
    else if (r < 45) out.push(...digits(4), { k: 'key', key: 'OK' });
    else if (r < 60) out.push(...digits(1 + randomInt(rng, 6)));
    else if (r < 68) out.push({ k: 'key', key: 'OK' });
    else if (r < 72 && model === 'dscplus') out.push({ k: 'key', key: 'C' });
    else if (r < 88) out.push({ k: 'wait', ms: WAITS[randomInt(rng, WAITS.length)] });
    else if (r < 93) out.push({ k: 'battery' });
    else out.push({ k: 'hold', ms: [100, 1999, 2000, 2500][randomInt(rng, 4)] });
  }
  return out.slice(0, length);
}

async function apply(c: TokenClient, s: Step): Promise<string> {
  try {
    const d = s.k === 'key' ? await c.press(s.key) : s.k === 'hold' ? await c.hold('PRESS', s.ms) : s.k === 'wait' ? await c.advanceClock(s.ms) : (await c.setPower(false), await c.setPower(true));
    const i = d.indicators;
    return `${JSON.stringify(d.text)}${i.on ? ' on' : ''}${i.locked ? ' locked' : ''}${i.noBattery ? ' no-battery' : ''}`;
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
export async function runLockstep(h: Harness, script: Step[]): Promise<Difference | null> {
  const g = await h.setup();
  for (let i = 0; i < script.length; i++) {
    const device = await apply(h.client, script[i]);
    const golden = await apply(g, script[i]);
    if (device !== golden) return { at: i, device, golden };
  }
  return null;
}

/** Shrinks a failing script: drops chunks (halves, quarters, ... single steps) while it still fails. */
export async function shrink(h: Harness, script: Step[], budget = 200): Promise<{ script: Step[]; diff: Difference }> {
  let best = script;
  let diff = (await runLockstep(h, best))!;
  best = best.slice(0, diff.at + 1);
  let runs = 0;
  for (let chunk = Math.max(1, best.length >> 1); chunk >= 1 && runs < budget; chunk >>= 1) {
    for (let i = 0; i < best.length && runs < budget; ) {
      const candidate = [...best.slice(0, i), ...best.slice(i + chunk)];
      runs++;
      const d = candidate.length ? await runLockstep(h, candidate) : null;
      if (d) {
        best = candidate.slice(0, d.at + 1);
        diff = d;
      } else i += chunk;
    }
  }
  return { script: best, diff };
}

export const SCRIPTS = 4;
export const SCRIPT_LENGTH = 40;

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
        const d = await runLockstep(h, script);
        if (!d) continue;
        const min = await shrink(h, script);
        fail(`script ${n + 1} (seed ${h.seed}) differs at step ${min.diff.at + 1}; minimal script: ${scriptText(min.script)}; device shows ${min.diff.device}, the golden model ${min.diff.golden}`);
      }
    },
  },
];

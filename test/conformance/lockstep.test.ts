/** Lockstep differential and shrinking: a faulty token's difference shrinks to a 1-minimal script. */
import { describe, expect, it } from 'vitest';
import { randomScript, runLockstep, scriptText, shrink } from '../../emulator/conformance/cases/lockstep.ts';
import { openConn } from '../../emulator/conformance/connection.ts';
import { Harness } from '../../emulator/conformance/harness.ts';
import { MUTANTS, mutantTarget } from '../../emulator/conformance/mutants.ts';
import { modelTarget } from '../../emulator/conformance/model-target.ts';
import { runSuite } from '../../emulator/conformance/runner.ts';
import { seededRng } from '../../firmware/rng.ts';
import type { Target } from '../../emulator/conformance/target.ts';

async function harness(t: Target): Promise<Harness> {
  const conn = await openConn(t, 1000);
  const info = await conn.client.info();
  return new Harness(t, conn, { model: info.model, info, auth: { required: false, privileged: false } }, 1000, 7);
}

describe('lockstep', () => {
  it('the same seed gives the same scripts; the golden model agrees with itself', async () => {
    expect(scriptText(randomScript(seededRng('x'), 'dscplus', 60))).toBe(scriptText(randomScript(seededRng('x'), 'dscplus', 60)));
    const h = await harness(modelTarget('dsc'));
    expect(await runLockstep(h, randomScript(seededRng('y'), 'dsc', 80))).toBeNull();
    await h.dispose();
  });

  it('shrinks a difference to a script from which no step can be dropped', async () => {
    const t = mutantTarget(MUTANTS.find((m) => m.id === 'pin-kept-after-power')!);
    const h = await harness(t);
    let failing = null;
    for (let n = 0; n < 20 && !failing; n++) {
      const s = randomScript(seededRng(`find-${n}`), 'dscplus', 60);
      if (await runLockstep(h, s)) failing = s;
    }
    expect(failing).not.toBeNull();
    const min = await shrink(h, failing!);
    expect(min.script.length).toBeLessThan(failing!.length);
    expect(await runLockstep(h, min.script)).not.toBeNull();
    for (let i = 0; i < min.script.length; i++)
      expect(
        await runLockstep(h, [...min.script.slice(0, i), ...min.script.slice(i + 1)]),
        `without step ${i + 1} of ${scriptText(min.script)}`,
      ).toBeNull();
    expect(scriptText(min.script)).toContain('BATTERY:OUT-IN');
    await h.dispose();
    await t.close();
  }, 60_000);

  it('the D-5.1 case reports the minimal script and both displays', async () => {
    const t = mutantTarget(MUTANTS.find((m) => m.id === 'pin-kept-after-power')!);
    const rep = await runSuite(t, { only: 'D-5.1', seed: 3 });
    await t.close();
    const r = rep.results[0];
    expect(r.status).toBe('fail');
    expect(r.message).toMatch(
      /^script \d \(seed 3, lock threshold \d\) differs at step \d+; minimal script: .+; device shows "PIN>-+" on, the golden model "PIN>" on$/,
    );
  }, 60_000);
});

/**
 * Negative proof of the conformance suite: every deliberately faulty token fails, naming the rule
 * its bug breaks; the unchanged golden model in both framings passes clean.
 */
import { describe, expect, it } from 'vitest';
import { catchRate, MUTANTS } from '../../emulator/conformance/mutants.ts';
import { modelTarget } from '../../emulator/conformance/model-target.ts';
import { runSuite } from '../../emulator/conformance/runner.ts';

describe('conformance against faulty tokens', () => {
  it('has at least 12 mutants, each with its rule', () => {
    expect(MUTANTS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
  });

  it.each(['dscplus', 'dsc', 'card'] as const)(
    'the golden %s passes clean over both framings',
    async (model) => {
      for (const framing of ['stream', 'hid'] as const) {
        const t = modelTarget(model, { framing });
        const rep = await runSuite(t);
        await t.close();
        expect(rep.results.filter((r) => r.status === 'fail').map((r) => `${r.id}: ${r.message}`)).toEqual([]);
        expect(rep.totals.pass).toBeGreaterThan(20);
      }
    },
    60_000,
  );

  it('catches every mutant by the rule it breaks (catch rate 100%)', async () => {
    const { catches, rate } = await catchRate(async (t) => (await runSuite(t)).results);
    const missed = catches
      .filter((c) => !c.caught)
      .map((c) => `${c.mutant.id} (${c.mutant.rule}): failed ${c.failedRules.join(', ') || 'nothing'}`);
    console.log(`mutant catch rate: ${catches.filter((c) => c.caught).length}/${catches.length} = ${(rate * 100).toFixed(0)}%`);
    expect(missed).toEqual([]);
  }, 120_000);
});

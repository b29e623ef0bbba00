/**
 * How many cases each property test of test/crypto tries: the one place that sets it.
 *
 * `npm test` runs every property in full (the counts written at each call). The mutation run
 * (test/mutate/vitest.config.ts) sets CRYPTO_PROPERTY_RUNS to a lower cap, because there each
 * surviving mutant re-runs every property that reaches it. The seeds are fixed, so a capped run tries
 * the same first cases as the full one, only fewer of them; the published vectors
 * (vectors.test.ts, ocra-suite.test.ts) never depend on it and always run in full.
 */
export function runs(full: number): number {
  const text = process.env.CRYPTO_PROPERTY_RUNS;
  if (text === undefined || text === '') return full;
  const cap = Number(text);
  if (!Number.isSafeInteger(cap) || cap < 1) throw new Error(`CRYPTO_PROPERTY_RUNS must be a positive whole number, not "${text}"`);
  return Math.min(full, cap);
}

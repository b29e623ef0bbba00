/** The tests `npm run mutate` runs against each mutant of firmware/: the fast suites that cover it. */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('../..', import.meta.url).pathname,
    include: [
      'test/device/**/*.test.ts',
      'test/crypto/**/*.test.ts',
      'test/card.test.ts',
      'test/card-record.test.ts',
      'test/verifier.test.ts',
      'test/verifier/**/*.test.ts',
      'test/token/**/*.test.ts',
      'test/protocol/token.test.ts',
      'test/protocol/auth.test.ts',
      'test/protocol/codecs.test.ts',
      'test/sls/rules.test.ts',
      'test/sls/rules-edges.test.ts',
      'test/sls/property.test.ts',
      'test/sls/ibkey-app.test.ts',
      'test/sls/ibkey-app-rules.test.ts',
      'test/sls/identification-checks.test.ts',
      'test/sls/pin-guidance.test.ts',
      'test/sls/sharing-refusals.test.ts',
      'test/sls/device-names.test.ts',
      'test/firmware/**/*.test.ts',
    ],
    // oathtool.test.ts starts a process per case; `npm test` runs it, each mutant need not.
    exclude: ['**/*.slow.test.ts', 'test/crypto/oathtool.test.ts'],
    // The crypto property tests try 30 cases each here, the full count in `npm test` (test/crypto/runs.ts).
    env: { CRYPTO_PROPERTY_RUNS: '30' },
    // Generous: the initial test run under several Stryker runs at once took the card bias test past 20 s.
    testTimeout: 60_000,
  },
});

// The crypto area's mutation run with test/crypto only (test/mutate/crypto.vitest.config.ts):
//   npx stryker run test/mutate/stryker-crypto.config.mjs
import base from '../../stryker.config.mjs';

export default {
  ...base,
  vitest: { configFile: 'test/mutate/crypto.vitest.config.ts' },
  mutate: ['firmware/crypto/**/*.ts'],
  incrementalFile: 'reports/mutation/crypto.json',
  htmlReporter: { fileName: 'reports/mutation/crypto-index.html' },
  jsonReporter: { fileName: 'reports/mutation/crypto-mutation.json' },
};

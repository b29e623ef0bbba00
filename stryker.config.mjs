// `npm run mutate`: mutation testing of firmware/ (Stryker with its vitest runner). Not in CI: it
// takes a long time. The score and the surviving mutants land in reports/mutation/.
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutate/vitest.config.ts' },
  // The verifiers are left out: their statistical tests take minutes under instrumentation.
  mutate: ['firmware/**/*.ts', '!firmware/verifier/**'],
  coverageAnalysis: 'perTest',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  concurrency: 2,
  timeoutMS: 10000,
  ignorePatterns: ['dist', 'test-artifacts', 'reports', 'desktop', 'node_modules'],
  tempDirName: '.stryker-tmp',
};

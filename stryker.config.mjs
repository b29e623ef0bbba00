// `npm run mutate`: mutation testing of all of firmware/ (Stryker with its vitest runner). Not in CI:
// a full run is hours on a shared 2-core machine. One area: `npm run mutate -- --mutate 'firmware/crypto/**/*.ts'`.
// Per-test coverage runs only the tests that reach a mutant; incremental mode keeps the results of
// reports/mutation/incremental.json and re-tests only mutants whose code or covering tests changed,
// so a rerun after a small change is cheap (`npm run mutate -- --force` re-tests everything).
// The score and the surviving mutants land in reports/mutation/.
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutate/vitest.config.ts' },
  mutate: ['firmware/**/*.ts'],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/mutation/incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // The machine is shared: one test process. Raise it with `-- --concurrency N` on a free machine.
  concurrency: 1,
  // A mutant that loops forever is judged after 3 s more than its tests took unmutated.
  timeoutMS: 3000,
  ignorePatterns: ['dist', 'test-artifacts', 'reports', 'desktop', 'node_modules', 'firmware/board'],
  tempDirName: '.stryker-tmp',
};

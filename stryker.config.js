// Mutation testing of the breaker core, the shared core and the policies: `npm run mutation`.
// Not part of `npm test` (a full run takes tens of minutes on two cores). Survivors that cannot be
// killed are listed with their reason in test/mutation/equivalent.md.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts', related: false },
  mutate: ['src/breaker/**/*.ts', 'src/core/**/*.ts', 'src/policies/**/*.ts'],
  ignorePatterns: ['dist', 'coverage', 'docs', 'bench', '.bench-results', 'reports'],
  coverageAnalysis: 'perTest',
  // Reuses the results of mutants whose code and covering tests did not change (`--force` to redo all).
  incremental: true,
  incrementalFile: 'reports/mutation/stryker-incremental.json',
  concurrency: 2,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // break: the score of the full run (97.12 %, docs/testing.md#mutation-testing) rounded down.
  thresholds: { high: 97, low: 85, break: 97 },
};

// The test files the mutation run (`npm run mutation`, stryker.config.js) uses: the unit, model and
// policy suites, which import src/ directly. Suites that need dist/, Redis, Chromium or child
// processes stay out: they add minutes per mutant and cover little of the mutated code.
// Every surviving mutant re-runs all the tests that cover it, so the run trades isolation for
// speed: test files share one module graph (the suites pass that way too), and the model-based
// test searches 300 cases from a fixed seed per mode, so a mutant's verdict is repeatable.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      'test/breaker/**/*.test.ts',
      'test/core/**/*.test.ts',
      'test/model/**/*.test.ts',
      'test/policies/**/*.test.ts',
      'test/registry/**/*.test.ts',
      'test/telemetry/**/*.test.ts',
      'test/testing/**/*.test.ts',
      'test/mutation/**/*.test.ts',
    ],
    typecheck: { enabled: false },
    isolate: false,
    env: { MODEL_SEED: '20261203', MODEL_RUNS: '300' },
  },
});

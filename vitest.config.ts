import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    typecheck: { enabled: true, include: ['test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
    setupFiles: ['test/setup/no-unhandled.ts'],
    testTimeout: 20_000,
    // expect.poll waits for rendering and sockets: a loaded CI machine needs far more than 1 s.
    expect: { poll: { timeout: 15_000, interval: 20 } },
    pool: 'forks',
  },
});

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));

export default defineConfig({
  // The examples import the package by its name, as a user's code does (tsconfig.json maps it the same way).
  resolve: {
    alias: [
      { find: /^breakwater$/, replacement: `${src}index.ts` },
      { find: /^breakwater\/(.+)$/, replacement: `${src}$1/index.ts` },
    ],
  },
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

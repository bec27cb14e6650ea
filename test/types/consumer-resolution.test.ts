// A consumer project that imports every entry point of the built package, compiled by the repo's
// TypeScript under each module resolution a user may have: node10 (`"moduleResolution": "node"`,
// CommonJS), node16 (a CommonJS and an ES module file) and bundler. The library target is ES2020
// and `skipLibCheck` is off, so the published declarations may need nothing newer.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';

const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

const CONSUMER = `
import { CircuitBreaker, Telemetry, isCircuitOpenError, pipeline, retry } from 'breakwater';
import { FakeClock } from 'breakwater/testing';
import { createFetch, isHttpStatusError } from 'breakwater/fetch';
import { prometheusMetrics } from 'breakwater/prometheus';
import { otelMetrics } from 'breakwater/otel';
import { createDashboard } from 'breakwater/dashboard';
import { latency } from 'breakwater/chaos';
import { redisFleet } from 'breakwater/redis';

const clock = new FakeClock();
const telemetry = new Telemetry();
const breaker = new CircuitBreaker({ name: 'db', clock, telemetry });
export const resilient = pipeline(retry({ maxAttempts: 2, clock }), breaker);
export async function call(): Promise<number> {
  try {
    return await breaker.execute(async () => 1);
  } catch (error) {
    if (isCircuitOpenError(error)) return error.retryAfterMs;
    if (isHttpStatusError(error)) return error.status;
    throw error;
  }
}
export const entries = [createFetch, prometheusMetrics, otelMetrics, createDashboard, latency, redisFleet];
`;

const COMMON = {
  target: 'ES2020',
  lib: ['ES2020'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: false,
};

const PROFILES: Record<string, { options: Record<string, unknown>; files: string[] }> = {
  node10: {
    options: { module: 'commonjs', moduleResolution: 'node', ignoreDeprecations: '6.0' },
    files: ['consumer.ts'],
  },
  node16: {
    options: { module: 'node16', moduleResolution: 'node16' },
    files: ['consumer.cts', 'consumer.mts'],
  },
  bundler: { options: { module: 'esnext', moduleResolution: 'bundler' }, files: ['consumer.ts'] },
};

let dir = '';

describe('published types — a consumer project', () => {
  beforeAll(() => {
    ensureBuilt();
    dir = mkdtempSync(join(tmpdir(), 'breakwater-consumer-'));
    mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
    symlinkSync(ROOT, join(dir, 'node_modules/breakwater'), 'dir');
    symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true }));
    for (const file of ['consumer.ts', 'consumer.cts', 'consumer.mts'])
      writeFileSync(join(dir, file), CONSUMER);
  }, 240_000);

  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(PROFILES))(
    'tsc — every entry point resolves and type-checks under %s',
    async (name) => {
      const profile = PROFILES[name]!;
      const project = `tsconfig.${name.replace(/\W+/g, '-')}.json`;
      writeFileSync(
        join(dir, project),
        JSON.stringify({ compilerOptions: { ...COMMON, ...profile.options }, files: profile.files }),
      );
      const output = await run(process.execPath, [TSC, '-p', project, '--pretty', 'false'], {
        cwd: dir,
        timeout: 120_000,
      }).then(
        (r) => r.stdout + r.stderr,
        (error: unknown) => {
          const e = error as { stdout?: string; stderr?: string; message: string };
          return `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message;
        },
      );
      expect(output).toBe('');
    },
    120_000,
  );
});

// A consumer project that imports every entry point of the built package, compiled by the repo's
// TypeScript under each module resolution a user may have: node10 (`"moduleResolution": "node"`,
// CommonJS), node16 (a CommonJS and an ES module file) and bundler. The library target is ES2020
// and `skipLibCheck` is off, so the published declarations may need nothing newer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, makeConsumer } from './consumer.js';

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

let consumer: Consumer | undefined;

describe('published types — a consumer project', () => {
  beforeAll(() => {
    consumer = makeConsumer('breakwater-consumer-');
    for (const file of ['consumer.ts', 'consumer.cts', 'consumer.mts']) consumer.write(file, CONSUMER);
  }, 240_000);

  afterAll(() => consumer?.remove());

  it.each(Object.keys(PROFILES))(
    'tsc — every entry point resolves and type-checks under %s',
    async (name) => {
      const profile = PROFILES[name]!;
      const output = await consumer!.tsc(name, { ...COMMON, ...profile.options }, profile.files);
      expect(output).toBe('');
    },
    120_000,
  );
});

// docs/contract.md §7.3, "Arguments are checked where they enter": every policy that takes a caller's signal
// answers one that is not an AbortSignal with a rejected TypeError naming `signal`.
import { describe, expect, it, vi } from 'vitest';
import { fault } from '../../src/chaos/index.js';
import type { ExecuteOptions } from '../../src/core/policy.js';
import {
  bulkhead,
  fallback,
  pipeline,
  queueForLater,
  retry,
  staleCache,
  timeout,
} from '../../src/policies/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { noSyncThrow } from '../breaker/helpers.js';

type Run = (fn: () => Promise<string>, options: ExecuteOptions) => Promise<unknown>;

const clock = new FakeClock();
const subjects: Record<string, Run> = {
  timeout: (fn, o) => timeout(1_000, { clock }).execute(fn, o),
  retry: (fn, o) => retry({ clock }).execute(fn, o),
  bulkhead: (fn, o) => bulkhead({ maxConcurrent: 1, clock }).execute(fn, o),
  fallback: (fn, o) => fallback('answer').execute(fn, o),
  staleCache: (fn, o) => staleCache({ ttl: 1_000, clock }).execute(fn, { ...o, key: 'k' }),
  'staleCache.forKey': (fn, o) => staleCache({ ttl: 1_000, clock }).forKey('k').execute(fn, o),
  queueForLater: (fn, o) => queueForLater({ replay: () => undefined }).execute(fn, { ...o, payload: 1 }),
  'queueForLater.forPayload': (fn, o) =>
    queueForLater({ replay: () => undefined })
      .forPayload(1)
      .execute(fn, o),
  pipeline: (fn, o) => pipeline(timeout(1_000, { clock })).execute(fn, o),
  chaos: (fn, o) => fault({ rate: 0, error: () => new Error('x') }).execute(fn, o),
};

describe('policies — signal argument', () => {
  for (const [name, run] of Object.entries(subjects)) {
    for (const bad of [null, {}, 'abort']) {
      it(`${name} execute — signal ${JSON.stringify(bad)} rejects with a TypeError naming signal; fn is not called`, async () => {
        const fn = vi.fn(() => Promise.resolve('ran'));
        const error = await noSyncThrow(() => run(fn, { signal: bad as unknown as AbortSignal })).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toMatch(/signal must be an AbortSignal/);
        expect(fn).not.toHaveBeenCalled();
      });
    }

    it(`${name} execute — signal undefined means no signal`, async () => {
      await expect(run(() => Promise.resolve('ran'), { signal: undefined })).resolves.toBe('ran');
    });
  }

  // Subjects that hand the caller's options object itself to the policy (the others spread it in this file).
  const direct = [
    'timeout',
    'retry',
    'bulkhead',
    'fallback',
    'staleCache.forKey',
    'queueForLater.forPayload',
    'pipeline',
    'chaos',
  ];
  for (const name of direct) {
    it(`${name} execute — a signal getter that throws rejects with that error; fn is not called`, async () => {
      const boom = new Error('getter');
      const options = {
        get signal(): AbortSignal {
          throw boom;
        },
      };
      const fn = vi.fn(() => Promise.resolve('ran'));
      const error = await noSyncThrow(() => subjects[name]!(fn, options)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBe(boom);
      expect(fn).not.toHaveBeenCalled();
    });
  }

  it('queueForLater execute — options null rejects with a TypeError naming payload', async () => {
    const queue = queueForLater({ replay: () => undefined });
    const error = await noSyncThrow(() => queue.execute(() => Promise.resolve('ran'), null as never)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/needs a payload/);
  });

  it('queueForLater drain — signal null rejects with a TypeError naming signal', async () => {
    const queue = queueForLater({ replay: () => undefined });
    const error = await queue.drain({ signal: null as unknown as AbortSignal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/signal/);
  });
});

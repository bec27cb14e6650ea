// execute never throws synchronously, whatever `fn` does or returns, and every call it admits
// leaves `inFlight` again: a promise whose `then` throws fails the call, a thenable that settles
// twice is settled once, and nothing rejects unhandled later.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CircuitBreakerOptions } from '../../src/index.js';
import type { Protected } from '../../src/core/policy.js';
import { bulkhead, fallback, retry, timeout } from '../../src/policies/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { makeBreaker, noSyncThrow } from './helpers.js';

/** A Promise subclass whose `then` throws (the case reported against `execute`). */
class ThenThrows<T> extends Promise<T> {
  override then(): never {
    throw new Error('then broke');
  }
}

/** How `promise` settled, awaited (as callers do) rather than through its own `then`. */
async function outcome(promise: Promise<unknown>): Promise<{ value: unknown } | { error: string }> {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** A native promise with an own `then` that throws. */
function ownThenThrows(): Promise<number> {
  const p = Promise.resolve(1);
  // eslint-disable-next-line @typescript-eslint/no-floating-promises -- defines `then`, calls nothing
  Object.defineProperty(p, 'then', {
    value: () => {
      throw new Error('then broke');
    },
  });
  return p;
}

type Expected = { value: unknown } | { error: string };
interface Case {
  fn: Protected<unknown>;
  expected: Expected;
  counted: 'success' | 'failure';
  /** What an untimed call answers, when it differs. */
  untimed?: { expected: Expected; counted: 'success' | 'failure' };
}
const cases: Record<string, Case> = {
  'a Promise subclass whose then throws': {
    fn: () => new ThenThrows<number>((resolve) => resolve(1)),
    expected: { error: 'then broke' },
    counted: 'failure',
  },
  'a native promise with an own then that throws': {
    fn: ownThenThrows,
    // A timed call attaches its handlers with the promise's own `then`; an untimed call returns
    // the promise itself and observes it with the built-in `then`, never calling the own one.
    expected: { error: 'then broke' },
    counted: 'failure',
    untimed: { expected: { value: 1 }, counted: 'success' },
  },
  'a thenable whose then throws': {
    fn: () => ({
      then() {
        throw new Error('then broke');
      },
    }),
    expected: { error: 'then broke' },
    counted: 'failure',
  },
  'a thenable that resolves, then rejects and resolves again': {
    fn: () => ({
      then(resolve: (v: unknown) => void, reject: (e: unknown) => void) {
        resolve('first');
        reject(new Error('second'));
        resolve('third');
      },
    }),
    expected: { value: 'first' },
    counted: 'success',
  },
  'a thenable that resolves and then throws': {
    fn: () => ({
      then(resolve: (v: unknown) => void) {
        resolve('first');
        throw new Error('after resolving');
      },
    }),
    expected: { value: 'first' },
    counted: 'success',
  },
  'a synchronous throw': {
    fn: () => {
      throw new Error('sync');
    },
    expected: { error: 'sync' },
    counted: 'failure',
  },
  'a plain value': { fn: () => 42, expected: { value: 42 }, counted: 'success' },
};

const configs: Record<string, CircuitBreakerOptions> = {
  'timeout 1000': { timeout: 1_000 },
  'timeout false': { timeout: false },
  'timeout false, fallback': { timeout: false, fallback: () => 'fallback' },
  'timeout 1000, fallback': { timeout: 1_000, fallback: () => 'fallback' },
};

describe('execute — odd functions', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  for (const [configName, options] of Object.entries(configs)) {
    for (const [caseName, c] of Object.entries(cases)) {
      it(`execute — ${caseName} (${configName})`, async () => {
        const { expected, counted } = options.timeout === false && c.untimed !== undefined ? c.untimed : c;
        const { breaker, clock } = makeBreaker({ ...options, failureThreshold: 100 });
        const answer = await outcome(noSyncThrow(() => breaker.execute(c.fn)));
        const withFallback = options.fallback !== undefined && 'error' in expected;
        expect(answer).toEqual(withFallback ? { value: 'fallback' } : expected);
        expect(breaker.stats.inFlight).toBe(0);
        expect(breaker.stats.totals).toMatchObject(
          counted === 'success' ? { successes: 1, failures: 0 } : { successes: 0, failures: 1 },
        );
        clock.advance(2_000); // past any deadline: nothing is left to time out
        expect(breaker.stats.totals.timeouts).toBe(0);
        await new Promise((resolve) => setImmediate(resolve)); // an unhandled rejection is reported by now
        expect(unhandled).toEqual([]);
      });
    }
  }

  it('execute — a thenable that never settles times out and leaves inFlight at 0', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 1_000 });
    const call = noSyncThrow(() => breaker.execute(() => ({ then: () => undefined })));
    expect(breaker.stats.inFlight).toBe(1);
    clock.advance(1_000);
    await expect(call).rejects.toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(breaker.stats.inFlight).toBe(0);
  });

  const clock = new FakeClock();
  const policies: Record<string, (fn: Protected<unknown>) => Promise<unknown>> = {
    timeout: (fn) => timeout(1_000, { clock }).execute(fn),
    retry: (fn) => retry({ maxAttempts: 1, clock }).execute(fn),
    bulkhead: (fn) => bulkhead({ maxConcurrent: 1, clock }).execute(fn),
    fallback: (fn) => fallback('fallback').execute(fn),
  };
  for (const [name, run] of Object.entries(policies)) {
    it(`${name} execute — a Promise subclass whose then throws rejects (or falls back), never throws`, async () => {
      const answer = await noSyncThrow(() => run(() => new ThenThrows<number>((resolve) => resolve(1)))).then(
        (value: unknown) => value,
        (error: unknown) => (error as Error).message,
      );
      expect(answer).toBe(name === 'fallback' ? 'fallback' : 'then broke');
      clock.advance(2_000);
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    });
  }
});

import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { BulkheadFullError, CircuitOpenError } from '../../src/index.js';
import { constant, exponential, retry, RetryBudget } from '../../src/policies/index.js';
import { FakeClock, seededRandom, settle } from '../../src/testing/index.js';

/** A function failing `failures` times, then answering `'ok'`. */
function flaky(failures: number, error: () => unknown = () => new Error('boom')) {
  let calls = 0;
  const fn = async () => {
    calls++;
    if (calls <= failures) throw error();
    return 'ok';
  };
  return { fn, calls: () => calls };
}

describe('retry', () => {
  it('execute — retries after the backoff delay and resolves', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 3, backoff: constant(100), clock });
    const { fn, calls } = flaky(2);
    const p = policy.execute(fn);
    await clock.advanceAsync(0);
    expect(calls()).toBe(1);
    await clock.advanceAsync(99);
    expect(calls()).toBe(1);
    await clock.advanceAsync(1);
    expect(calls()).toBe(2);
    await clock.advanceAsync(100);
    await expect(p).resolves.toBe('ok');
    expect(calls()).toBe(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — throws the last error after maxAttempts', async () => {
    const clock = new FakeClock();
    let n = 0;
    const policy = retry({ maxAttempts: 3, backoff: constant(10), clock });
    const p = policy.execute(async () => {
      throw new Error(`failure ${++n}`);
    });
    const caught = p.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await caught).toMatchObject({ message: 'failure 3' });
  });

  it('execute — reports each retry and the give-up', async () => {
    const clock = new FakeClock();
    const seen: unknown[] = [];
    const policy = retry({
      maxAttempts: 3,
      backoff: exponential({ initial: 100, jitter: 'none' }),
      clock,
      onRetry: (e) => seen.push({ attempt: e.attempt, delayMs: e.delayMs }),
    });
    const gaveUp: unknown[] = [];
    policy.on('giveUp', (e) => gaveUp.push({ attempts: e.attempts, reason: e.reason }));
    const caught = policy.execute(flaky(5).fn).catch((e: unknown) => e);
    await clock.advanceAsync(1_000);
    await caught;
    expect(seen).toEqual([
      { attempt: 1, delayMs: 100 },
      { attempt: 2, delayMs: 200 },
    ]);
    expect(gaveUp).toEqual([{ attempts: 3, reason: 'attempts' }]);
  });

  it('execute — never retries CircuitOpenError or BulkheadFullError', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 5, backoff: constant(0), clock });
    const open = flaky(9, () => new CircuitOpenError('db', 'open', 1_000));
    await expect(policy.execute(open.fn)).rejects.toBeInstanceOf(CircuitOpenError);
    expect(open.calls()).toBe(1);
    const full = flaky(9, () => new BulkheadFullError('pool', 1, 0));
    await expect(policy.execute(full.fn)).rejects.toBeInstanceOf(BulkheadFullError);
    expect(full.calls()).toBe(1);
  });

  it('execute — retryOn decides, and receives the attempt number', async () => {
    const attempts: number[] = [];
    const policy = retry({
      maxAttempts: 5,
      backoff: constant(0),
      retryOn: (error, attempt) => {
        attempts.push(attempt);
        return (error as Error).message !== 'fatal';
      },
    });
    let n = 0;
    const p = policy.execute(async () => {
      n++;
      throw new Error(n < 3 ? 'transient' : 'fatal');
    });
    await expect(p).rejects.toThrow('fatal');
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('execute — a caller abort during the delay rejects at once with the reason and clears the timer', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 3, backoff: constant(60_000), clock });
    const controller = new AbortController();
    const { fn, calls } = flaky(5);
    const caught = policy.execute(fn, { signal: controller.signal }).catch((e: unknown) => e);
    await clock.advanceAsync(10);
    expect(clock.pendingTimers).toBe(1);
    const reason = new Error('caller gave up');
    controller.abort(reason);
    expect(await caught).toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    expect(calls()).toBe(1);
  });

  it('execute — a caller abort during an attempt is not retried', async () => {
    const policy = retry({ maxAttempts: 5, backoff: constant(0) });
    const controller = new AbortController();
    let calls = 0;
    const p = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => {
          calls++;
          signal.addEventListener('abort', () => reject(new Error('aborted work')));
        }),
      { signal: controller.signal },
    );
    controller.abort('stop');
    await expect(p).rejects.toBe('stop');
    expect(calls).toBe(1);
  });

  it('execute — an already aborted signal never calls the function', async () => {
    let calls = 0;
    await expect(
      retry().execute(
        async () => {
          calls++;
        },
        { signal: AbortSignal.abort('no') },
      ),
    ).rejects.toBe('no');
    expect(calls).toBe(0);
  });

  it('execute — the budget refuses retries beyond ratio × calls + floor and throws the last error', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 0, window: 10_000, clock });
    const policy = retry({ maxAttempts: 3, backoff: constant(0), budget, clock });
    let attempts = 0;
    const failing = async () => {
      attempts++;
      throw new Error('down');
    };
    for (let i = 0; i < 100; i++) await expect(policy.execute(failing)).rejects.toThrow('down');
    // Without a budget: 300 attempts. With it: 100 calls + at most 20 retries.
    expect(attempts).toBeLessThanOrEqual(120);
    expect(attempts).toBeGreaterThan(100);
    expect(budget.counts.retries).toBeLessThanOrEqual(0.2 * budget.counts.calls);
  });

  it('execute — budget: true uses the defaults on the policy clock', async () => {
    const clock = new FakeClock();
    const policy = retry({ budget: true, clock, backoff: constant(0) });
    expect(policy.budget?.ratio).toBe(0.2);
    expect(policy.budget?.floor).toBe(30);
  });

  it('execute — jittered delays come from the injected random', async () => {
    const delays = async (seed: number) => {
      const clock = new FakeClock();
      const out: number[] = [];
      const policy = retry({
        maxAttempts: 4,
        clock,
        random: seededRandom(seed),
        onRetry: (e) => out.push(e.delayMs),
      });
      const caught = policy.execute(flaky(9).fn).catch(() => undefined);
      await clock.advanceAsync(60_000);
      await caught;
      return out;
    };
    const a = await delays(7);
    expect(a).toHaveLength(3);
    expect(await delays(7)).toEqual(a);
    expect(await delays(8)).not.toEqual(a);
  });

  it('wrap — passes arguments and this', async () => {
    const policy = retry({ backoff: constant(0) });
    const obj = {
      base: 40,
      add: policy.wrap(function (this: { base: number }, n: number) {
        return this.base + n;
      }),
    };
    await expect(obj.add(2)).resolves.toBe(42);
  });

  it('retry — validates options and names each bad one', () => {
    expect(() =>
      retry({ maxAttempts: 0, backoff: 5 as never, retryOn: 'x' as never, typo: 1 } as never),
    ).toThrow(/typo is not a known option.*maxAttempts must be.*backoff must be.*retryOn must be/);
    expect(() => retry({ maxAttempts: Infinity })).toThrow(/finite unless a budget/);
    expect(() => retry({ maxAttempts: Infinity, budget: true })).not.toThrow();
  });
});

describe('retry — give-up reasons, backoff inputs, callbacks', () => {
  let emitWarning: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    emitWarning.mockRestore();
  });

  it('execute — names each give-up reason: not-retryable for breaker and bulkhead refusals and retryOn', async () => {
    const reasons: unknown[] = [];
    const policy = retry({
      maxAttempts: 5,
      backoff: constant(0),
      retryOn: (e) => (e as Error).message !== 'fatal',
    });
    policy.on('giveUp', (e) => reasons.push([e.attempts, e.reason, (e.error as Error).message]));
    await policy.execute(flaky(9, () => new CircuitOpenError('db', 'open', 1_000)).fn).catch(() => undefined);
    await policy.execute(flaky(9, () => new BulkheadFullError('pool', 1, 0)).fn).catch(() => undefined);
    await policy.execute(flaky(9, () => new Error('fatal')).fn).catch(() => undefined);
    expect(reasons).toEqual([
      [1, 'not-retryable', 'circuit "db" is open (probes admitted in 1000 ms)'],
      [1, 'not-retryable', 'bulkhead "pool" is full (1 running, queue 0)'],
      [1, 'not-retryable', 'fatal'],
    ]);
  });

  it('execute — a budget that refuses ends the call with reason budget, after the attempts it granted', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0, minRetriesPerSecond: 0.2, window: 10_000, clock });
    const policy = retry({ maxAttempts: 5, backoff: constant(0), budget, clock });
    const gaveUp: unknown[] = [];
    policy.on('giveUp', (e) => gaveUp.push({ attempts: e.attempts, reason: e.reason }));
    const { fn, calls } = flaky(9);
    await expect(policy.execute(fn)).rejects.toThrow('boom');
    // The floor is 2 retries in the window: attempts 1, 2 and 3, then the budget says no.
    expect(calls()).toBe(3);
    expect(gaveUp).toEqual([{ attempts: 3, reason: 'budget' }]);
    expect(budget.counts).toEqual({ calls: 1, retries: 2 });
  });

  it('execute — a retryOn that throws gives up with the original error and warns naming the policy', async () => {
    const broke = new Error('predicate broke');
    const policy = retry({
      name: 'orders',
      maxAttempts: 5,
      backoff: constant(0),
      retryOn: () => {
        throw broke;
      },
    });
    const gaveUp: unknown[] = [];
    policy.on('giveUp', (e) => gaveUp.push(e.reason));
    const { fn, calls } = flaky(9);
    await expect(policy.execute(fn)).rejects.toThrow('boom');
    expect(calls()).toBe(1);
    expect(gaveUp).toEqual(['not-retryable']);
    const warnings = emitWarning.mock.calls.map(([message]) => String(message));
    expect(warnings).toHaveLength(1);
    expect(emitWarning.mock.calls[0]?.[1]).toEqual({
      type: 'BreakwaterWarning',
      code: 'BREAKWATER_CALLBACK',
    });
    expect(warnings[0]).toBe(
      `breakwater: retryOn of "orders" threw; the error is not retried: ${broke.stack}`,
    );
  });

  it('execute — a backoff function gets the attempt, the injected random and the previous delay', async () => {
    const clock = new FakeClock();
    const random = () => 0.25;
    const seen: unknown[] = [];
    const policy = retry({
      maxAttempts: 4,
      clock,
      random,
      backoff: (attempt, r, previousMs) => {
        seen.push([attempt, r === random, previousMs]);
        return previousMs + 10;
      },
    });
    const caught = policy.execute(flaky(9).fn).catch(() => undefined);
    await clock.advanceAsync(100);
    await caught;
    expect(seen).toEqual([
      [1, true, 0],
      [2, true, 10],
      [3, true, 20],
    ]);
  });

  it('execute — a backoff object is called as a method with the same arguments', async () => {
    const clock = new FakeClock();
    const seen: unknown[] = [];
    const backoff = {
      name: 'recording',
      step: 7,
      delay(this: { step: number }, attempt: number, _random: unknown, previousMs: number): number {
        seen.push([attempt, previousMs]);
        return previousMs + this.step;
      },
    };
    const policy = retry({ maxAttempts: 3, clock, backoff });
    const caught = policy.execute(flaky(9).fn).catch(() => undefined);
    await clock.advanceAsync(100);
    await caught;
    expect(seen).toEqual([
      [1, 0],
      [2, 7],
    ]);
  });

  it('execute — a backoff returning NaN, Infinity or a negative retries at once; one past the timer limit waits the limit', async () => {
    const delays = async (value: number) => {
      const clock = new FakeClock();
      const out: number[] = [];
      const policy = retry({
        maxAttempts: 2,
        clock,
        backoff: () => value,
        onRetry: (e) => out.push(e.delayMs),
      });
      const { fn, calls } = flaky(1);
      const p = policy.execute(fn);
      await settle();
      return { out, calls: calls(), timers: clock.pendingTimers, p, clock };
    };
    // -0 too: it is reported as 0.
    for (const value of [Number.NaN, Infinity, -Infinity, -5, -0]) {
      const r = await delays(value);
      expect(r.out).toEqual([0]);
      expect(r.calls).toBe(2);
      expect(r.timers).toBe(0);
      await expect(r.p).resolves.toBe('ok');
    }
    const huge = await delays(2 ** 40);
    expect(huge.out).toEqual([2 ** 31 - 1]);
    expect(huge.calls).toBe(1);
    await huge.clock.advanceAsync(2 ** 31 - 2);
    expect(huge.calls).toBe(1);
    await huge.clock.advanceAsync(1);
    await expect(huge.p).resolves.toBe('ok');
  });

  it('execute — a zero delay retries at once, without a timer', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 3, backoff: constant(0), clock });
    const { fn, calls } = flaky(2);
    const p = policy.execute(fn);
    await settle();
    expect(calls()).toBe(3);
    expect(clock.pendingTimers).toBe(0);
    await expect(p).resolves.toBe('ok');
  });

  it('execute — the budget counts each call once, not each attempt', async () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 1, minRetriesPerSecond: 0, clock });
    const policy = retry({ maxAttempts: 3, backoff: constant(0), budget, clock });
    await expect(policy.execute(flaky(1).fn)).resolves.toBe('ok');
    await expect(policy.execute(flaky(1).fn)).resolves.toBe('ok');
    expect(budget.counts).toEqual({ calls: 2, retries: 2 });
  });

  it('execute — budget options are merged with the policy clock', async () => {
    const clock = new FakeClock();
    const policy = retry({
      maxAttempts: 3,
      backoff: constant(0),
      budget: { ratio: 0, minRetriesPerSecond: 0.1, window: 10_000 },
      clock,
    });
    const failing = () => Promise.reject(new Error('down'));
    await expect(policy.execute(failing)).rejects.toThrow('down');
    expect(policy.budget?.counts).toEqual({ calls: 1, retries: 1 });
    // The window runs on the policy clock: retries are counted over one bucket more than the window.
    clock.advance(10_000);
    expect(policy.budget?.counts).toEqual({ calls: 0, retries: 1 });
    clock.advance(1_000);
    expect(policy.budget?.counts).toEqual({ calls: 0, retries: 0 });
  });

  it('execute — budget: true counts on the policy clock', async () => {
    const clock = new FakeClock();
    const policy = retry({ maxAttempts: 2, backoff: constant(0), budget: true, clock });
    await expect(policy.execute(flaky(1).fn)).resolves.toBe('ok');
    expect(policy.budget?.counts).toEqual({ calls: 1, retries: 1 });
    clock.advance(11_000);
    expect(policy.budget?.counts).toEqual({ calls: 0, retries: 0 });
  });

  it('execute and wrap — a non-function is refused with a TypeError naming the policy', async () => {
    const policy = retry({ name: 'orders' });
    await expect(policy.execute('x' as never)).rejects.toThrow(
      new TypeError('retry "orders": execute(fn) needs a function'),
    );
    expect(() => policy.wrap(1 as never)).toThrow(new TypeError('retry "orders": wrap(fn) needs a function'));
  });

  it('execute — a bad signal is refused with a TypeError naming the policy and the argument', async () => {
    await expect(retry({ name: 'orders' }).execute(async () => 1, { signal: {} as never })).rejects.toThrow(
      new TypeError(
        'retry "orders": execute(fn, { signal }): signal must be an AbortSignal or undefined (got an empty object)',
      ),
    );
  });
});

import { describe, expect, it } from 'vitest';
import { BulkheadFullError, CircuitOpenError } from '../../src/index.js';
import { constant, exponential, retry, RetryBudget } from '../../src/policies/index.js';
import { FakeClock, seededRandom } from '../../src/testing/index.js';

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

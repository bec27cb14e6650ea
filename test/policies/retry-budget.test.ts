import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetryBudget } from '../../src/policies/index.js';
import { FakeClock } from '../../src/testing/index.js';

describe('RetryBudget', () => {
  it('tryRetry — allows the floor with no calls, then refuses', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.2, minRetriesPerSecond: 1, window: 3_000, clock });
    expect([1, 2, 3, 4].map(() => budget.tryRetry())).toEqual([true, true, true, false]);
  });

  it('tryRetry — allows ratio × calls on top of the floor', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 0.5, minRetriesPerSecond: 0, clock });
    for (let i = 0; i < 10; i++) budget.recordCall();
    let allowed = 0;
    while (budget.tryRetry()) allowed++;
    expect(allowed).toBe(5);
    expect(budget.counts).toEqual({ calls: 10, retries: 5 });
  });

  it('tryRetry — calls and retries leave the window as time passes', () => {
    const clock = new FakeClock();
    const budget = new RetryBudget({ ratio: 1, minRetriesPerSecond: 0, window: 1_000, clock });
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    expect(budget.tryRetry()).toBe(false);
    clock.advance(1_100);
    expect(budget.counts).toEqual({ calls: 0, retries: 0 });
    expect(budget.tryRetry()).toBe(false);
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
  });

  it('tryRetry — a clock that steps back does not move the window back', () => {
    let now = 5_000;
    const fake = new FakeClock();
    const clock = {
      now: () => now,
      setTimeout: fake.setTimeout.bind(fake),
      clearTimeout: fake.clearTimeout.bind(fake),
    };
    const budget = new RetryBudget({ ratio: 1, minRetriesPerSecond: 0, window: 1_000, clock });
    budget.recordCall();
    expect(budget.tryRetry()).toBe(true);
    now = 0;
    budget.recordCall();
    expect(budget.counts).toEqual({ calls: 2, retries: 1 });
    now = 5_000;
    // Back at the time of the first records: nothing recorded meanwhile has been dropped.
    expect(budget.counts).toEqual({ calls: 2, retries: 1 });
    now = 5_900;
    expect(budget.counts).toEqual({ calls: 2, retries: 1 });
    now = 6_000;
    expect(budget.counts).toEqual({ calls: 0, retries: 1 });
    now = 6_100;
    expect(budget.counts).toEqual({ calls: 0, retries: 0 });
  });

  it('counts — calls cover the last window, retries one bucket more, bucket by bucket', () => {
    const clock = new FakeClock(12_345);
    const budget = new RetryBudget({ ratio: 1, minRetriesPerSecond: 10, window: 1_000, clock });
    const seen: unknown[] = [];
    for (let i = 0; i < 14; i++) {
      budget.recordCall();
      budget.tryRetry();
      seen.push([budget.counts.calls, budget.counts.retries]);
      clock.advance(100);
    }
    // A record made at 12 345 sits in the bucket [12 300, 12 400): calls leave the window after
    // ten buckets, retries after eleven.
    expect(seen).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
      [4, 4],
      [5, 5],
      [6, 6],
      [7, 7],
      [8, 8],
      [9, 9],
      [10, 10],
      [10, 11],
      [10, 11],
      [10, 11],
      [10, 11],
    ]);
  });

  it('RetryBudget — validates its options together', () => {
    expect(() => new RetryBudget({ ratio: -1, window: 0, minRetriesPerSecond: Number.NaN })).toThrow(
      /ratio.*minRetriesPerSecond.*window/,
    );
  });

  it('tryRetry — property: at every granted retry, retries in the exact last window ≤ ratio × calls + floor', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('call' as const), dt: fc.integer({ min: 0, max: 700 }) }),
      fc.record({ kind: fc.constant('retry' as const), dt: fc.integer({ min: 0, max: 700 }) }),
    );
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 2, noNaN: true }),
        fc.integer({ min: 0, max: 5 }),
        fc.integer({ min: 100, max: 5_000 }),
        fc.array(op, { maxLength: 300 }),
        (ratio, minRetriesPerSecond, window, ops) => {
          const clock = new FakeClock(1_000_000);
          const budget = new RetryBudget({ ratio, minRetriesPerSecond, window, clock });
          const floor = (minRetriesPerSecond * window) / 1000;
          const calls: number[] = [];
          const retries: number[] = [];
          for (const { kind, dt } of ops) {
            clock.advance(dt);
            const now = clock.now();
            if (kind === 'call') {
              budget.recordCall();
              calls.push(now);
            } else if (budget.tryRetry()) {
              retries.push(now);
              const inWindow = (t: number) => t > now - window && t <= now;
              const r = retries.filter(inWindow).length;
              const c = calls.filter(inWindow).length;
              expect(r).toBeLessThanOrEqual(ratio * c + floor + 1e-9);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

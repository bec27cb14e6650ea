import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constant, decorrelatedJitter, exponential } from '../../src/policies/index.js';

const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });
const randomFrom = (values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

describe('constant', () => {
  it('constant — returns the same delay for every attempt', () => {
    const b = constant(250);
    expect([1, 2, 10].map((n) => b.delay(n, () => 0.5, 0))).toEqual([250, 250, 250]);
  });

  it('constant — rejects a negative delay', () => {
    expect(() => constant(-1)).toThrow(/ms must be/);
  });
});

describe('exponential', () => {
  it('exponential — without jitter doubles from initial up to max', () => {
    const b = exponential({ initial: 100, max: 1_000, jitter: 'none' });
    expect([1, 2, 3, 4, 5, 6].map((n) => b.delay(n, () => 0.99, 0))).toEqual([
      100, 200, 400, 800, 1_000, 1_000,
    ]);
  });

  it('exponential — property: full jitter stays in [0, min(max, initial × multiplier^(n-1)))', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        unit,
        (initial, extra, multiplier, attempt, r) => {
          const max = initial + extra;
          const bound = Math.min(max, initial * multiplier ** (attempt - 1));
          const d = exponential({ initial, max, multiplier }).delay(attempt, () => r, 0);
          expect(d).toBeGreaterThanOrEqual(0);
          expect(d).toBeLessThanOrEqual(bound);
          if (bound > 0) expect(d).toBeLessThan(bound);
          expect(Number.isFinite(d)).toBe(true);
        },
      ),
    );
  });

  it('exponential — property: without jitter the delay is the bound and never decreases', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: 1, max: 200 }),
        (initial, extra, multiplier, attempt) => {
          const b = exponential({ initial, max: initial + extra, multiplier, jitter: 'none' });
          const d = b.delay(attempt, () => 0, 0);
          expect(d).toBe(Math.min(initial + extra, initial * multiplier ** (attempt - 1)));
          expect(b.delay(attempt + 1, () => 0, 0)).toBeGreaterThanOrEqual(d);
        },
      ),
    );
  });

  it('exponential — full jitter spreads delays over the whole range', () => {
    const b = exponential({ initial: 1_000, max: 1_000 });
    expect(b.delay(1, () => 0, 0)).toBe(0);
    expect(b.delay(1, () => 0.5, 0)).toBe(500);
  });

  it('exponential — reports every bad option at once', () => {
    expect(() => exponential({ initial: -1, max: Number.NaN, multiplier: 0.5 })).toThrow(
      /initial must be.*max must be.*multiplier must be/,
    );
    expect(() => exponential({ initial: 100, max: 10 })).toThrow(/max must be >= initial/);
    expect(() => exponential({ jitter: 'half' as 'full' })).toThrow(TypeError);
  });

  it('exponential and decorrelatedJitter — a max that is not a valid number is reported once', () => {
    expect(() => exponential({ initial: 100, max: -1 })).toThrow(
      new RangeError(
        'invalid exponential backoff options: max must be a finite number >= 0 <= 2147483647 (got -1)',
      ),
    );
    expect(() => decorrelatedJitter({ initial: 100, max: -1 })).toThrow(
      new RangeError(
        'invalid decorrelatedJitter backoff options: max must be a finite number >= 0 <= 2147483647 (got -1)',
      ),
    );
  });

  it('exponential — the multiplier sets the growth', () => {
    const b = exponential({ initial: 10, max: 10_000, multiplier: 3, jitter: 'none' });
    expect([1, 2, 3, 4].map((n) => b.delay(n, () => 0.5, 0))).toEqual([10, 30, 90, 270]);
    const jittered = exponential({ initial: 10, max: 10_000, multiplier: 3 });
    expect(jittered.delay(3, () => 0.5, 0)).toBe(45);
  });
});

describe('decorrelatedJitter', () => {
  it('decorrelatedJitter — property: each delay is in [initial, max] and ≤ 3 × the previous one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.array(unit, { minLength: 1, maxLength: 50 }),
        (initial, extra, draws) => {
          const max = initial + extra;
          const b = decorrelatedJitter({ initial, max });
          const random = randomFrom(draws);
          let previous = 0;
          for (let attempt = 1; attempt <= draws.length; attempt++) {
            const d = b.delay(attempt, random, previous);
            expect(d).toBeGreaterThanOrEqual(initial);
            expect(d).toBeLessThanOrEqual(max);
            expect(d).toBeLessThanOrEqual(3 * Math.max(previous, initial));
            previous = d;
          }
        },
      ),
    );
  });

  it('decorrelatedJitter — draws uniformly between initial and three times the previous delay, capped at max', () => {
    const b = decorrelatedJitter({ initial: 100, max: 10_000 });
    expect(b.delay(1, () => 0.5, 0)).toBe(200);
    expect(b.delay(2, () => 0, 1_000)).toBe(100);
    expect(b.delay(2, () => 0.5, 1_000)).toBe(1_550);
    expect(b.delay(3, () => 0.5, 50)).toBe(200);
    expect(b.delay(4, () => 0.99, 5_000)).toBe(10_000);
  });

  it('decorrelatedJitter — rejects max below initial', () => {
    expect(() => decorrelatedJitter({ initial: 500, max: 100 })).toThrow(RangeError);
  });
});

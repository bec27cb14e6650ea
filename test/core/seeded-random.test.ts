// seededRandom (mulberry32) is the source that makes jitter and fault injection repeatable: the
// same seed must give the same numbers on every platform, so its outputs are pinned here (the
// values were computed with an independent implementation of the algorithm).
import { describe, expect, it } from 'vitest';
import { seededRandom, systemRandom } from '../../src/index.js';

const take = (random: () => number, n: number): number[] => Array.from({ length: n }, () => random());

describe('seededRandom', () => {
  it('seededRandom — gives the mulberry32 sequence of its seed', () => {
    expect(take(seededRandom(0), 4)).toEqual([
      0.26642920868471265, 0.0003297457005828619, 0.2232720274478197, 0.1462021479383111,
    ]);
    expect(take(seededRandom(1), 4)).toEqual([
      0.6270739405881613, 0.002735721180215478, 0.5274470399599522, 0.9810509674716741,
    ]);
    expect(take(seededRandom(42), 4)).toEqual([
      0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693,
    ]);
  });

  it('seededRandom — seeds are taken as unsigned 32-bit integers: fractions truncate, negatives wrap', () => {
    expect(take(seededRandom(1.9), 4)).toEqual(take(seededRandom(1), 4));
    expect(take(seededRandom(-1), 4)).toEqual([
      0.8964226141106337, 0.189478256739676, 0.7156526781618595, 0.9440599093213677,
    ]);
    expect(take(seededRandom(-1), 4)).toEqual(take(seededRandom(2 ** 32 - 1), 4));
    expect(take(seededRandom(2 ** 32 + 5), 4)).toEqual(take(seededRandom(5), 4));
  });

  it('seededRandom — two generators with one seed are independent and repeat each other', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const first = take(a, 3);
    expect(take(b, 3)).toEqual(first);
    expect(take(a, 3)).not.toEqual(first);
  });

  it('seededRandom — every number lies in [0, 1)', () => {
    const random = seededRandom(123);
    for (let i = 0; i < 10_000; i++) {
      const x = random();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it('seededRandom — a seed that is not a finite number is a RangeError naming it', () => {
    for (const seed of [NaN, Infinity, -Infinity]) {
      expect(() => seededRandom(seed)).toThrow(
        new RangeError(`seededRandom: seed must be a finite number (got ${String(seed)})`),
      );
    }
  });
});

describe('systemRandom', () => {
  it('systemRandom — draws from Math.random', () => {
    const numbers = take(systemRandom, 100);
    expect(numbers.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(numbers).size).toBeGreaterThan(90);
  });
});

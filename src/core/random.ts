/**
 * Randomness as the library sees it: a function returning a float in [0, 1). Jitter, chaos
 * injection and lease ids read it, never `Math.random` directly, so a seeded source makes a run
 * repeatable.
 */
export type Random = () => number;

/** The real source of randomness. */
export const systemRandom: Random = () => Math.random();

/**
 * A small, fast, seedable generator (mulberry32). Same seed, same sequence, on every platform.
 * Not for cryptography.
 */
export function seededRandom(seed: number): Random {
  if (!Number.isFinite(seed))
    throw new RangeError(`seededRandom: seed must be a finite number (got ${String(seed)})`);
  let a = Math.trunc(seed) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

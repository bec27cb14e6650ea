import type { Window } from './window.js';

/**
 * A rolling time window of `buckets` equal buckets covering `duration` ms.
 *
 * Buckets are indexed by absolute bucket number (`floor(now / bucketMs)`) modulo the bucket count.
 * Running totals make reads free; moving time forward subtracts each bucket that drops out, so a
 * roll costs at most `buckets` steps however long the window or the idle period. The window
 * therefore covers between `duration - bucketMs` and `duration` of history: whole buckets drop
 * out as time moves.
 */
export class TimeWindow implements Window {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #bucketMs: number;
  readonly #size: number;
  // Three counters per bucket: [calls, failures, slow] * size. A plain array of small integers
  // (cheaper to make than a typed array, which lives off the heap), made on the first record so
  // that a breaker that never counts anything pays nothing for it.
  #counts: number[] | undefined;
  #head = -Infinity; // absolute number of the newest bucket
  #at = 0; // offset of the newest bucket in `#counts` (kept, so that recording needs no modulo)
  // A time below this is in the newest bucket or an older one, so it needs no division. It sits a
  // hair below the next bucket's start, so floating-point rounding never lets the two disagree:
  // times near the edge take the exact path.
  #edge = -Infinity;

  constructor(duration: number, buckets: number) {
    this.#size = buckets;
    this.#bucketMs = duration / buckets;
  }

  record(now: number, failure: boolean, slow: boolean): void {
    if (now >= this.#edge) this.roll(now);
    // A clock never runs backwards; should a time land in an older bucket, the newest one counts it.
    const at = this.#at;
    const counts = this.#counts ?? this.#allocate();
    counts[at] = (counts[at] ?? 0) + 1;
    this.calls++;
    if (failure) {
      counts[at + 1] = (counts[at + 1] ?? 0) + 1;
      this.failures++;
    }
    if (slow) {
      counts[at + 2] = (counts[at + 2] ?? 0) + 1;
      this.slowCalls++;
    }
  }

  recordUntimedSuccess(): boolean {
    const counts = this.#counts;
    if (counts === undefined) return false; // no time seen yet: the caller reads the clock
    const at = this.#at;
    counts[at] = (counts[at] ?? 0) + 1;
    this.calls++;
    return true;
  }

  roll(now: number): void {
    const bucket = Math.floor(now / this.#bucketMs);
    if (bucket > this.#head) this.#advance(bucket);
  }

  reset(): void {
    this.#counts?.fill(0);
    this.calls = this.failures = this.slowCalls = 0;
  }

  #allocate(): number[] {
    return (this.#counts = new Array<number>(this.#size * 3).fill(0));
  }

  /** Offset of bucket `b` in `#counts`. Times (and so bucket numbers) may be negative. */
  #slot(b: number): number {
    const i = b % this.#size;
    return (i < 0 ? i + this.#size : i) * 3;
  }

  #advance(bucket: number): void {
    const steps = bucket - this.#head;
    const counts = this.#counts;
    if (counts === undefined || steps >= this.#size) {
      this.reset();
    } else {
      for (let b = this.#head + 1; b <= bucket; b++) {
        const at = this.#slot(b);
        this.calls -= counts[at] ?? 0;
        this.failures -= counts[at + 1] ?? 0;
        this.slowCalls -= counts[at + 2] ?? 0;
        counts[at] = counts[at + 1] = counts[at + 2] = 0;
      }
    }
    this.#head = bucket;
    this.#at = this.#slot(bucket);
    const next = (bucket + 1) * this.#bucketMs;
    this.#edge = next - Math.abs(next) * 1e-9;
  }
}

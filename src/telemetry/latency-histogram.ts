/**
 * Latency percentiles over a sliding stretch of time in constant memory.
 *
 * Durations go into log-scale buckets, four per doubling (each bucket's upper bound is 19 %
 * above its lower bound), from 0.1 ms up to about 6 minutes; a percentile is read as the upper
 * bound of the bucket it falls in, clamped to the smallest and largest duration seen, so it is
 * never more than 19 % above the true value. Time is cut into sub-windows of `slotMs`; a query
 * merges the sub-windows that overlap the last `windowMs` (so it may reach up to one sub-window
 * further back), and a sub-window is cleared when its slot is reused. Memory: a fixed
 * (`windowMs / slotMs` + 1) × 89 counters, whatever the traffic.
 */

const MIN_MS = 0.1;
const PER_DOUBLING = 4;
const BUCKETS = 89; // bucket 88 holds everything above 0.1 ms × 2^22 (≈ 419 s)

/** The bucket of a duration in ms. */
function bucketOf(ms: number): number {
  if (!(ms > MIN_MS)) return 0;
  const i = Math.ceil(PER_DOUBLING * Math.log2(ms / MIN_MS));
  return i < BUCKETS - 1 ? i : BUCKETS - 1;
}

/** The upper bound of a bucket in ms. */
function upperBound(bucket: number): number {
  return MIN_MS * 2 ** (bucket / PER_DOUBLING);
}

/** Percentiles in ms; `null` when no call was timed in the window. */
export interface Percentiles {
  /** Timed calls the percentiles cover. */
  readonly count: number;
  /** Median duration, in ms (at most 19 % above the true value). */
  readonly p50: number | null;
  /** 90th percentile duration, in ms. */
  readonly p90: number | null;
  /** 99th percentile duration, in ms. */
  readonly p99: number | null;
  /** Longest duration, in ms (exact). */
  readonly max: number | null;
}

const EMPTY: Percentiles = Object.freeze({ count: 0, p50: null, p90: null, p99: null, max: null });

/** See the module comment. */
export class LatencyHistogram {
  readonly #slotMs: number;
  readonly #slots: number;
  readonly #counts: Uint32Array;
  readonly #epochs: Float64Array;
  readonly #min: Float64Array;
  readonly #max: Float64Array;
  readonly #merged = new Uint32Array(BUCKETS);

  /** Keeps the last `windowMs` (default one minute) in sub-windows of `slotMs` (default 10 s). */
  constructor(windowMs = 60_000, slotMs = 10_000) {
    if (!(slotMs > 0) || !(windowMs >= slotMs) || !Number.isFinite(windowMs))
      throw new RangeError(
        `LatencyHistogram: need windowMs >= slotMs > 0 (got windowMs ${String(windowMs)}, slotMs ${String(slotMs)})`,
      );
    this.#slotMs = slotMs;
    this.#slots = Math.ceil(windowMs / slotMs) + 1; // the current, partly filled one too
    this.#counts = new Uint32Array(this.#slots * BUCKETS);
    this.#epochs = new Float64Array(this.#slots).fill(Number.NEGATIVE_INFINITY);
    this.#min = new Float64Array(this.#slots);
    this.#max = new Float64Array(this.#slots);
  }

  /** Records a duration of `ms` that ended at clock time `now`. NaN and negative values are ignored. */
  record(now: number, ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    const epoch = Math.floor(now / this.#slotMs);
    const slot = epoch % this.#slots;
    if (this.#epochs[slot] !== epoch) {
      if (epoch < (this.#epochs[slot] ?? 0)) return; // from a sub-window already reused
      this.#epochs[slot] = epoch;
      this.#counts.fill(0, slot * BUCKETS, (slot + 1) * BUCKETS);
      this.#min[slot] = Infinity;
      this.#max[slot] = 0;
    }
    const at = slot * BUCKETS + bucketOf(ms);
    this.#counts[at] = (this.#counts[at] ?? 0) + 1;
    if (ms < (this.#min[slot] ?? Infinity)) this.#min[slot] = ms;
    if (ms > (this.#max[slot] ?? 0)) this.#max[slot] = ms;
  }

  /** p50, p90 and p99 of the durations recorded in the sub-windows overlapping `[now - windowMs, now]`. */
  percentiles(now: number): Percentiles {
    const current = Math.floor(now / this.#slotMs);
    const merged = this.#merged;
    merged.fill(0);
    let count = 0;
    let min = Infinity;
    let max = 0;
    for (let slot = 0; slot < this.#slots; slot++) {
      const epoch = this.#epochs[slot] ?? Number.NEGATIVE_INFINITY;
      if (epoch > current || epoch <= current - this.#slots) continue;
      const offset = slot * BUCKETS;
      for (let b = 0; b < BUCKETS; b++) {
        const n = this.#counts[offset + b] ?? 0;
        if (n === 0) continue;
        merged[b] = (merged[b] ?? 0) + n;
        count += n;
      }
      min = Math.min(min, this.#min[slot] ?? Infinity);
      max = Math.max(max, this.#max[slot] ?? 0);
    }
    if (count === 0) return EMPTY;
    // One pass finds all three ranks.
    const ranks = [0.5, 0.9, 0.99].map((q) => Math.max(1, Math.ceil(q * count)));
    const found = [max, max, max];
    let seen = 0;
    let next = 0;
    for (let b = 0; b < BUCKETS && next < 3; b++) {
      seen += merged[b] ?? 0;
      while (next < 3 && seen >= (ranks[next] ?? 0)) {
        found[next] = Math.min(max, Math.max(min, upperBound(b)));
        next++;
      }
    }
    return { count, p50: found[0] ?? max, p90: found[1] ?? max, p99: found[2] ?? max, max };
  }
}

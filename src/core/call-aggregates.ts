/**
 * Pre-aggregated call outcomes of one source: counts by outcome and, for each outcome that ran, a
 * fixed-bucket latency histogram with its sum, minimum and maximum. A source keeps one in place
 * while an aggregate reader subscribes to its stream (`telemetry.subscribe(listener, { aggregates:
 * true })`); exporters read it at scrape or collection time instead of an event per call.
 *
 * Layout of `data` (one Float64Array, so a source holds one object more, whatever the traffic):
 * the count of each outcome (in `OUTCOME_ORDER`), then for each timed outcome (the first four;
 * a rejected call does not run) its minimum, its maximum, then one count per bucket and one sum
 * (ms) per bucket. Per-bucket sums let a reader that must replay observations (OpenTelemetry)
 * record each bucket's mean, which keeps both the buckets and the sum exact.
 */
/** Default histogram bucket boundaries for call durations, in seconds (1 ms to 30 s). */
export const DURATION_BUCKETS_SECONDS: readonly number[] = Object.freeze([
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
]);

/** The outcomes (`CallOutcome`) in the order of their counts. */
export const OUTCOME_ORDER = Object.freeze(['success', 'failure', 'timeout', 'ignored', 'rejected'] as const);

const OUTCOMES = 5;
/** Outcomes with a histogram: all but `rejected`. */
const TIMED = 4;

/**
 * The most histogram boundaries a stream keeps, every aggregate reader's together: each counted
 * breaker holds a bucket per boundary (8 B each).
 */
const MAX_BOUNDARIES = 128;

/** The bucket boundaries of a stream's aggregates; replaced whole when a reader adds boundaries. */
export class AggregateLayout {
  /** Upper bounds in seconds, increasing; the last bucket (+Inf) is implied. */
  readonly boundsSeconds: readonly number[];
  /** The same in ms, compared with durations on the call path. */
  readonly boundsMs: Float64Array;

  constructor(boundsSeconds: readonly number[]) {
    this.boundsSeconds = Object.freeze([...boundsSeconds]);
    this.boundsMs = Float64Array.from(boundsSeconds, (s) => s * 1000);
  }

  /**
   * This layout with `more` boundaries added, or itself when it has them all. Refuses, with a
   * `RangeError` naming `where`, a layout of more than 128 boundaries: every
   * counted breaker keeps a bucket per boundary.
   */
  including(more: readonly number[], where = 'buckets'): AggregateLayout {
    const have = new Set(this.boundsSeconds);
    if (more.every((b) => have.has(b))) return this;
    const bounds = [...new Set([...this.boundsSeconds, ...more])].sort((a, b) => a - b);
    if (bounds.length > MAX_BOUNDARIES)
      throw new RangeError(
        `${where}: a stream's histograms have at most ${MAX_BOUNDARIES} boundaries, those of every aggregate reader together (these would make ${bounds.length})`,
      );
    return new AggregateLayout(bounds);
  }
}

/** See the module comment. */
export class CallAggregates {
  /** The bucket boundaries these counts use. */
  readonly layout: AggregateLayout;
  /** See the module comment for the layout; read through the methods below. */
  readonly data: Float64Array;
  readonly #buckets: number;

  constructor(layout: AggregateLayout) {
    this.layout = layout;
    this.#buckets = layout.boundsMs.length + 1;
    this.data = new Float64Array(OUTCOMES + TIMED * (2 + 2 * this.#buckets));
    for (let o = 0; o < TIMED; o++) {
      this.data[this.#base(o)] = Infinity;
      this.data[this.#base(o) + 1] = -Infinity;
    }
  }

  #base(outcome: number): number {
    return OUTCOMES + outcome * (2 + 2 * this.#buckets);
  }

  /**
   * Counts one call: `outcome` is its index in `OUTCOME_ORDER`, `durationMs` NaN when it did not
   * run or was not timed (counted, not in the histogram).
   */
  record(outcome: number, durationMs: number): void {
    const data = this.data;
    data[outcome] = (data[outcome] ?? 0) + 1;
    if (!(durationMs >= 0) || outcome >= TIMED) return;
    const bounds = this.layout.boundsMs;
    const n = bounds.length;
    let bucket = 0;
    while (bucket < n && durationMs > (bounds[bucket] ?? Infinity)) bucket++;
    const base = OUTCOMES + outcome * (2 + 2 * (n + 1));
    if (durationMs < (data[base] ?? 0)) data[base] = durationMs;
    if (durationMs > (data[base + 1] ?? 0)) data[base + 1] = durationMs;
    const at = base + 2 + bucket;
    data[at] = (data[at] ?? 0) + 1;
    data[at + n + 1] = (data[at + n + 1] ?? 0) + durationMs;
  }

  /** Calls with `outcome` (an index in `OUTCOME_ORDER`). */
  count(outcome: number): number {
    return this.data[outcome] ?? 0;
  }

  /** Timed calls with `outcome`, by bucket of `layout` (not cumulative; the last is +Inf). */
  bucketCounts(outcome: number): Float64Array {
    const base = this.#base(outcome) + 2;
    return this.data.subarray(base, base + this.#buckets);
  }

  /** Sum in ms of the durations in each bucket, parallel to `bucketCounts`. */
  bucketSums(outcome: number): Float64Array {
    const base = this.#base(outcome) + 2 + this.#buckets;
    return this.data.subarray(base, base + this.#buckets);
  }

  /** Shortest and longest timed call with `outcome` in ms (Infinity and -Infinity before the first). */
  extremes(outcome: number): readonly [min: number, max: number] {
    const base = this.#base(outcome);
    return [this.data[base] ?? Infinity, this.data[base + 1] ?? -Infinity];
  }

  /** A copy of the counts as they are now (a reader remembers what it already exported). */
  copy(): CallAggregates {
    const copy = new CallAggregates(this.layout);
    copy.data.set(this.data);
    return copy;
  }

  /**
   * The same counts in a layout with more boundaries (a reader asked for them). Exact at every
   * boundary the old layout had; calls counted before the change sit at the top of their old
   * bucket, so the new boundaries inside an old bucket see them only from then on.
   */
  relayout(layout: AggregateLayout): CallAggregates {
    const next = new CallAggregates(layout);
    const data = next.data;
    data.set(this.data.subarray(0, OUTCOMES));
    const newBounds = layout.boundsSeconds;
    const oldBounds = this.layout.boundsSeconds;
    for (let o = 0; o < TIMED; o++) {
      const base = next.#base(o);
      const [min, max] = this.extremes(o);
      data[base] = min;
      data[base + 1] = max;
      const counts = this.bucketCounts(o);
      const sums = this.bucketSums(o);
      for (let b = 0; b <= oldBounds.length; b++) {
        const bound = oldBounds[b];
        const to = bound === undefined ? newBounds.length : newBounds.indexOf(bound);
        data[base + 2 + to] = (data[base + 2 + to] ?? 0) + (counts[b] ?? 0);
        const sumAt = base + 2 + next.#buckets + to;
        data[sumAt] = (data[sumAt] ?? 0) + (sums[b] ?? 0);
      }
    }
    return next;
  }
}

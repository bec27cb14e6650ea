/**
 * Per-second call counts over the last `length` seconds, in fixed arrays: a ring indexed by the
 * second, so memory per breaker is constant whatever the traffic. Seconds are whole seconds of
 * the caller's clock (`Math.floor(ms / 1000)`); time only moves forward.
 */
import type { CallOutcome } from '../core/telemetry.js';

/** Counts per second, oldest first; the last entry is clock second `until`. */
export interface SecondCounts {
  /** Clock second of the last entry. */
  readonly until: number;
  /** Every call, rejected ones included. */
  readonly calls: number[];
  /** Failures and timeouts. */
  readonly failures: number[];
  /** Calls rejected without running (circuit not closed). */
  readonly rejected: number[];
}

/** A ring of per-second counters; see the module comment. */
export class SecondSeries {
  /** Seconds remembered. */
  readonly length: number;
  readonly #calls: Uint32Array;
  readonly #failures: Uint32Array;
  readonly #rejected: Uint32Array;
  /** The newest second with a slot; slots for older seconds hold their counts until reused. */
  #head = Number.NEGATIVE_INFINITY;

  constructor(length: number) {
    if (!Number.isInteger(length) || length < 1)
      throw new RangeError(`SecondSeries: length must be an integer >= 1 (got ${String(length)})`);
    this.length = length;
    this.#calls = new Uint32Array(length);
    this.#failures = new Uint32Array(length);
    this.#rejected = new Uint32Array(length);
  }

  /** Counts one call that ended at clock second `second`. */
  record(second: number, outcome: CallOutcome): void {
    this.#advance(second);
    if (second <= this.#head - this.length) return; // older than the ring remembers
    const at = this.#slot(second);
    this.#calls[at] = (this.#calls[at] ?? 0) + 1;
    if (outcome === 'failure' || outcome === 'timeout') this.#failures[at] = (this.#failures[at] ?? 0) + 1;
    else if (outcome === 'rejected') this.#rejected[at] = (this.#rejected[at] ?? 0) + 1;
  }

  /**
   * The `length` seconds ending at `second`, oldest first. Seconds without calls, and seconds
   * the ring no longer remembers, are 0.
   */
  counts(second: number): SecondCounts {
    const n = this.length;
    const calls = new Array<number>(n);
    const failures = new Array<number>(n);
    const rejected = new Array<number>(n);
    for (let i = 0, s = second - n + 1; i < n; i++, s++) {
      const known = s <= this.#head && s > this.#head - n;
      const at = this.#slot(s);
      calls[i] = known ? (this.#calls[at] ?? 0) : 0;
      failures[i] = known ? (this.#failures[at] ?? 0) : 0;
      rejected[i] = known ? (this.#rejected[at] ?? 0) : 0;
    }
    return { until: second, calls, failures, rejected };
  }

  /** Moves the head to `second`, clearing the slots of the seconds skipped over. */
  #advance(second: number): void {
    if (second <= this.#head) return;
    const from = Math.max(this.#head + 1, second - this.length + 1);
    for (let s = from; s <= second; s++) {
      const at = this.#slot(s);
      this.#calls[at] = 0;
      this.#failures[at] = 0;
      this.#rejected[at] = 0;
    }
    this.#head = second;
  }

  #slot(second: number): number {
    return ((second % this.length) + this.length) % this.length;
  }
}

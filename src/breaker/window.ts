/**
 * A window counts recent outcomes; it never decides anything (trip rules do). Three kinds
 * implement one interface: a time window of buckets, a count window of the last N calls, and a
 * consecutive-failure counter. Every operation is O(1) in the window's length (the time window
 * touches at most its bucket count when time jumps).
 */
export interface Window {
  /** Counted calls in the window. */
  readonly calls: number;
  /** Counted failures in the window. */
  readonly failures: number;
  /** Counted slow calls in the window. */
  readonly slowCalls: number;
  /** Records one outcome at time `now`. */
  record(now: number, failure: boolean, slow: boolean): void;
  /**
   * Counts a success without a clock reading, in the newest bucket the window has seen; returns
   * false when it cannot (a time window that has not seen a time yet). See `BreakerMachine.countUntimedSuccess`.
   */
  recordUntimedSuccess(): boolean;
  /** Forgets what has aged out by `now` (time windows only; others ignore it). */
  roll(now: number): void;
  /** Forgets everything. */
  reset(): void;
}

/** Window configuration as given in the breaker options. */
export type WindowOptions =
  | {
      /** A rolling time window: the calls of the last `duration` ms. */
      readonly type: 'time';
      /** Ms of history the window covers. */
      readonly duration: number;
      /** Equal buckets the duration is cut into (1 to 1000); whole buckets age out. Default `10`. */
      readonly buckets?: number;
    }
  | {
      /** A count window: the last `size` counted calls. */
      readonly type: 'count';
      /** Counted calls the window holds (1 to 1,000,000). */
      readonly size: number;
    }
  | {
      /** Consecutive failures: any counted success empties the window. Rate rules do not apply. */
      readonly type: 'consecutive';
    };

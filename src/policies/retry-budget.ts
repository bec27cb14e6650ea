/**
 * A retry budget (Envoy's `retry_budget`, Finagle's `RetryBudget`): retries are allowed only
 * while, over the last `window` ms, `retries ≤ ratio × calls + minRetriesPerSecond × window/1000`.
 * When a dependency fails for everyone, each call may still retry, but the fleet's retries stay a
 * fraction of its calls, so retries cannot multiply the load on a dependency that is down.
 *
 * The window is a ring of buckets (O(1) per call, fixed memory). Counting is conservative in both
 * directions: calls are counted over the buckets that lie wholly inside the last `window` ms (a
 * span of at most `window`), retries over one bucket more (a span of at least `window`), so the
 * rule holds for the exact sliding window ending at every retry, not just on average.
 */
import { brand, hasBrand } from '../core/brand.js';
import { type Clock, systemClock } from '../core/clock.js';
import { OptionChecker, checkClock } from '../core/validate.js';
import { checkObject } from './common.js';

/** Options of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Retries allowed per call in the window (`0.2`: one retry per five calls). Default `0.2`. */
  readonly ratio?: number;
  /** Retries allowed per second whatever the call rate (the floor for quiet periods). Default `3`. */
  readonly minRetriesPerSecond?: number;
  /** Length of the window, in ms. Default `10_000`. */
  readonly window?: number;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
}

const BUCKETS = 10;

/**
 * Counts calls and retries over a rolling window and answers whether one more retry fits.
 * Share one budget between the retry policies that call the same dependency.
 */
export class RetryBudget {
  /** Retries allowed per call. */
  readonly ratio: number;
  /** Retries allowed in any window whatever the call rate: `minRetriesPerSecond × window / 1000`. */
  readonly floor: number;
  /** Window length in ms. */
  readonly window: number;
  readonly #clock: Clock;
  readonly #width: number;
  // Ring of BUCKETS + 1 buckets; bucket k holds times in [k × width, (k + 1) × width).
  readonly #calls = new Array<number>(BUCKETS + 1).fill(0);
  readonly #retries = new Array<number>(BUCKETS + 1).fill(0);
  #current = 0; // absolute bucket number of the newest bucket

  constructor(options: RetryBudgetOptions = {}) {
    const check = new OptionChecker('RetryBudget');
    checkObject(check, options, ['ratio', 'minRetriesPerSecond', 'window', 'clock']);
    const { ratio = 0.2, minRetriesPerSecond = 3, window = 10_000, clock = systemClock } = options;
    check.number('ratio', ratio, { min: 0 });
    check.number('minRetriesPerSecond', minRetriesPerSecond, { min: 0 });
    check.number('window', window, { min: 0, minExclusive: true });
    checkClock(check, clock);
    check.throwIfAny();
    this.ratio = ratio;
    this.floor = (minRetriesPerSecond * window) / 1000;
    this.window = window;
    this.#clock = clock;
    this.#width = window / BUCKETS;
    this.#current = Math.floor(clock.now() / this.#width);
  }

  /** Records a call (a first attempt). */
  recordCall(): void {
    const i = this.#roll();
    this.#calls[i] = (this.#calls[i] ?? 0) + 1;
  }

  /** Takes one retry from the budget if it fits; false (and nothing recorded) when it does not. */
  tryRetry(): boolean {
    const i = this.#roll();
    const { calls, retries } = this.#counts();
    if (retries + 1 > this.ratio * calls + this.floor) return false;
    this.#retries[i] = (this.#retries[i] ?? 0) + 1;
    return true;
  }

  /** Calls and retries the rule sees now (calls over ≤ window, retries over ≥ window). */
  get counts(): {
    /** Calls recorded (first attempts) over at most the last `window` ms. */
    readonly calls: number;
    /** Retries taken over at least the last `window` ms. */
    readonly retries: number;
  } {
    this.#roll();
    return this.#counts();
  }

  #counts(): { calls: number; retries: number } {
    const oldest = (this.#current + 1) % (BUCKETS + 1); // the bucket one past the window
    let calls = 0;
    let retries = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      retries += this.#retries[i] ?? 0;
      if (i !== oldest) calls += this.#calls[i] ?? 0;
    }
    return { calls, retries };
  }

  /** Clears the buckets time has left behind; returns the ring index of the current bucket. */
  #roll(): number {
    const bucket = Math.floor(this.#clock.now() / this.#width);
    const steps = Math.min(bucket - this.#current, BUCKETS + 1);
    for (let s = 1; s <= steps; s++) {
      const i = (this.#current + s) % (BUCKETS + 1);
      this.#calls[i] = 0;
      this.#retries[i] = 0;
    }
    if (bucket > this.#current) this.#current = bucket;
    return this.#current % (BUCKETS + 1);
  }
}

brand(RetryBudget, 'RetryBudget');

/** True for a retry budget made by this copy of breakwater or another (ES module and CommonJS builds). */
export function isRetryBudget(value: unknown): value is RetryBudget {
  return hasBrand(value, 'RetryBudget');
}

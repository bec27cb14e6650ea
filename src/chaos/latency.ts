import { type Clock, MAX_TIMER_MS, systemClock } from '../core/clock.js';
import { delay } from '../core/delay.js';
import type { PolicyContext, Protected } from '../core/policy.js';
import { checkClock, OptionChecker } from '../core/validate.js';
import {
  callThrough,
  CHAOS_KEYS,
  type ChaosOptions,
  ChaosPolicy,
  checkChaosOptions,
  checkObject,
} from './chaos-policy.js';

/** Options of {@link latency}: give exactly one of `ms` and `msFn`. */
export interface LatencyOptions extends ChaosOptions {
  /** Delay added to each injected call, in ms. */
  readonly ms?: number;
  /** Computes the delay of each injected call, in ms (for spread-out latencies). */
  readonly msFn?: () => number;
  /** Time source for the delay. Default: the system clock. */
  readonly clock?: Clock;
}

/** A policy that delays a share of calls before running them. See {@link latency}. */
export class LatencyPolicy extends ChaosPolicy {
  readonly #delay: () => number;
  readonly #clock: Clock;

  constructor(options: LatencyOptions) {
    const check = new OptionChecker('latency');
    checkObject(check, options);
    check.knownKeys(options, [...CHAOS_KEYS, 'ms', 'msFn', 'clock']);
    const shared = checkChaosOptions(check, options);
    const { ms, msFn } = options;
    if ((ms === undefined) === (msFn === undefined)) {
      check.fail('ms', ms, 'given, or else msFn, but not both', 'type');
    } else if (ms !== undefined) {
      check.number('ms', ms, { min: 0, max: MAX_TIMER_MS });
    } else {
      check.func('msFn', msFn);
    }
    const clock = options.clock ?? systemClock;
    checkClock(check, clock);
    check.throwIfAny();
    super('latency', shared);
    this.#delay = msFn ?? (() => ms ?? 0);
    this.#clock = clock;
  }

  protected inject<T>(fn: Protected<T>, context: PolicyContext, signal: AbortSignal | undefined): Promise<T> {
    let ms: number;
    try {
      ms = this.#delay();
    } catch (error) {
      return Promise.reject(error);
    }
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_TIMER_MS)) {
      return Promise.reject(
        new RangeError(`latency: msFn must return a number in [0, ${MAX_TIMER_MS}] (got ${String(ms)})`),
      );
    }
    // Injected latency is part of the call the caller awaits: like any sleep, it keeps the process alive.
    return delay(this.#clock, ms, signal).then(() => callThrough(fn, context));
  }
}

/**
 * Latency injection: delays a `rate` share of calls by `ms` (or `msFn()`) before running them.
 * The delay honours the caller's signal: an abort rejects at once with the abort reason and
 * clears the timer. Use it to check slow-call rules and timeouts.
 *
 * @example
 * const slow = latency({ rate: 0.2, ms: 800 });
 * await breaker.execute(({ signal }) => slow.execute(() => db.query(sql), { signal }), {});
 */
export function latency(options: LatencyOptions): LatencyPolicy {
  return new LatencyPolicy(options);
}

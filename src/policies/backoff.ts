/**
 * Backoffs: how long a retry waits before attempt `n + 1`, after attempt `n` failed. Each is a
 * plain object whose `delay` is a pure function of the attempt number, the previous delay and an
 * injected `random`, so tests can pin the randomness and property tests can check the bounds.
 */
import { MAX_TIMER_MS } from '../core/clock.js';
import type { Random } from '../core/random.js';
import { OptionChecker } from '../core/validate.js';
import { checkObject } from './common.js';

/** Computes the delay before the next attempt. */
export interface Backoff {
  /** Label for errors and docs. */
  readonly name: string;
  /**
   * Ms to wait after attempt `attempt` (1 for the first call) failed. `previousMs` is the delay
   * returned for the attempt before (0 before the first retry); `random` returns a float in [0, 1).
   */
  delay(attempt: number, random: Random, previousMs: number): number;
}

/** The same delay before every retry. */
export function constant(ms: number): Backoff {
  const check = new OptionChecker('constant backoff');
  check.number('ms', ms, { min: 0, max: MAX_TIMER_MS });
  check.throwIfAny();
  return Object.freeze({ name: `constant(${ms})`, delay: () => ms });
}

/** Options of {@link exponential}. */
export interface ExponentialOptions {
  /** Delay bound of the first retry, in ms. Default `100`. */
  readonly initial?: number;
  /** Upper bound of any delay, in ms. Default `30_000`. */
  readonly max?: number;
  /** Growth factor per attempt. Default `2`. */
  readonly multiplier?: number;
  /**
   * `'full'` (default): a uniform random delay in [0, bound), so clients that failed together do
   * not retry together (AWS "full jitter"). `'none'`: exactly the bound.
   */
  readonly jitter?: 'full' | 'none';
}

/**
 * Exponential backoff: the bound for attempt `n` is `min(max, initial × multiplier^(n-1))`; with
 * full jitter (the default) the delay is uniform in [0, bound).
 */
export function exponential(options: ExponentialOptions = {}): Backoff {
  const check = new OptionChecker('exponential backoff');
  checkObject(check, options, ['initial', 'max', 'multiplier', 'jitter']);
  const { initial = 100, max = 30_000, multiplier = 2, jitter = 'full' } = options;
  check.number('initial', initial, { min: 0, max: MAX_TIMER_MS });
  if (check.number('max', max, { min: 0, max: MAX_TIMER_MS }) && max < initial)
    check.fail('max', max, `>= initial (${initial})`);
  check.number('multiplier', multiplier, { min: 1 });
  if (!['full', 'none'].includes(jitter)) check.fail('jitter', jitter, "'full' or 'none'", 'type');
  check.throwIfAny();
  const bound = (attempt: number): number => Math.min(max, initial * multiplier ** (attempt - 1));
  return Object.freeze({
    name: `exponential(${initial}..${max}, x${multiplier}, jitter ${jitter})`,
    delay: jitter === 'full' ? (attempt: number, random: Random) => random() * bound(attempt) : bound,
  });
}

/** Options of {@link decorrelatedJitter}. */
export interface DecorrelatedJitterOptions {
  /** Smallest delay, in ms. Default `100`. */
  readonly initial?: number;
  /** Upper bound of any delay, in ms. Default `30_000`. */
  readonly max?: number;
}

/**
 * Decorrelated jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): each delay is
 * uniform in [initial, 3 × previous delay], capped at `max`. It grows like exponential backoff
 * but spreads retries of many clients better than a fixed schedule.
 */
export function decorrelatedJitter(options: DecorrelatedJitterOptions = {}): Backoff {
  const check = new OptionChecker('decorrelatedJitter backoff');
  checkObject(check, options, ['initial', 'max']);
  const { initial = 100, max = 30_000 } = options;
  check.number('initial', initial, { min: 0, max: MAX_TIMER_MS });
  if (check.number('max', max, { min: 0, max: MAX_TIMER_MS }) && max < initial)
    check.fail('max', max, `>= initial (${initial})`);
  check.throwIfAny();
  return Object.freeze({
    name: `decorrelatedJitter(${initial}..${max})`,
    delay(_attempt: number, random: Random, previousMs: number): number {
      const high = Math.max(initial, 3 * Math.max(previousMs, initial));
      return Math.min(max, initial + random() * (high - initial));
    },
  });
}

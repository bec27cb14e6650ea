import type { Telemetry } from '../core/telemetry.js';
import { type Clock, systemClock, MAX_TIMER_MS } from '../core/clock.js';
import { delay } from '../core/delay.js';
import { isBulkheadFullError, isCircuitOpenError } from '../core/errors.js';
import { Emitter, type Disposable, type Listener } from '../core/events.js';
import type { ExecuteOptions, Policy, Protected } from '../core/policy.js';
import { type Random, systemRandom } from '../core/random.js';
import { checkSignal, OptionChecker, checkClock } from '../core/validate.js';
import { type Backoff, exponential } from './backoff.js';
import { checkTelemetry, checkName, checkObject, Contexts, isAborted, warn } from './common.js';
import { isRetryBudget, RetryBudget, type RetryBudgetOptions } from './retry-budget.js';

/** Why a retry policy stopped retrying and let the last error through. */
export type GiveUpReason = 'attempts' | 'not-retryable' | 'budget';

/** Events of a {@link RetryPolicy}. */
export interface RetryEvents {
  /** A retry is scheduled: attempt `attempt` failed with `error`; the next starts in `delayMs`. */
  retry: {
    /** The attempt that failed (1 for the first call). */
    readonly attempt: number;
    /** Ms until the next attempt starts (`0`: at once). */
    readonly delayMs: number;
    /** What the failed attempt threw. */
    readonly error: unknown;
  };
  /** The last error is passed to the caller after `attempts` attempts. Not emitted for caller aborts. */
  giveUp: {
    /** Attempts made in all, the first call included. */
    readonly attempts: number;
    /** Why no retry followed: attempts used up, an error not to retry, or the budget refused. */
    readonly reason: GiveUpReason;
    /** The last attempt's error, passed to the caller. */
    readonly error: unknown;
  };
}

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Label for events and docs. Default `'retry'`. */
  readonly name?: string;
  /** Attempts in all, the first call included (an integer ≥ 1, or `Infinity` with a budget). Default `3`. */
  readonly maxAttempts?: number;
  /** Delay before each retry. Default `exponential({ initial: 100, max: 30_000 })` with full jitter. */
  readonly backoff?: Backoff | ((attempt: number, random: Random, previousMs: number) => number);
  /**
   * Whether attempt `attempt` failing with `error` may be retried. Default: every error.
   * `CircuitOpenError`, `BulkheadFullError` and caller aborts are never retried, whatever it says.
   */
  readonly retryOn?: (error: unknown, attempt: number) => boolean;
  /**
   * Retry budget: a `RetryBudget` (share one between policies), its options, or `true` for the
   * defaults (`ratio 0.2`, `minRetriesPerSecond 3`, `window 10_000`). Default: none.
   */
  readonly budget?: RetryBudget | RetryBudgetOptions | boolean;
  /** Called before each retry (like the `retry` event). */
  readonly onRetry?: Listener<RetryEvents['retry']>;
  /** Time source for delays and the budget. Default: the system clock. */
  readonly clock?: Clock;
  /** Randomness for jitter. Default: `Math.random`. */
  readonly random?: Random;
  /** A telemetry stream to report retries into (exporters and the dashboard read it). */
  readonly telemetry?: Telemetry;
}

const KNOWN = [
  'name',
  'maxAttempts',
  'backoff',
  'retryOn',
  'budget',
  'onRetry',
  'clock',
  'random',
  'telemetry',
] as const;

/**
 * Retries a failing call after a backoff delay, up to `maxAttempts` attempts in all.
 *
 * Never retried: `CircuitOpenError` and `BulkheadFullError` (the protection said no; retrying at
 * once would only add load — put retry *outside* the breaker so it retries within the circuit),
 * and anything after the caller's signal aborted. Delays run on the injected clock and end at once,
 * with the abort reason, when the caller's signal aborts. With a budget, a refused retry passes the
 * last error through.
 *
 * @example
 * const policy = retry({ maxAttempts: 4, backoff: exponential({ initial: 200, max: 5_000 }), budget: true });
 * const rows = await policy.execute(({ signal }) => db.query(sql, { signal }));
 */
export function retry(options: RetryOptions = {}): RetryPolicy {
  return new RetryPolicy(options);
}

/** The policy made by {@link retry}. */
export class RetryPolicy implements Policy {
  /** Label for events and docs. */
  readonly name: string;
  /** Attempts in all, the first call included. */
  readonly maxAttempts: number;
  /** The retry budget, when there is one. */
  readonly budget: RetryBudget | undefined;
  readonly #backoff: (attempt: number, random: Random, previousMs: number) => number;
  readonly #retryOn: ((error: unknown, attempt: number) => boolean) | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #events: Emitter<RetryEvents>;
  readonly #telemetry: Telemetry | undefined;
  readonly #contexts = new Contexts();

  constructor(options: RetryOptions = {}) {
    const check = new OptionChecker('retry');
    checkObject(check, options, KNOWN);
    const o = options;
    this.name = checkName(check, o.name, 'retry');
    this.maxAttempts = o.maxAttempts ?? 3;
    check.number('maxAttempts', this.maxAttempts, { integer: true, min: 1, allowInfinity: true });
    if (this.maxAttempts === Infinity && (o.budget === undefined || o.budget === false))
      check.fail('maxAttempts', this.maxAttempts, 'finite unless a budget is set');
    const backoff = o.backoff ?? exponential({ initial: 100, max: 30_000 });
    if (typeof backoff === 'function') this.#backoff = backoff;
    else if (typeof backoff === 'object' && typeof (backoff as Partial<Backoff>).delay === 'function')
      this.#backoff = (a, r, p) => backoff.delay(a, r, p);
    else {
      check.fail(
        'backoff',
        backoff,
        'a backoff (constant, exponential, decorrelatedJitter) or a function',
        'type',
      );
      this.#backoff = () => 0;
    }
    if (o.retryOn !== undefined) check.func('retryOn', o.retryOn);
    this.#retryOn = o.retryOn;
    if (o.onRetry !== undefined) check.func('onRetry', o.onRetry);
    this.#clock = o.clock ?? systemClock;
    checkClock(check, this.#clock);
    this.#random = o.random ?? systemRandom;
    check.func('random', this.#random);
    const b = o.budget;
    if (b !== undefined && typeof b !== 'boolean' && (typeof b !== 'object' || (b as unknown) === null))
      check.fail('budget', b, 'a RetryBudget, its options, or a boolean', 'type');
    this.#telemetry = checkTelemetry(check, o.telemetry);
    check.throwIfAny();
    this.budget =
      b === undefined || b === false
        ? undefined
        : isRetryBudget(b)
          ? b
          : new RetryBudget(b === true ? { clock: this.#clock } : { clock: this.#clock, ...b });
    this.#events = new Emitter<RetryEvents>(this.name);
    if (o.onRetry !== undefined) this.#events.on('retry', o.onRetry);
  }

  /** Subscribes to an event; the returned handle unsubscribes. */
  on<K extends keyof RetryEvents>(event: K, listener: Listener<RetryEvents[K]>): Disposable {
    return this.#events.on(event, listener);
  }

  /** Runs `fn`, retrying it as configured. `fn` receives the caller's signal (`{ signal }`). */
  async execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError(`retry "${this.name}": execute(fn) needs a function`);
    const signal = options?.signal;
    checkSignal(`retry "${this.name}": execute(fn, { signal })`, signal);
    if (signal !== undefined && isAborted(signal)) throw signal.reason;
    const context = this.#contexts.for(signal);
    this.budget?.recordCall();
    let previousMs = 0;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(context);
      } catch (error) {
        if (signal !== undefined && isAborted(signal)) throw signal.reason;
        const reason = this.#stop(error, attempt);
        if (reason !== undefined) {
          if (this.#events.has('giveUp')) this.#events.emit('giveUp', { attempts: attempt, reason, error });
          throw error;
        }
        const delayMs = this.#delay(attempt, previousMs);
        previousMs = delayMs;
        if (this.#events.has('retry')) this.#events.emit('retry', { attempt, delayMs, error });
        if (this.#telemetry?.active === true) {
          this.#telemetry.emit({ type: 'retry', policy: this.name, kind: 'retry', attempt, delayMs });
        }
        if (delayMs > 0) await delay(this.#clock, delayMs, signal);
      }
    }
  }

  /** Returns a function with `fn`'s parameters that runs it under this policy; `this` is passed on. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError(`retry "${this.name}": wrap(fn) needs a function`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return function (this: unknown, ...args: A): Promise<Awaited<R>> {
      return self.execute(() => fn.apply(this, args)) as Promise<Awaited<R>>;
    };
  }

  /** Why not to retry after `attempt` failed with `error`, or undefined to retry (taking budget). */
  #stop(error: unknown, attempt: number): GiveUpReason | undefined {
    if (isCircuitOpenError(error) || isBulkheadFullError(error)) return 'not-retryable';
    if (attempt >= this.maxAttempts) return 'attempts';
    if (this.#retryOn !== undefined) {
      try {
        if (!this.#retryOn(error, attempt)) return 'not-retryable';
      } catch (predicateError) {
        warn(`retryOn of "${this.name}" threw; the error is not retried`, predicateError);
        return 'not-retryable';
      }
    }
    if (this.budget !== undefined && !this.budget.tryRetry()) return 'budget';
    return undefined;
  }

  #delay(attempt: number, previousMs: number): number {
    const ms = this.#backoff(attempt, this.#random, previousMs);
    // A backoff that returns nonsense must not turn into a tight loop or a timer overflow.
    return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_TIMER_MS) : 0;
  }
}

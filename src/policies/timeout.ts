import { type Clock, systemClock, MAX_TIMER_MS } from '../core/clock.js';
import { DeadlineQueue, type Expiring } from '../core/deadline-queue.js';
import { type CallHost, guardedCall } from '../core/guarded-call.js';
import { CallTimeoutError } from '../core/errors.js';
import type { ExecuteOptions, Policy, Protected } from '../core/policy.js';
import type { Telemetry } from '../core/telemetry.js';
import { isAbortSignal, OptionChecker, signalError, checkClock } from '../core/validate.js';
import { checkName, checkObject, checkTelemetry } from './common.js';

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** Label in `CallTimeoutError`. Default `'timeout'`. */
  readonly name?: string;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** A telemetry stream to report each timed-out call into (a `timeout` event). */
  readonly telemetry?: Telemetry;
}

/**
 * A cooperative timeout: at the deadline the function's `signal` aborts (with the
 * `CallTimeoutError` as its reason) and the call rejects with `CallTimeoutError` at once. The
 * function should pass the signal to whatever it awaits so the work really stops; a result that
 * arrives later is dropped (and a late rejection is handled, never unhandled).
 *
 * Calls through one timeout policy share one timer (a FIFO of deadlines), and an idle policy
 * holds no timer once the last deadline has passed. In a pipeline, put it innermost so each
 * retry attempt gets its own deadline.
 *
 * @example
 * const perAttempt = timeout(2_000);
 * await perAttempt.execute(({ signal }) => fetch(url, { signal }));
 */
export function timeout(ms: number, options: TimeoutOptions = {}): TimeoutPolicy {
  return new TimeoutPolicy(ms, options);
}

/** The policy made by {@link timeout}. */
export class TimeoutPolicy implements Policy {
  /** Label in `CallTimeoutError`. */
  readonly name: string;
  /** The timeout in ms. */
  readonly ms: number;
  readonly #clock: Clock;
  readonly #host: TimeoutHost;

  constructor(ms: number, options: TimeoutOptions = {}) {
    const check = new OptionChecker('timeout');
    check.number('ms', ms, { min: 0, minExclusive: true, max: MAX_TIMER_MS });
    checkObject(check, options, ['name', 'clock', 'telemetry']);
    this.name = checkName(check, options.name, 'timeout');
    const telemetry = checkTelemetry(check, options.telemetry);
    this.#clock = options.clock ?? systemClock;
    checkClock(check, this.#clock);
    check.throwIfAny();
    this.ms = ms;
    this.#host = new TimeoutHost(this.name, ms, new DeadlineQueue(this.#clock), telemetry);
  }

  /** True while the policy holds a timer (for tests of timer hygiene). */
  get armed(): boolean {
    return this.#host.deadlines.armed;
  }

  /** Runs `fn` with a signal that aborts at the deadline; rejects with `CallTimeoutError` then. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`timeout "${this.name}": execute(fn) needs a function`));
    }
    let caller: unknown;
    try {
      caller = options?.signal; // a throwing getter or proxy rejects the call, like any other bad argument
    } catch (error) {
      return Promise.reject(error);
    }
    if (caller !== undefined && !isAbortSignal(caller)) {
      return Promise.reject(signalError(`timeout "${this.name}": execute(fn, { signal })`, caller));
    }
    if (caller?.aborted === true) return Promise.reject(caller.reason as unknown);
    return guardedCall(this.#host, fn, NO_ARGS, 0, this.#clock.now(), caller, null);
  }

  /** Returns a function with `fn`'s parameters that runs it under this policy; `this` is passed on. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError(`timeout "${this.name}": wrap(fn) needs a function`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return function (this: unknown, ...args: A): Promise<Awaited<R>> {
      return self.execute(() => fn.apply(this, args)) as Promise<Awaited<R>>;
    };
  }
}

/**
 * What a timeout means to the shared deadline-call mechanism (`guardedCall`): an outcome passes
 * through untouched, the deadline answers with `CallTimeoutError` (reported as a `timeout`
 * event), a caller's abort answers with its reason. No permits: nothing to release.
 */
class TimeoutHost implements CallHost<null> {
  readonly timed = true;
  readonly #name: string;
  readonly timeoutMs: number;
  readonly deadlines: DeadlineQueue;
  readonly #telemetry: Telemetry | undefined;

  constructor(name: string, timeoutMs: number, deadlines: DeadlineQueue, telemetry: Telemetry | undefined) {
    this.#name = name;
    this.timeoutMs = timeoutMs;
    this.deadlines = deadlines;
    this.#telemetry = telemetry;
  }

  schedule(call: Expiring): void {
    this.deadlines.push(call);
  }

  unschedule(call: Expiring): void {
    this.deadlines.remove(call);
  }

  succeeded<T>(value: T): T {
    return value;
  }

  failed(error: unknown): never {
    throw error;
  }

  timedOut(): CallTimeoutError {
    const telemetry = this.#telemetry;
    if (telemetry?.active === true)
      telemetry.emit({ type: 'timeout', policy: this.#name, kind: 'timeout', timeoutMs: this.timeoutMs });
    return new CallTimeoutError(this.#name, this.timeoutMs);
  }

  aborted(): void {
    // The caller is answered with its reason; nothing is counted.
  }

  releaseAborted(): void {
    // No permit to return.
  }

  fallback(error: unknown): never {
    throw error;
  }
}

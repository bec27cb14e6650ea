import { type Clock, systemClock, MAX_TIMER_MS } from '../core/clock.js';
import { DeadlineQueue, type Expiring } from '../core/deadline-queue.js';
import { CallTimeoutError } from '../core/errors.js';
import type { ExecuteOptions, Policy, PolicyContext, Protected } from '../core/policy.js';
import type { Telemetry } from '../core/telemetry.js';
import { isAbortSignal, OptionChecker, signalError, checkClock } from '../core/validate.js';
import { checkName, checkObject, checkTelemetry } from './common.js';

/** Options of {@link timeout}. */
export interface TimeoutOptions {
  /** Label in `CallTimeoutError`. Default `'timeout'`. */
  readonly name?: string;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** A telemetry stream to report each timed-out call into (a `timeout` event). */
  readonly telemetry?: Telemetry;
}

/** The stream a policy reports into; set once below so `TimedCall` can read the private field. */
let telemetryOf: (policy: TimeoutPolicy) => Telemetry | undefined;

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
  readonly #deadlines: DeadlineQueue;
  readonly #clock: Clock;
  readonly #telemetry: Telemetry | undefined;

  static {
    telemetryOf = (policy) => policy.#telemetry;
  }

  constructor(ms: number, options: TimeoutOptions = {}) {
    const check = new OptionChecker('timeout');
    check.number('ms', ms, { min: 0, minExclusive: true, max: MAX_TIMER_MS });
    checkObject(check, options, ['name', 'clock', 'telemetry']);
    this.name = checkName(check, options.name, 'timeout');
    this.#telemetry = checkTelemetry(check, options.telemetry);
    this.#clock = options.clock ?? systemClock;
    checkClock(check, this.#clock);
    check.throwIfAny();
    this.ms = ms;
    this.#deadlines = new DeadlineQueue(this.#clock);
  }

  /** True while the policy holds a timer (for tests of timer hygiene). */
  get armed(): boolean {
    return this.#deadlines.armed;
  }

  /** Runs `fn` with a signal that aborts at the deadline; rejects with `CallTimeoutError` then. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`timeout "${this.name}": execute(fn) needs a function`));
    }
    const caller = options?.signal;
    if (caller !== undefined && !isAbortSignal(caller)) {
      return Promise.reject(signalError(`timeout "${this.name}": execute(fn, { signal })`, caller));
    }
    if (caller?.aborted === true) return Promise.reject(caller.reason as unknown);
    return new TimedCall<T>(this, this.#deadlines, this.#clock.now() + this.ms, fn, caller).promise;
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
 * One call: the context handed to the function (its signal is made on first read) and an entry of
 * the policy's deadline queue.
 */
class TimedCall<T> implements PolicyContext, Expiring {
  prev: Expiring | undefined = undefined;
  next: Expiring | undefined = undefined;
  readonly promise: Promise<T>;
  #resolve!: (value: T) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #controller: AbortController | undefined;
  #timeoutError: CallTimeoutError | undefined;
  readonly #policy: TimeoutPolicy;
  readonly #queue: DeadlineQueue;
  readonly #caller: AbortSignal | undefined;

  constructor(
    policy: TimeoutPolicy,
    queue: DeadlineQueue,
    readonly deadline: number,
    fn: Protected<T>,
    caller: AbortSignal | undefined,
  ) {
    this.#policy = policy;
    this.#queue = queue;
    this.#caller = caller;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    queue.push(this);
    caller?.addEventListener('abort', this.#onCallerAbort);
    void this.#drive(fn);
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      // Read for the first time after the call ended early: hand out a signal that says so.
      if (this.#timeoutError !== undefined) this.#controller.abort(this.#timeoutError);
      else if (this.#caller?.aborted === true) this.#controller.abort(this.#caller.reason);
    }
    return this.#controller.signal;
  }

  async #drive(fn: Protected<T>): Promise<void> {
    let value: T;
    try {
      value = await fn(this);
    } catch (error) {
      if (this.#finish()) this.#reject(error);
      return;
    }
    if (this.#finish()) this.#resolve(value);
  }

  expire(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
    const error = new CallTimeoutError(this.#policy.name, this.#policy.ms);
    this.#timeoutError = error;
    this.#controller?.abort(error);
    this.#reject(error);
    const telemetry = telemetryOf(this.#policy);
    if (telemetry?.active === true)
      telemetry.emit({
        type: 'timeout',
        policy: this.#policy.name,
        kind: 'timeout',
        timeoutMs: this.#policy.ms,
      });
  }

  readonly #onCallerAbort = (): void => {
    if (!this.#finish()) return;
    const reason = this.#caller?.reason as unknown;
    this.#controller?.abort(reason);
    this.#reject(reason);
  };

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#queue.remove(this);
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
    return true;
  }
}

import { type Clock, systemClock, MAX_TIMER_MS } from '../core/clock.js';
import { DeadlineQueue, type Expiring } from '../core/deadline-queue.js';
import { BulkheadFullError } from '../core/errors.js';
import type { ExecuteOptions, Policy, Protected } from '../core/policy.js';
import { isAbortSignal, OptionChecker, signalError, checkClock } from '../core/validate.js';
import { checkName, checkObject, checkTelemetry, Contexts } from './common.js';
import type { Telemetry } from '../core/telemetry.js';

/** Options of {@link bulkhead}. */
export interface BulkheadOptions {
  /** Calls allowed to run at once (an integer ≥ 1). Required. */
  readonly maxConcurrent: number;
  /** Calls allowed to wait for a slot (an integer ≥ 0). Default `0`: no queue, reject at once. */
  readonly maxQueue?: number;
  /** Ms a queued call may wait before it is rejected with `BulkheadFullError`. Default: no limit. */
  readonly queueTimeout?: number;
  /** Label in `BulkheadFullError`. Default `'bulkhead'`. */
  readonly name?: string;
  /** Time source for `queueTimeout`. Default: the system clock. */
  readonly clock?: Clock;
  /** A telemetry stream to report queueing and rejections into. */
  readonly telemetry?: Telemetry;
}

/**
 * Limits concurrency: at most `maxConcurrent` calls run at once, up to `maxQueue` more wait in
 * FIFO order, and the rest are rejected at once with `BulkheadFullError`. One slow dependency
 * then holds a bounded share of the process (sockets, memory, event loop) instead of all of it.
 *
 * - A slot is freed only when the function's promise really settles, not when the caller gives
 *   up: a running call whose caller aborts is answered at once with the abort reason, but its slot
 *   stays taken until the work has stopped. Put the bulkhead *inside* a timeout for the same at
 *   a deadline.
 * - A queued call whose caller aborts leaves the queue at once, with the abort reason.
 * - `queueTimeout`: a queued call still waiting after that long is rejected with
 *   `BulkheadFullError` (message "queue timeout"); all queued calls share one timer.
 *
 * @example
 * const pool = bulkhead({ maxConcurrent: 10, maxQueue: 50, queueTimeout: 1_000 });
 * await pool.execute(({ signal }) => render(page, { signal }));
 */
export function bulkhead(options: BulkheadOptions): BulkheadPolicy {
  return new BulkheadPolicy(options);
}

/** The policy made by {@link bulkhead}. */
export class BulkheadPolicy implements Policy {
  /** Label in `BulkheadFullError`. */
  readonly name: string;
  /** Calls allowed to run at once. */
  readonly maxConcurrent: number;
  /** Calls allowed to wait. */
  readonly maxQueue: number;
  readonly #queueTimeout: number | undefined;
  readonly #clock: Clock;
  readonly #deadlines: DeadlineQueue | undefined;
  // A Set keeps insertion order (FIFO) and deletes in O(1) (an aborted call leaves from anywhere).
  readonly #queue = new Set<Waiter>();
  readonly #contexts = new Contexts();
  #running = 0;
  readonly #telemetry: Telemetry | undefined;

  constructor(options: BulkheadOptions) {
    const check = new OptionChecker('bulkhead');
    if (typeof options !== 'object' || (options as unknown) === null) {
      check.fail('options', options, 'an object with maxConcurrent', 'type');
      check.throwIfAny();
    }
    checkObject(check, options, ['maxConcurrent', 'maxQueue', 'queueTimeout', 'name', 'clock', 'telemetry']);
    const o = options;
    this.name = checkName(check, o.name, 'bulkhead');
    check.number('maxConcurrent', o.maxConcurrent, { integer: true, min: 1 });
    this.maxConcurrent = o.maxConcurrent;
    this.maxQueue = o.maxQueue ?? 0;
    check.number('maxQueue', this.maxQueue, { integer: true, min: 0, allowInfinity: true });
    if (o.queueTimeout !== undefined)
      check.number('queueTimeout', o.queueTimeout, { min: 0, minExclusive: true, max: MAX_TIMER_MS });
    this.#queueTimeout = o.queueTimeout;
    this.#clock = o.clock ?? systemClock;
    checkClock(check, this.#clock);
    this.#telemetry = checkTelemetry(check, o.telemetry);
    check.throwIfAny();
    this.#deadlines = o.queueTimeout === undefined ? undefined : new DeadlineQueue(this.#clock);
  }

  /** Calls running now. */
  get running(): number {
    return this.#running;
  }

  /** Calls waiting for a slot now. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Runs `fn` when a slot is free; rejects with `BulkheadFullError` when neither a slot nor the queue has room. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`bulkhead "${this.name}": execute(fn) needs a function`));
    }
    let signal: unknown;
    try {
      signal = options?.signal; // a throwing getter or proxy rejects the call, like any other bad argument
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(signalError(`bulkhead "${this.name}": execute(fn, { signal })`, signal));
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    if (this.#running < this.maxConcurrent) return this.#run(fn, signal);
    if (this.#queue.size >= this.maxQueue) {
      this.#tell('rejected');
      return Promise.reject(new BulkheadFullError(this.name, this.maxConcurrent, this.maxQueue));
    }
    this.#tell('queued');
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter = {
        deadline: this.#clock.now() + (this.#queueTimeout ?? Infinity),
        prev: undefined,
        next: undefined,
        start: () => {
          this.#leave(waiter, signal);
          this.#tell('dequeued');
          this.#run(fn, signal).then(resolve, reject);
        },
        expire: () => {
          this.#leave(waiter, signal);
          this.#tell('rejected');
          reject(
            new BulkheadFullError(
              this.name,
              this.maxConcurrent,
              this.maxQueue,
              `queue timeout: no slot within ${this.#queueTimeout ?? Infinity} ms`,
            ),
          );
        },
        abort: () => {
          this.#leave(waiter, signal);
          reject(signal?.reason as unknown);
        },
      };
      this.#queue.add(waiter);
      this.#deadlines?.push(waiter);
      signal?.addEventListener('abort', waiter.abort);
    });
  }

  /** Returns a function with `fn`'s parameters that runs it under this policy; `this` is passed on. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError(`bulkhead "${this.name}": wrap(fn) needs a function`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return function (this: unknown, ...args: A): Promise<Awaited<R>> {
      return self.execute(() => fn.apply(this, args)) as Promise<Awaited<R>>;
    };
  }

  /**
   * Runs `fn` in a slot. A caller abort answers the caller at once with the reason, but the slot
   * stays taken until `fn` settles: the bulkhead bounds the work running, not the callers waiting.
   */
  #run<T>(fn: Protected<T>, signal: AbortSignal | undefined): Promise<T> {
    const work = this.#hold(fn, signal);
    if (signal === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      const abort = (): void => {
        reject(signal.reason as unknown);
      };
      signal.addEventListener('abort', abort);
      work.then(resolve, reject).finally(() => {
        signal.removeEventListener('abort', abort);
      });
    });
  }

  async #hold<T>(fn: Protected<T>, signal: AbortSignal | undefined): Promise<T> {
    this.#running++;
    try {
      return await fn(this.#contexts.for(signal));
    } finally {
      this.#running--;
      this.#queue.values().next().value?.start();
    }
  }

  #tell(action: 'queued' | 'dequeued' | 'rejected'): void {
    const telemetry = this.#telemetry;
    if (telemetry?.active === true) {
      telemetry.emit({
        type: 'bulkhead',
        policy: this.name,
        kind: 'bulkhead',
        action,
        running: this.#running,
        queued: this.#queue.size,
      });
    }
  }

  #leave(waiter: Waiter, signal: AbortSignal | undefined): void {
    this.#queue.delete(waiter);
    this.#deadlines?.remove(waiter);
    signal?.removeEventListener('abort', waiter.abort);
  }
}

/** A queued call. */
interface Waiter extends Expiring {
  start: () => void;
  abort: () => void;
}

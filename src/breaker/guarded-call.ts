import type { CallTimeoutError } from '../core/errors.js';
import type { Expiring } from '../core/deadline-queue.js';
import type { PolicyContext, Protected } from '../core/policy.js';
import type { Runner } from './runner.js';

/**
 * One call on the guarded path. It is the `PolicyContext` handed to the function (its `signal`
 * is made on first read: most functions never read it, and an `AbortController` costs more than
 * the rest of the call), and an entry of the breaker's deadline queue.
 */
export class GuardedCall<T> implements PolicyContext, Expiring {
  deadline: number;
  prev: Expiring | undefined = undefined;
  next: Expiring | undefined = undefined;
  readonly promise: Promise<T>;
  #resolve!: (value: T | PromiseLike<T>) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #controller: AbortController | undefined;
  #timeoutError: CallTimeoutError | undefined;
  /** Listens to the caller's signal; made only when there is one. */
  #onCallerAbort: (() => void) | undefined;
  readonly #runner: Runner;
  readonly #args: readonly unknown[];
  readonly #generation: number;
  readonly #start: number;
  readonly #caller: AbortSignal | undefined;
  readonly #tag: unknown;

  constructor(
    runner: Runner,
    fn: Protected<T>,
    args: readonly unknown[],
    generation: number,
    start: number,
    caller: AbortSignal | undefined,
    tag: unknown,
  ) {
    this.#runner = runner;
    this.#tag = tag;
    this.#args = args;
    this.#generation = generation;
    this.#start = start;
    this.#caller = caller;
    const timeout = runner.o.timeout;
    this.deadline = timeout === false ? Infinity : start + timeout;
    this.promise = new Promise<T>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    if (runner.timed) runner.deadlines.push(this);
    if (caller !== undefined) {
      this.#onCallerAbort = () => {
        this.#callerAborted();
      };
      caller.addEventListener('abort', this.#onCallerAbort);
    }
    void this.#drive(fn);
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    // Without a timeout the caller's signal is the only reason to stop: hand it on as it is.
    if (!this.#runner.timed && this.#caller !== undefined) return this.#caller;
    this.#controller = new AbortController();
    // Read for the first time after the call ended early: hand out a signal that says so.
    if (this.#timeoutError !== undefined) this.#controller.abort(this.#timeoutError);
    else if (this.#caller?.aborted === true) this.#controller.abort(this.#caller.reason);
    return this.#controller.signal;
  }

  async #drive(fn: Protected<T>): Promise<void> {
    let value: T;
    try {
      value = await fn(this);
    } catch (error) {
      if (!this.#finish()) return;
      try {
        this.#resolve(this.#runner.failed(error, this.#generation, this.#start, this.#args, this.#tag) as T);
      } catch (answer) {
        this.#reject(answer);
      }
      return;
    }
    // A result that arrives after a timeout or an abort was already answered for: drop it.
    if (this.#finish())
      this.#resolve(this.#runner.succeeded(value, this.#generation, this.#start, this.#tag));
  }

  /** Deadline reached: abort the function's signal and answer with `CallTimeoutError` (or the fallback). */
  expire(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#detachCaller();
    const timeoutMs = this.#runner.o.timeout as number;
    const error = this.#runner.timedOut(this.#generation, this.#start, timeoutMs, this.#tag);
    this.#timeoutError = error;
    this.#controller?.abort(error);
    try {
      this.#resolve(this.#runner.fallback(error, this.#args) as T);
    } catch (answer) {
      this.#reject(answer);
    }
  }

  /** The caller's signal aborted: reject with its reason; not counted, the permit is released. */
  #callerAborted(): void {
    if (!this.#finish()) return;
    const reason = this.#caller?.reason as unknown;
    this.#controller?.abort(reason);
    this.#runner.aborted(reason, this.#generation, this.#start, this.#tag);
    this.#reject(reason);
  }

  /** Marks the call settled; false when it already was. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#runner.timed) this.#runner.deadlines.remove(this);
    this.#detachCaller();
    return true;
  }

  #detachCaller(): void {
    if (this.#onCallerAbort !== undefined) this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }
}

import type { CallTimeoutError } from '../core/errors.js';
import { DeadlineQueue, type Expiring } from '../core/deadline-queue.js';
import type { PolicyContext, Protected } from '../core/policy.js';
import type { Runner } from './runner.js';

// The call whose promise is being built: `capture` hands it the resolving functions.
let building: GuardedCall<unknown> | undefined;

type Executor<T> = (resolve: (value: T | PromiseLike<T>) => void, reject: (error: unknown) => void) => void;

const noop = (): void => undefined;

/** The caller's signal and the listener this call put on it. */
interface CallerLink {
  readonly signal: AbortSignal;
  readonly listener: () => void;
}

/**
 * Runs `fn` on the guarded path: a call with a deadline, a caller's signal, or both. Returns the
 * caller's promise, which settles with the call's outcome, at its deadline, or when the caller
 * aborts, whichever comes first.
 */
export function guardedCall<T>(
  runner: Runner,
  fn: Protected<T>,
  args: readonly unknown[],
  generation: number,
  start: number,
  caller: AbortSignal | undefined,
  tag: unknown,
): Promise<T> {
  const call = new GuardedCall<T>(runner, args, generation, start, tag);
  building = call as GuardedCall<unknown>;
  const promise = new Promise<T>(capture as Executor<T>);
  building = undefined;
  if (runner.timed) (runner.deadlines ??= new DeadlineQueue(runner.o.clock)).push(call);
  if (caller !== undefined) call.link(caller);
  call.run(fn);
  return promise;
}

/**
 * One call on the guarded path. It is the `PolicyContext` handed to the function (its `signal`
 * is made on first read: most functions never read it, and an `AbortController` costs more than
 * the rest of the call), and an entry of the breaker's deadline queue. It is kept small: a
 * breaker makes one per timed call.
 */
class GuardedCall<T> implements PolicyContext, Expiring {
  prev: Expiring | undefined;
  next: Expiring | undefined;
  #resolve: (value: T | PromiseLike<T>) => void;
  #reject: (error: unknown) => void;
  readonly #runner: Runner;
  readonly #args: readonly unknown[];
  readonly #generation: number;
  readonly #start: number;
  readonly #tag: unknown;
  /**
   * `undefined` while running; then `true`, or the `CallTimeoutError` when the deadline ended it;
   * `false` while the caller, having aborted, is answered but the function still runs and holds
   * the call's permit.
   */
  #ended: boolean | CallTimeoutError | undefined;
  #controller: AbortController | undefined;
  #caller: CallerLink | undefined;

  /**
   * The executor of every call's promise: one shared function, so a call allocates no executor
   * closure, and it stores the resolving functions in the call, not in module state.
   */
  static capture(this: void, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    const call = building;
    if (call === undefined) return;
    call.#resolve = resolve;
    call.#reject = reject;
  }

  // V8 holds a hidden class only while some object has it. Once every call has settled, a full
  // garbage collection would drop this class and deoptimize the code built for it (the call path
  // and the queue), to be recompiled on later calls. This object keeps the class alive.
  // eslint-disable-next-line no-unused-private-class-members -- held, never read
  static readonly #shape = new GuardedCall<unknown>(undefined as unknown as Runner, [], 0, 0.5, undefined);

  constructor(runner: Runner, args: readonly unknown[], generation: number, start: number, tag: unknown) {
    this.prev = undefined;
    this.next = undefined;
    this.#resolve = noop;
    this.#reject = noop;
    this.#runner = runner;
    this.#args = args;
    this.#generation = generation;
    this.#start = start;
    this.#tag = tag;
    this.#ended = undefined;
    this.#controller = undefined;
    this.#caller = undefined;
  }

  // Computed, not stored: a stored time would be one more number object per call.
  get deadline(): number {
    const timeout = this.#runner.o.timeout;
    return timeout === false ? Infinity : this.#start + timeout;
  }

  /** Listens to the caller's signal until the call ends. */
  link(signal: AbortSignal): void {
    const listener = (): void => {
      this.#callerAborted();
    };
    this.#caller = { signal, listener };
    signal.addEventListener('abort', listener);
  }

  /** Calls `fn` and settles with its outcome (unless the call already ended). */
  run(fn: Protected<T>): void {
    let pending: T | PromiseLike<T>;
    try {
      pending = fn(this);
    } catch (error) {
      this.#failed(error);
      return;
    }
    // Handlers straight on the function's promise (no async driver): one turn to settle ours. A
    // promise whose `then` throws fails the call; one that settles twice is settled once.
    try {
      (pending instanceof Promise ? (pending as Promise<T>) : Promise.resolve(pending)).then(
        this.#succeeded.bind(this),
        this.#failed.bind(this),
      );
    } catch (error) {
      this.#failed(error);
    }
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    const caller = this.#caller?.signal;
    // Without a timeout the caller's signal is the only reason to stop: hand it on as it is.
    if (!this.#runner.timed && caller !== undefined) return caller;
    this.#controller = new AbortController();
    // Read for the first time after the call ended early: hand out a signal that says so.
    if (typeof this.#ended === 'object') this.#controller.abort(this.#ended);
    else if (caller?.aborted === true) this.#controller.abort(caller.reason);
    return this.#controller.signal;
  }

  // A result that arrives after a timeout or an abort was already answered for: dropped.
  #succeeded(value: T): void {
    if (this.#finish())
      this.#resolve(this.#runner.succeeded(value, this.#generation, this.#start, this.#tag));
  }

  #failed(error: unknown): void {
    if (!this.#finish()) return;
    try {
      this.#resolve(this.#runner.failed(error, this.#generation, this.#start, this.#args, this.#tag) as T);
    } catch (answer) {
      this.#reject(answer);
    }
  }

  /** Deadline reached: abort the function's signal and answer with `CallTimeoutError` (or the fallback). */
  expire(): void {
    if (this.#ended !== undefined) {
      this.#releaseAborted(); // an aborted call's function still running: its permit ends here
      return;
    }
    this.#ended = true;
    this.#detachCaller();
    const timeoutMs = this.#runner.o.timeout as number;
    const error = this.#runner.timedOut(this.#generation, this.#start, timeoutMs, this.#tag);
    this.#ended = error;
    this.#controller?.abort(error);
    try {
      this.#resolve(this.#runner.fallback(error, this.#args) as T);
    } catch (answer) {
      this.#reject(answer);
    }
  }

  /**
   * The caller's signal aborted: reject with its reason, not counted. The call keeps its permit
   * (and its place in the deadline queue) until its function settles or its deadline passes, so a
   * half-open breaker bounds the calls running against the dependency, not the callers waiting.
   */
  #callerAborted(): void {
    if (this.#ended !== undefined) return;
    this.#ended = false;
    this.#detachCaller();
    const reason = this.#caller?.signal.reason as unknown;
    this.#controller?.abort(reason);
    this.#runner.aborted(reason, this.#generation, this.#start);
    this.#reject(reason);
  }

  /** Marks the call ended; false when it already was. */
  #finish(): boolean {
    if (this.#ended !== undefined) {
      this.#releaseAborted();
      return false;
    }
    this.#ended = true;
    this.#runner.deadlines?.remove(this); // a call not queued is ignored
    this.#detachCaller();
    return true;
  }

  /** Releases the permit of a call answered by its caller's abort, once. */
  #releaseAborted(): void {
    if (this.#ended !== false) return;
    this.#ended = true;
    this.#runner.deadlines?.remove(this); // a call not queued is ignored
    this.#runner.releaseAborted(this.#generation, this.#start, this.#tag);
  }

  #detachCaller(): void {
    const caller = this.#caller;
    if (caller !== undefined) caller.signal.removeEventListener('abort', caller.listener);
  }
}

// The shared executor as a module constant: the optimizing compiler inlines the executor of a
// `new Promise` only when it can tell which function that is, and it cannot rely on a property of
// the class. Inlined, it is about 170 machine instructions cheaper per call.
const capture = GuardedCall.capture;

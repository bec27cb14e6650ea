/**
 * The one deadline-call mechanism: a call raced against its deadline (on a shared
 * `DeadlineQueue`) and its caller's signal. The circuit breaker runs its timed calls through
 * it, and so does the `timeout` policy; each is a {@link CallHost} that decides what an outcome,
 * a timeout and an abort mean for it.
 */
import type { CallTimeoutError } from './errors.js';
import type { Expiring } from './deadline-queue.js';
import type { PolicyContext, Protected } from './policy.js';

/**
 * What a guarded call needs from whoever runs it: its timeout, its deadline queue, and the
 * outcome steps (for the breaker's `Runner`: classify, record, report, fall back). `generation`,
 * `start` and `ticket` are the host's own, handed back untouched; `args` go to `fallback`.
 */
export interface CallHost<Ticket> {
  /** True when calls have a deadline (then `timeoutMs` is finite). */
  readonly timed: boolean;
  /** The call timeout in ms; `Infinity` without one. */
  readonly timeoutMs: number;
  /** Queues a timed call for its deadline. */
  schedule(call: Expiring): void;
  /** Takes a call off the deadline queue (a call not queued is ignored). */
  unschedule(call: Expiring): void;
  /** A resolved call: returns the value for the caller. */
  succeeded<T>(value: T, generation: number, start: number, ticket: Ticket): T;
  /** A rejected call: returns the fallback's answer, or throws what the caller gets. */
  failed(
    error: unknown,
    generation: number,
    start: number,
    args: readonly unknown[],
    ticket: Ticket,
  ): unknown;
  /** The deadline passed: returns the error to answer with (after counting it, for a breaker). */
  timedOut(generation: number, start: number, ticket: Ticket): CallTimeoutError;
  /** The caller aborted: the caller is answered; the function may still run (see `releaseAborted`). */
  aborted(reason: unknown, generation: number, start: number): void;
  /** The function of an aborted call settled or reached its deadline (a breaker returns its permit). */
  releaseAborted(generation: number, start: number, ticket: Ticket): void;
  /** Answers with the fallback, or throws `error` when there is none. */
  fallback(error: unknown, args: readonly unknown[]): unknown;
}

const noop = (): void => undefined;

type AnyCall = GuardedCall<unknown, unknown>;
type Executor<T> = (resolve: (value: T | PromiseLike<T>) => void, reject: (error: unknown) => void) => void;
/** The call whose promise is being built (see "Speed trick" at the end of the file). */
let building: AnyCall | undefined;

/** The host of the one call that is never run (it keeps the class's shape alive). */
const SHAPE_HOST = undefined as unknown as CallHost<unknown>;

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
export function guardedCall<T, Ticket>(
  host: CallHost<Ticket>,
  fn: Protected<T>,
  args: readonly unknown[],
  generation: number,
  start: number,
  caller: AbortSignal | undefined,
  ticket: Ticket,
): Promise<T> {
  const call = new GuardedCall<T, Ticket>(host, args, generation, start, ticket);
  building = call as AnyCall;
  const promise = new Promise<T>(capture as Executor<T>);
  building = undefined;
  if (host.timed) host.schedule(call);
  if (caller !== undefined) call.link(caller);
  call.run(fn);
  return promise;
}

/**
 * One call on the guarded path: the `PolicyContext` handed to the function, and an entry of the
 * host's deadline queue. Speed trick: its `signal` is made on first read (most functions never
 * read it, and an `AbortController` is the dearest part of a call), and the object is kept small,
 * as one is made per timed call. Benchmark row `closed-timeout`.
 */
class GuardedCall<T, Ticket> implements PolicyContext, Expiring {
  prev: Expiring | undefined;
  next: Expiring | undefined;
  #resolve: (value: T | PromiseLike<T>) => void;
  #reject: (error: unknown) => void;
  readonly #host: CallHost<Ticket>;
  readonly #args: readonly unknown[];
  readonly #generation: number;
  readonly #start: number;
  readonly #ticket: Ticket;
  /**
   * `undefined` while running; then `true`, or the `CallTimeoutError` when the deadline ended it;
   * `false` while the caller, having aborted, is answered but the function still runs and holds
   * the call's permit.
   */
  #ended: boolean | CallTimeoutError | undefined;
  #controller: AbortController | undefined;
  #caller: CallerLink | undefined;

  /** The shared executor (see "Speed trick" at the end of the file). */
  static capture(this: void, resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
    const call = building;
    if (call === undefined) return;
    call.#resolve = resolve;
    call.#reject = reject;
  }

  /** Holds the hidden class of calls alive (see "Speed trick" at the end of the file). */
  // eslint-disable-next-line no-unused-private-class-members -- held, never read
  static readonly #shape = new GuardedCall<unknown, unknown>(SHAPE_HOST, [], 0, 0.5, undefined);

  constructor(
    host: CallHost<Ticket>,
    args: readonly unknown[],
    generation: number,
    start: number,
    ticket: Ticket,
  ) {
    this.prev = undefined;
    this.next = undefined;
    this.#resolve = noop;
    this.#reject = noop;
    this.#host = host;
    this.#args = args;
    this.#generation = generation;
    this.#start = start;
    this.#ticket = ticket;
    this.#ended = undefined;
    this.#controller = undefined;
    this.#caller = undefined;
  }

  // Computed, not stored: a stored time would be one more heap number per call (benchmark row
  // closed-timeout, bytes per call).
  get deadline(): number {
    return this.#start + this.#host.timeoutMs;
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
    if (!this.#host.timed && caller !== undefined) return caller;
    this.#controller = new AbortController();
    // Read for the first time after the call ended early: hand out a signal that says so.
    if (typeof this.#ended === 'object') this.#controller.abort(this.#ended);
    else if (caller?.aborted === true) this.#controller.abort(caller.reason);
    return this.#controller.signal;
  }

  // A result that arrives after a timeout or an abort was already answered for: dropped.
  #succeeded(value: T): void {
    if (this.#finish())
      this.#resolve(this.#host.succeeded(value, this.#generation, this.#start, this.#ticket));
  }

  #failed(error: unknown): void {
    if (!this.#finish()) return;
    try {
      this.#resolve(this.#host.failed(error, this.#generation, this.#start, this.#args, this.#ticket) as T);
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
    const error = this.#host.timedOut(this.#generation, this.#start, this.#ticket);
    this.#ended = error;
    this.#controller?.abort(error);
    try {
      this.#resolve(this.#host.fallback(error, this.#args) as T);
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
    this.#host.aborted(reason, this.#generation, this.#start);
    this.#reject(reason);
  }

  /** Marks the call ended; false when it already was. */
  #finish(): boolean {
    if (this.#ended !== undefined) {
      this.#releaseAborted();
      return false;
    }
    this.#ended = true;
    this.#host.unschedule(this);
    this.#detachCaller();
    return true;
  }

  /** Releases the permit of a call answered by its caller's abort, once. */
  #releaseAborted(): void {
    if (this.#ended !== false) return;
    this.#ended = true;
    this.#host.unschedule(this);
    this.#host.releaseAborted(this.#generation, this.#start, this.#ticket);
  }

  #detachCaller(): void {
    const caller = this.#caller;
    if (caller !== undefined) caller.signal.removeEventListener('abort', caller.listener);
  }
}

// ---- Speed trick: one executor for every call's promise, and a kept-alive shape ----
// `new Promise(executor)` with a closure would allocate that closure per call. Instead one shared
// function, `capture`, hands the resolving functions to the call being built, found through the
// module variable `building` (set only around `new Promise`). It is a module constant, not read
// from the class, because the optimizing compiler inlines an executor only when it can tell which
// function it is. `GuardedCall.#shape` keeps V8's hidden class of calls alive, so a full garbage
// collection while nothing is in flight does not deoptimize the path (pinned by the test
// "process — a full garbage collection between calls keeps the call and rejection paths
// optimized"). Benchmark row `closed-timeout` (figures: README, "Performance").
const capture = GuardedCall.capture;

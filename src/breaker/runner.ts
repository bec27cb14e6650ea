import { CallTimeoutError, CircuitOpenError, type RejectingState } from '../core/errors.js';
import { DeadlineQueue, type Expiring } from '../core/deadline-queue.js';
import { Emitter } from '../core/events.js';
import type { PolicyContext, Protected } from '../core/policy.js';
import type { CallOutcome } from '../core/telemetry.js';
import type { BreakerEvents } from './events.js';
import type { ResolvedOptions } from './options.js';
import { BreakerMachine, REJECTED, type StateName, type TransitionReason } from './state-machine.js';

/** Lifetime totals of a breaker. `failures` excludes timeouts, which have their own count. */
export interface BreakerTotals {
  calls: number;
  successes: number;
  failures: number;
  timeouts: number;
  ignored: number;
  rejected: number;
  fallbacks: number;
}

const NO_ARGS: readonly unknown[] = Object.freeze([]);

// Outcome events are emitted before the outcome is recorded, so a listener sees the outcome
// before the state change it causes, and its `generation` is still the breaker's own.

/** A classifier that throws counts the call as a failure, and the throw is reported. */
function classify(predicate: (value: unknown) => boolean, value: unknown, what: string): boolean {
  try {
    return predicate(value);
  } catch (error) {
    const proc = (globalThis as { process?: { emitWarning?: (w: string, o: object) => void } }).process;
    proc?.emitWarning?.(`breakwater: ${what} threw; the call counts as a failure: ${String(error)}`, {
      type: 'BreakwaterClassifierWarning',
    });
    return true; // for both classifiers, `true` means "a failure"
  }
}

/**
 * Execution around the state machine: admission, the protected call, its timeout and signals,
 * outcome classification, totals, events and fallback. `CircuitBreaker` is its public face.
 *
 * Two paths: a plain one (no timeout, no caller signal) that is a single `await`, and a guarded
 * one where a {@link GuardedCall} races the function against its deadline and the caller's signal.
 */
export class Runner {
  readonly o: ResolvedOptions;
  readonly machine: BreakerMachine;
  readonly events: Emitter<BreakerEvents>;
  readonly totals: BreakerTotals = {
    calls: 0,
    successes: 0,
    failures: 0,
    timeouts: 0,
    ignored: 0,
    rejected: 0,
    fallbacks: 0,
  };
  readonly deadlines: DeadlineQueue | undefined;
  inFlight = 0;
  #neverAborted: AbortSignal | undefined;
  /** The context of plain calls: their signal never aborts, so one object serves them all. */
  readonly plainContext: PolicyContext;

  constructor(options: ResolvedOptions) {
    this.o = options;
    this.events = new Emitter<BreakerEvents>(options.name);
    this.machine = new BreakerMachine(options, options.clock.now(), this.#onTransition);
    this.deadlines = options.timeout === false ? undefined : new DeadlineQueue(options.clock);
    const self = this; // eslint-disable-line @typescript-eslint/no-this-alias
    this.plainContext = {
      get signal() {
        return (self.#neverAborted ??= new AbortController().signal);
      },
    };
  }

  readonly #onTransition = (
    from: StateName,
    to: StateName,
    reason: TransitionReason,
    generation: number,
  ): void => {
    if (this.events.has('stateChange')) this.events.emit('stateChange', { from, to, reason, generation });
    const t = this.o.telemetry;
    if (t?.active === true) {
      t.emit({ type: 'transition', policy: this.o.name, kind: 'breaker', from, to, reason, generation });
    }
  };

  /** True when anyone listens to this breaker's events or its telemetry stream. */
  get observed(): boolean {
    return this.events.active || this.o.telemetry?.active === true;
  }

  /** Reports a call's outcome to the telemetry stream, if anyone listens there. */
  #tell(outcome: CallOutcome, durationMs: number, slow: boolean): void {
    const t = this.o.telemetry;
    if (t?.active === true)
      t.emit({ type: 'call', policy: this.o.name, kind: 'breaker', outcome, durationMs, slow });
  }

  run<T>(fn: Protected<T>, args: readonly unknown[] = NO_ARGS, signal?: AbortSignal): Promise<T> {
    const m = this.machine;
    if (m.current === 'disabled') return this.#passThrough(fn, signal);
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    if (this.deadlines !== undefined || signal !== undefined) {
      const start = this.o.clock.now();
      const generation = m.admit(start);
      if (generation === REJECTED) return this.#rejected(start, args);
      this.totals.calls++;
      this.inFlight++;
      return new GuardedCall<T>(this, fn, args, generation, start, signal).promise;
    }
    // The plain path (no timeout, no caller signal). A closed breaker with nothing that needs a
    // time admits without the clock (`start` stays NaN) and counts a success untimed.
    let start = NaN;
    let generation = m.generation;
    if (!m.untimedClosed || this.observed) {
      start = this.o.clock.now();
      generation = m.admit(start);
      if (generation === REJECTED) return this.#rejected(start, args);
    }
    this.totals.calls++;
    this.inFlight++;
    let pending: T | PromiseLike<T>;
    try {
      pending = fn(this.plainContext);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return Promise.resolve(pending).then(
      (value) => this.succeeded(value, generation, start),
      (error: unknown) => this.failed(error, generation, start, args) as T,
    );
  }

  /**
   * Starts an admitted call (used by subclasses; `run` inlines the same steps). `tag` travels
   * with the call to `count` / `uncount`.
   */
  launch<T>(
    fn: Protected<T>,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    generation: number,
    start: number,
    tag: unknown,
  ): Promise<T> {
    this.totals.calls++;
    this.inFlight++;
    if (this.deadlines !== undefined || signal !== undefined)
      return new GuardedCall<T>(this, fn, args, generation, start, signal, tag).promise;
    let pending: T | PromiseLike<T>;
    try {
      pending = fn(this.plainContext);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return Promise.resolve(pending).then(
      (value) => this.succeeded(value, generation, start, tag),
      (error: unknown) => this.failed(error, generation, start, args, tag) as T,
    );
  }

  /** Records a counted outcome in the state machine (a fleet runner also counts it for the fleet). */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the tag is for subclasses
  count(generation: number, start: number, now: number, failure: boolean, _tag: unknown): void {
    this.machine.record(generation, start, now, failure);
  }

  /** Releases the permit of a call whose outcome is not counted (ignored error, caller abort). */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- the tag is for subclasses
  uncount(generation: number, start: number, now: number, _tag: unknown): void {
    this.machine.release(generation, start, now);
  }

  async #passThrough<T>(fn: Protected<T>, signal: AbortSignal | undefined): Promise<T> {
    return fn(signal === undefined ? this.plainContext : { signal });
  }

  #rejected<T>(now: number, args: readonly unknown[]): Promise<T> {
    return this.rejectWith(this.machine.current as RejectingState, this.machine.retryAfterMs(now), args);
  }

  /** A call refused without running: counts, reports, and answers with the fallback or the error. */
  rejectWith<T>(state: RejectingState, retryAfterMs: number, args: readonly unknown[]): Promise<T> {
    this.totals.rejected++;
    const error = CircuitOpenError.fast(this.o.name, state, retryAfterMs);
    if (this.events.has('rejected')) this.events.emit('rejected', { state, retryAfterMs });
    this.#tell('rejected', NaN, false);
    if (this.o.fallback === undefined) return Promise.reject(error);
    try {
      return Promise.resolve(this.fallback(error, args) as T);
    } catch (fallbackError) {
      return Promise.reject(fallbackError);
    }
  }

  /** A resolved call: classify the result, record, report; returns the value. */
  succeeded<T>(value: T, generation: number, start: number, tag?: unknown): T {
    this.inFlight--;
    const isResultFailure = this.o.isResultFailure;
    const resultFailed = isResultFailure !== undefined && classify(isResultFailure, value, 'isResultFailure');
    // An untimed admission (start is NaN) in the closed state: count without reading the clock.
    if (
      !resultFailed &&
      Number.isNaN(start) &&
      !this.observed &&
      this.machine.countUntimedSuccess(generation)
    ) {
      this.totals.successes++;
      return value;
    }
    const now = this.o.clock.now();
    const durationMs = now - start;
    const slow = durationMs >= this.o.slowCallDuration;
    if (resultFailed) {
      this.totals.failures++;
      if (this.events.has('failure'))
        this.events.emit('failure', { durationMs, slow, generation, error: undefined, result: value });
      this.#tell('failure', durationMs, slow);
      this.count(generation, start, now, true, tag);
    } else {
      this.totals.successes++;
      if (this.events.has('success')) this.events.emit('success', { durationMs, slow, generation });
      this.#tell('success', durationMs, slow);
      this.count(generation, start, now, false, tag);
    }
    return value;
  }

  /** A rejected call: classify, record, report; returns the fallback's answer or throws. */
  failed(
    error: unknown,
    generation: number,
    start: number,
    args: readonly unknown[],
    tag?: unknown,
  ): unknown {
    this.inFlight--;
    const now = this.o.clock.now();
    const durationMs = now - start;
    const isFailure = this.o.isFailure;
    if (isFailure !== undefined && !classify(isFailure, error, 'isFailure')) {
      this.totals.ignored++;
      this.uncount(generation, start, now, tag);
      if (this.events.has('ignored'))
        this.events.emit('ignored', { durationMs, error, aborted: false, generation });
      this.#tell('ignored', durationMs, false);
      throw error;
    }
    this.totals.failures++;
    const slow = durationMs >= this.o.slowCallDuration;
    if (this.events.has('failure')) this.events.emit('failure', { durationMs, slow, generation, error });
    this.#tell('failure', durationMs, slow);
    this.count(generation, start, now, true, tag);
    return this.fallback(error, args);
  }

  /** A call that ran out of time: it counts as a failure. */
  timedOut(
    generation: number,
    start: number,
    args: readonly unknown[],
    timeoutMs: number,
    tag?: unknown,
  ): { error: CallTimeoutError; answer: () => unknown } {
    this.inFlight--;
    const now = this.o.clock.now();
    this.totals.timeouts++;
    const durationMs = now - start;
    if (this.events.has('timeout')) this.events.emit('timeout', { durationMs, timeoutMs, generation });
    this.#tell('timeout', durationMs, durationMs >= this.o.slowCallDuration);
    this.count(generation, start, now, true, tag);
    const error = new CallTimeoutError(this.o.name, timeoutMs);
    return { error, answer: () => this.fallback(error, args) };
  }

  /** The caller aborted: not counted, the permit is released. */
  aborted(reason: unknown, generation: number, start: number, tag?: unknown): void {
    this.inFlight--;
    this.totals.ignored++;
    const now = this.o.clock.now();
    this.uncount(generation, start, now, tag);
    if (this.observed) {
      const durationMs = now - start;
      if (this.events.has('ignored'))
        this.events.emit('ignored', { durationMs, error: reason, aborted: true, generation });
      this.#tell('ignored', durationMs, false);
    }
  }

  /** Answers with the fallback, or throws `error` when there is none. */
  fallback(error: unknown, args: readonly unknown[]): unknown {
    const fallback = this.o.fallback;
    if (fallback === undefined) throw error;
    this.totals.fallbacks++;
    if (this.events.has('fallback')) this.events.emit('fallback', { error });
    const t = this.o.telemetry;
    if (t?.active === true) t.emit({ type: 'fallback', policy: this.o.name, kind: 'breaker' });
    return fallback(error, ...args);
  }
}

/**
 * One call on the guarded path. It is the `PolicyContext` handed to the function (its `signal`
 * is made on first read: most functions never read it, and an `AbortController` costs more than
 * the rest of the call), and an entry of the breaker's deadline queue.
 */
class GuardedCall<T> implements PolicyContext, Expiring {
  deadline: number;
  prev: Expiring | undefined = undefined;
  next: Expiring | undefined = undefined;
  readonly promise: Promise<T>;
  #resolve!: (value: T | PromiseLike<T>) => void;
  #reject!: (error: unknown) => void;
  #settled = false;
  #controller: AbortController | undefined;
  #timeoutError: CallTimeoutError | undefined;
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
    tag?: unknown,
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
    if (runner.deadlines !== undefined) runner.deadlines.push(this);
    if (caller !== undefined) caller.addEventListener('abort', this.#onCallerAbort);
    void this.#drive(fn);
  }

  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    // Without a timeout the caller's signal is the only reason to stop: hand it on as it is.
    if (this.#runner.deadlines === undefined && this.#caller !== undefined) return this.#caller;
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
      if (this.#finish())
        this.#answer(() => this.#runner.failed(error, this.#generation, this.#start, this.#args, this.#tag));
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
    const { error, answer } = this.#runner.timedOut(
      this.#generation,
      this.#start,
      this.#args,
      timeoutMs,
      this.#tag,
    );
    this.#timeoutError = error;
    this.#controller?.abort(error);
    this.#answer(answer);
  }

  readonly #onCallerAbort = (): void => {
    if (!this.#finish()) return;
    const reason = this.#caller?.reason as unknown;
    this.#controller?.abort(reason);
    this.#runner.aborted(reason, this.#generation, this.#start, this.#tag);
    this.#reject(reason);
  };

  /** Marks the call settled; false when it already was. */
  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    this.#runner.deadlines?.remove(this);
    this.#detachCaller();
    return true;
  }

  #detachCaller(): void {
    this.#caller?.removeEventListener('abort', this.#onCallerAbort);
  }

  #answer(produce: () => unknown): void {
    try {
      this.#resolve(produce() as T);
    } catch (error) {
      this.#reject(error);
    }
  }
}

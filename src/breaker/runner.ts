import {
  CallTimeoutError,
  CircuitOpenError,
  type RejectingState,
  type RejectionSource,
} from '../core/errors.js';
import { guardedCall } from './guarded-call.js';
import type { DeadlineQueue } from '../core/deadline-queue.js';
import { Emitter } from '../core/events.js';
import { NEVER_ABORTED_CONTEXT } from '../core/never-aborted.js';
import type { PolicyContext, Protected } from '../core/policy.js';
import type { CallOutcome } from '../core/telemetry.js';
import type { BreakerEvents } from './events.js';
import type { ResolvedOptions } from './options.js';
import {
  BreakerMachine,
  REJECTED,
  type StateName,
  type TransitionHook,
  type TransitionReason,
} from './state-machine.js';
import { describeError } from '../core/describe-error.js';

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
/** Events whose listeners need call durations. */
const OUTCOME_EVENTS: readonly (keyof BreakerEvents)[] = ['success', 'failure', 'timeout', 'ignored'];
const SETTLED: Promise<void> = Promise.resolve();
// The built-in `then`, for promises handed over by user code (which may carry an own `then`).
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with `.call`
const promiseThen = Promise.prototype.then as (
  this: Promise<unknown>,
  onFulfilled: (value: never) => unknown,
  onRejected: (error: unknown) => unknown,
) => Promise<unknown>;

/** Outcome observers shared by the untimed calls of one generation. */
interface SharedObservers {
  readonly generation: number;
  readonly tag: unknown;
  readonly ok: (value: unknown) => void;
  readonly error: (error: unknown) => void;
}

// Outcome events are emitted before the outcome is recorded, so a listener sees the outcome
// before the state change it causes, and its `generation` is still the breaker's own.

type Classifier = 'isFailure' | 'isResultFailure';

function classifierWarning(message: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (w: string, o: object) => void } }).process;
  proc?.emitWarning?.(`breakwater: ${message}`, { type: 'BreakwaterClassifierWarning' });
}

/**
 * Asks a classifier whether `value` is a failure (for both classifiers, `true` means "a failure").
 * One that throws counts the call as a failure, and the throw is reported. One that returns a
 * thenable (an `async` classifier) is a bug in the caller's code: the answer is that option's
 * default (an error is a failure, a result is not), reported once per breaker (see `asyncClassifier`).
 */
function classify(
  runner: Runner,
  predicate: (value: unknown) => unknown,
  value: unknown,
  which: Classifier,
): boolean {
  let verdict: unknown;
  try {
    verdict = predicate(value);
  } catch (error) {
    classifierWarning(`${which} threw; the call counts as a failure: ${describeError(error)}`);
    return true;
  }
  if (typeof verdict === 'boolean') return verdict;
  return isThenable(verdict) ? runner.asyncClassifier(verdict, which) : Boolean(verdict);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

const ignore = (): void => undefined;

/**
 * Execution around the state machine: admission, the protected call, its timeout and signals,
 * outcome classification, totals, events and fallback. `CircuitBreaker` is its public face.
 *
 * Two paths: a plain one (no timeout, no caller signal) where the caller gets the call's own
 * promise and the breaker observes it, and a guarded one (`guardedCall`) that races the function
 * against its deadline and the caller's signal.
 */
export class Runner implements TransitionHook {
  /** Resolved options, shared by every breaker built from the same options. */
  readonly o: ResolvedOptions;
  readonly name: string;
  readonly machine: BreakerMachine;
  // Lifetime totals, as fields of the runner rather than an object of their own: one object less
  // to make per breaker (see `totals`).
  calls = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  ignored = 0;
  rejected = 0;
  fallbacks = 0;
  /** Made on the first subscription: most breakers are never listened to. */
  #events: Emitter<BreakerEvents> | undefined;
  /** True when calls have a timeout (they take the guarded path). */
  readonly timed: boolean;
  /** The deadline queue of timed calls, made on the first timed call (see `guardedCall`). */
  deadlines: DeadlineQueue | undefined;
  inFlight = 0;
  #observers: SharedObservers | undefined;
  /** The classifiers already reported for returning a thenable (one warning per breaker and option). */
  #asyncClassifiers: Classifier | 'both' | undefined;

  constructor(options: ResolvedOptions, name: string) {
    this.o = options;
    this.name = name;
    this.machine = new BreakerMachine(options, options.clock.now(), this);
    this.timed = options.timeout !== false;
  }

  /** The breaker's events; reading it makes the emitter. */
  get events(): Emitter<BreakerEvents> {
    // Outcome listeners need durations, so their presence makes calls timed (see `observed`).
    return (this.#events ??= new Emitter<BreakerEvents>(this.name, OUTCOME_EVENTS));
  }

  /** True when `event` has a listener (false while nobody ever subscribed). */
  listens(event: keyof BreakerEvents): boolean {
    return this.#events?.has(event) === true;
  }

  /** A snapshot of the lifetime totals. */
  get totals(): BreakerTotals {
    const { calls, successes, failures, timeouts, ignored, rejected, fallbacks } = this;
    return { calls, successes, failures, timeouts, ignored, rejected, fallbacks };
  }

  /** The context of plain calls: their signal never aborts, so one object serves them all. */
  get plainContext(): PolicyContext {
    return NEVER_ABORTED_CONTEXT;
  }

  /**
   * The state that governs the next call. A plain breaker's is its machine's; a fleet runner adds
   * the fleet's say (see `FleetRunner`).
   */
  effectiveState(now: number): StateName {
    return this.machine.state(now);
  }

  /** When the effective state began (see `effectiveState`). */
  get effectiveSince(): number {
    return this.machine.enteredAt;
  }

  /** Ms until the effective state admits probes (see `effectiveState`). */
  retryAfterMs(now: number): number {
    return this.machine.retryAfterMs(now);
  }

  /** Called by the state machine after every transition. */
  transitioned(from: StateName, to: StateName, reason: TransitionReason, generation: number): void {
    if (this.listens('stateChange')) this.events.emit('stateChange', { from, to, reason, generation });
    const t = this.o.telemetry;
    if (t?.active === true) {
      t.emit({ type: 'transition', policy: this.name, kind: 'breaker', from, to, reason, generation });
    }
  }

  /**
   * True when anyone listens to call outcomes (their events need durations, so calls are timed):
   * outcome listeners on this breaker, or anyone on its telemetry stream. Listeners of
   * `stateChange`, `rejected` or `fallback` alone leave calls untimed.
   */
  get observed(): boolean {
    return this.#events?.watchedActive === true || this.o.telemetry?.active === true;
  }

  /** Reports a call's outcome to the telemetry stream, if anyone listens there. */
  #tell(outcome: CallOutcome, durationMs: number, slow: boolean): void {
    const t = this.o.telemetry;
    if (t?.active === true)
      t.emit({ type: 'call', policy: this.name, kind: 'breaker', outcome, durationMs, slow });
  }

  run<T>(fn: Protected<T>, args: readonly unknown[] = NO_ARGS, signal?: AbortSignal): Promise<T> {
    const m = this.machine;
    if (m.current === 'disabled') return this.#passThrough(fn, signal);
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    // A closed breaker with nothing that needs a time (no timeout, no caller signal, no rule that
    // successes move, nobody timing outcomes) admits without the clock: `start` stays NaN.
    if (!this.timed && signal === undefined && m.untimedClosed && !this.observed) {
      return this.launch(fn, args, undefined, m.generation, NaN, undefined);
    }
    const start = this.o.clock.now();
    const generation = m.admit(start);
    if (generation === REJECTED) return this.#rejected(start, args);
    return this.launch(fn, args, signal, generation, start, undefined);
  }

  /**
   * Starts an admitted call. `tag` travels with the call to `count` / `uncount` (a fleet runner
   * tags its calls; a plain breaker passes `undefined`).
   */
  launch<T>(
    fn: Protected<T>,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    generation: number,
    start: number,
    tag: unknown,
  ): Promise<T> {
    this.calls++;
    this.inFlight++;
    if (this.timed || signal !== undefined) {
      return guardedCall<T>(this, fn, args, generation, start, signal, tag);
    }
    // `Promise.resolve` adopts a thenable or a foreign promise in a later job, so a `then` that
    // throws or settles twice becomes an ordinary outcome; only a native promise is returned as is,
    // and its handlers are attached with the built-in `then`, never an own `then` of its.
    let settled: Promise<T>;
    try {
      settled = Promise.resolve(fn(this.plainContext));
    } catch (error) {
      settled = Promise.reject(error);
    }
    if (this.o.fallback !== undefined) {
      // A fallback may replace the outcome: the caller gets a promise derived from the call's.
      return promiseThen.call(
        settled,
        (value) => this.succeeded(value, generation, start, tag),
        (error: unknown) => this.failed(error, generation, start, args, tag) as T,
      ) as Promise<T>;
    }
    // Without a fallback the caller gets the call's own promise, outcome untouched; the breaker
    // observes it through handlers attached first, so its state is updated before the caller
    // resumes. This spares the caller an extra turn and a rethrow of every failure. Untimed calls
    // of one generation with the same plain tag need nothing of their own: they share observers.
    if (Number.isNaN(start) && typeof tag !== 'object') {
      const shared = this.#observers;
      const observers =
        shared?.generation === generation && shared.tag === tag
          ? shared
          : this.#makeObservers(generation, tag);
      void promiseThen.call(settled, observers.ok, observers.error);
    } else {
      void promiseThen.call(
        settled,
        (value: unknown) => {
          this.succeeded(value, generation, start, tag);
        },
        (error: unknown) => {
          this.observeFailure(error, generation, start, tag);
        },
      );
    }
    return settled;
  }

  /** The verdict for a classifier that returned a thenable: the option's default, reported once. */
  asyncClassifier(verdict: PromiseLike<unknown>, which: Classifier): boolean {
    try {
      verdict.then(undefined, ignore); // its rejection, if any, must not go unhandled
    } catch {
      // a `then` that throws: nothing is pending
    }
    const warned = this.#asyncClassifiers;
    if (warned !== which && warned !== 'both') {
      this.#asyncClassifiers = warned === undefined ? which : 'both';
      classifierWarning(
        `${which} of breaker "${this.name}" returned a promise, but classifiers must be synchronous; ` +
          `the call is classified as without ${which} (${which === 'isFailure' ? 'an error is a failure' : 'a result is a success'}). ` +
          `This is reported once per breaker.`,
      );
    }
    return which === 'isFailure';
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

  #makeObservers(generation: number, tag: unknown): SharedObservers {
    return (this.#observers = {
      generation,
      tag,
      ok: (value: unknown) => {
        this.succeeded(value, generation, NaN, tag);
      },
      error: (error: unknown) => {
        this.observeFailure(error, generation, NaN, tag);
      },
    });
  }

  async #passThrough<T>(fn: Protected<T>, signal: AbortSignal | undefined): Promise<T> {
    return fn(signal === undefined ? this.plainContext : { signal });
  }

  #rejected<T>(now: number, args: readonly unknown[]): Promise<T> {
    return this.rejectWith(this.machine.current as RejectingState, this.machine.retryAfterMs(now), args);
  }

  /** A call refused without running: counts, reports, and answers with the fallback or the error. */
  rejectWith<T>(
    state: RejectingState,
    retryAfterMs: number,
    args: readonly unknown[],
    source: RejectionSource = 'local',
  ): Promise<T> {
    this.rejected++;
    const error = CircuitOpenError.fast(this.name, state, retryAfterMs, source);
    if (this.listens('rejected')) this.events.emit('rejected', { state, retryAfterMs });
    this.#tell('rejected', NaN, false);
    // Rejecting through a settled promise's `then` (rather than `Promise.reject`) gives the caller a
    // turn to attach its handler first, which spares Node's unhandled-rejection bookkeeping.
    // A bound method, not an arrow: a closure made per rejection would run without type feedback
    // and through the lazy-compile stub every time.
    return SETTLED.then(this.fallback.bind(this, error, args)) as Promise<T>;
  }

  /** A resolved call: classify the result, record, report; returns the value. */
  succeeded<T>(value: T, generation: number, start: number, tag?: unknown): T {
    this.inFlight--;
    const isResultFailure = this.o.isResultFailure;
    const resultFailed =
      isResultFailure !== undefined && classify(this, isResultFailure, value, 'isResultFailure');
    // In the closed state with no rule that successes can move: count without reading the clock.
    // An object tag (a fleet probe's lease) must always reach `count`, so it never takes this lane.
    if (
      !resultFailed &&
      (typeof tag !== 'object' || tag === null) &&
      !this.observed &&
      this.machine.countUntimedSuccess(generation, start)
    ) {
      this.successes++;
      return value;
    }
    const now = this.o.clock.now();
    const durationMs = now - start;
    const slow = durationMs >= this.o.slowCallDuration;
    if (resultFailed) {
      this.failures++;
      if (this.listens('failure'))
        this.events.emit('failure', { durationMs, slow, generation, error: undefined, result: value });
      this.#tell('failure', durationMs, slow);
      this.count(generation, start, now, true, tag);
    } else {
      this.successes++;
      if (this.listens('success')) this.events.emit('success', { durationMs, slow, generation });
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
    if (!this.observeFailure(error, generation, start, tag)) throw error; // ignored: rethrown untouched
    if (this.o.fallback === undefined) throw error; // rethrown here, not deeper: throwing costs per frame
    return this.fallback(error, args);
  }

  /** Classifies, records and reports a rejected call; true when it counted as a failure. Never throws. */
  observeFailure(error: unknown, generation: number, start: number, tag?: unknown): boolean {
    this.inFlight--;
    const now = this.o.clock.now();
    const durationMs = now - start;
    const isFailure = this.o.isFailure;
    if (isFailure !== undefined && !classify(this, isFailure, error, 'isFailure')) {
      this.ignored++;
      this.uncount(generation, start, now, tag);
      if (this.listens('ignored'))
        this.events.emit('ignored', { durationMs, error, aborted: false, generation });
      this.#tell('ignored', durationMs, false);
      return false;
    }
    this.failures++;
    const slow = durationMs >= this.o.slowCallDuration;
    if (this.listens('failure')) this.events.emit('failure', { durationMs, slow, generation, error });
    this.#tell('failure', durationMs, slow);
    this.count(generation, start, now, true, tag);
    return true;
  }

  /** A call that ran out of time: it counts as a failure. */
  timedOut(generation: number, start: number, timeoutMs: number, tag?: unknown): CallTimeoutError {
    this.inFlight--;
    const now = this.o.clock.now();
    this.timeouts++;
    const durationMs = now - start;
    if (this.listens('timeout')) this.events.emit('timeout', { durationMs, timeoutMs, generation });
    this.#tell('timeout', durationMs, durationMs >= this.o.slowCallDuration);
    this.count(generation, start, now, true, tag);
    return new CallTimeoutError(this.name, timeoutMs);
  }

  /**
   * The caller aborted: not counted. The permit stays taken while the function runs: see
   * `releaseAborted`.
   */
  aborted(reason: unknown, generation: number, start: number): void {
    this.inFlight--;
    this.ignored++;
    if (this.observed) {
      const durationMs = this.o.clock.now() - start;
      if (this.listens('ignored'))
        this.events.emit('ignored', { durationMs, error: reason, aborted: true, generation });
      this.#tell('ignored', durationMs, false);
    }
  }

  /**
   * The function of a call whose caller aborted settled, or reached its deadline: its permit is
   * released, its outcome not counted. (A half-open probe still running at its deadline has by then
   * counted as a failure: the state machine's probe deadline.)
   */
  releaseAborted(generation: number, start: number, tag: unknown): void {
    this.uncount(generation, start, this.o.clock.now(), tag);
  }

  /** Answers with the fallback, or throws `error` when there is none. */
  fallback(error: unknown, args: readonly unknown[]): unknown {
    const fallback = this.o.fallback;
    if (fallback === undefined) throw error;
    this.fallbacks++;
    if (this.listens('fallback')) this.events.emit('fallback', { error });
    const t = this.o.telemetry;
    if (t?.active === true) t.emit({ type: 'fallback', policy: this.name, kind: 'breaker' });
    return fallback(error, ...args);
  }
}

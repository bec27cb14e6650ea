/**
 * Execution around the state machine. `CircuitBreaker` is its public face.
 *
 * The life of a call (`run`):
 *  1. Admit. The local state machine decides first (`machine.admit`), then the admission hook
 *     (`admission`: a no-op for a plain breaker, the fleet for a fleet member), which answers
 *     with a ticket, `REFUSE` or `WAIT`. A refused call is answered at once (`rejectWith`).
 *  2. Run (`launch`). A call with a deadline or a caller's signal goes through `guardedCall`,
 *     which races the function against both; any other call is the function's own promise,
 *     observed.
 *  3. Settle. The outcome is classified (`succeeded`, `failed`, `timedOut`, `aborted`), reported
 *     once through the report funnel (`report`: totals, events, telemetry), then recorded in the
 *     state machine and handed with its ticket to the hook (`record`, `release`). Recording may
 *     make a transition (`machine.record` → trip rule → `#transition`), which the machine tells
 *     `transitioned`, and the hook turns into the state the breaker shows.
 *
 * One shortcut, described where it is taken: a closed breaker whose decisions do not depend on
 * successes, with nobody timing outcomes, admits and counts successes without reading the clock
 * (the untimed lane; `start` is then NaN).
 */
import {
  CallTimeoutError,
  CircuitOpenError,
  type RejectingState,
  type RejectionSource,
} from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { DeadlineQueue, type Expiring } from '../core/deadline-queue.js';
import { NEVER_ABORTED_CONTEXT } from '../core/never-aborted.js';
import type { Protected } from '../core/policy.js';
import type { StateName } from '../core/states.js';
import { processWarning } from '../core/warn.js';
import { ASK, type Admission, REFUSE, type TicketValue, WAIT } from './admission.js';
import { type CallHost, guardedCall } from '../core/guarded-call.js';
import type { ResolvedOptions } from './options.js';
import { BreakerReport } from './report.js';
import { BreakerMachine, type TransitionListener, type TransitionReason } from './state-machine.js';
import { describeError } from '../core/describe-error.js';

const NO_ARGS: readonly unknown[] = Object.freeze([]);
const SETTLED: Promise<void> = Promise.resolve();
// The built-in `then`, for promises handed over by user code (which may carry an own `then`).
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with `.call`
const promiseThen = Promise.prototype.then as (
  this: Promise<unknown>,
  onFulfilled: (value: never) => unknown,
  onRejected: (error: unknown) => unknown,
) => Promise<unknown>;

type Classifier = 'isFailure' | 'isResultFailure';

/** Makes a breaker's admission hook once its machine and report exist. */
export type AdmissionFactory<Ticket extends TicketValue> = (runner: Runner<Ticket>) => Admission<Ticket>;

/**
 * Outcome handlers shared by the untimed calls of one generation and ticket (see "Speed trick"
 * in `launch`).
 */
interface SharedObservers<Ticket> {
  readonly generation: number;
  readonly ticket: Ticket;
  readonly ok: (value: unknown) => void;
  readonly error: (error: unknown) => void;
}

/**
 * Execution around the state machine; see the module comment for the life of a call.
 *
 * Speed trick: the methods on the call path are public, not `#private` (this class is internal):
 * on Node 20 a call to a private method pays a brand check the optimizer keeps. Benchmark rows
 * `closed-timeout` and `open`.
 */
export class Runner<Ticket extends TicketValue = TicketValue>
  implements TransitionListener, CallHost<Ticket>
{
  /** Resolved options, shared by every breaker built from the same options. */
  readonly options: ResolvedOptions;
  readonly name: string;
  readonly clock: Clock;
  readonly machine: BreakerMachine;
  /** The one place outcomes, transitions and fleet events are reported. */
  readonly report: BreakerReport;
  /** The gate after the local breaker (see `admission.ts`). */
  readonly admission: Admission<Ticket>;
  /** True when calls have a timeout (they take the guarded path). */
  readonly timed: boolean;
  readonly timeoutMs: number;
  /** The deadline queue of timed calls, made on the first timed call. */
  #deadlines: DeadlineQueue | undefined;
  inFlight = 0;
  #observers: SharedObservers<Ticket> | undefined;
  /** Handlers shared by timed calls that run alone (see `launch`), and the start of the one running. */
  #soloObservers: SharedObservers<Ticket> | undefined;
  soloStart = NaN;
  /** The classifiers already reported for returning a thenable (one warning per breaker and option). */
  #asyncClassifiers: Classifier | 'both' | undefined;

  constructor(
    options: ResolvedOptions,
    name: string,
    local: Admission<Ticket>,
    makeAdmission?: AdmissionFactory<Ticket>,
  ) {
    this.options = options;
    this.name = name;
    this.clock = options.clock;
    this.report = new BreakerReport(name, options.telemetry);
    // Until the hook exists (attaching a fleet may already make transitions) the breaker is local.
    this.admission = local;
    this.machine = new BreakerMachine(options, options.clock.now(), this);
    this.timed = options.timeout !== false;
    this.timeoutMs = options.timeout === false ? Infinity : options.timeout;
    if (makeAdmission !== undefined) this.admission = makeAdmission(this);
  }

  // ---- what the breaker shows ----

  /** The state that governs the next call: the local state as the admission hook shows it. */
  state(now: number): StateName {
    return this.admission.view(now, this.machine.state(now));
  }

  /** When the state the breaker shows began. */
  get stateSince(): number {
    return this.admission.viewSince(this.machine.enteredAt);
  }

  /** Ms until the state the breaker shows admits probes. */
  retryAfterMs(now: number): number {
    const machine = this.machine;
    const local = machine.state(now);
    return this.admission.retryAfterMs(now, local, machine.retryAfterMs(now));
  }

  /** Told by the state machine after every transition. */
  transitioned(from: StateName, to: StateName, reason: TransitionReason, generation: number): void {
    this.admission.transitioned(from, to, reason, generation, this.report);
  }

  // ---- 1. admit ----

  run<T>(fn: Protected<T>, args: readonly unknown[] = NO_ARGS, signal?: AbortSignal): Promise<T> {
    const machine = this.machine;
    if (machine.current === 'disabled') return this.#passThrough(fn, signal);
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    const standing = this.admission.standing(machine.current);
    // The untimed lane: a closed breaker with nothing that needs a time (no timeout, no caller
    // signal, no rule that successes move, nobody timing outcomes, a standing ticket) admits
    // without the clock. Benchmark rows `closed-seq` and `closed-concurrent` pin it.
    if (
      standing !== ASK &&
      !this.timed &&
      signal === undefined &&
      machine.untimedClosed &&
      !this.report.observed
    ) {
      return this.launch(fn, args, undefined, machine.generation, NaN, standing);
    }
    const now = this.clock.now();
    if (!machine.admit(now)) return this.#rejected(now, args);
    if (standing === ASK) return this.#ask(fn, args, signal, now);
    return this.launch(fn, args, signal, machine.generation, now, standing);
  }

  /** The local breaker admitted at `now`; the hook decides with the time. */
  #ask<T>(
    fn: Protected<T>,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    now: number,
  ): Promise<T> {
    const machine = this.machine;
    const generation = machine.generation;
    const verdict = this.admission.admit(now);
    if (verdict !== REFUSE && verdict !== WAIT)
      return this.launch(fn, args, signal, generation, now, verdict);
    machine.release(generation, now, now); // the hook has the last word: no local permit meanwhile
    if (verdict === REFUSE) return this.#refuse(now, args);
    return this.admission.wait(now).then((ticket) => this.#admitAfterWait(fn, args, signal, ticket));
  }

  /** The hook answered later: admit again locally (time has passed), then run. */
  #admitAfterWait<T>(
    fn: Protected<T>,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    ticket: Ticket | undefined,
  ): Promise<T> {
    const now = this.clock.now();
    if (ticket === undefined) return this.#refuse(now, args);
    if (signal?.aborted === true) {
      this.admission.settle(ticket, 'release', false);
      return Promise.reject(signal.reason as unknown);
    }
    if (!this.machine.admit(now)) {
      this.admission.settle(ticket, 'release', false);
      return this.#rejected(now, args);
    }
    return this.launch(fn, args, signal, this.machine.generation, now, ticket);
  }

  /** The local breaker refused the call. */
  #rejected<T>(now: number, args: readonly unknown[]): Promise<T> {
    const machine = this.machine;
    return this.rejectWith(machine.current as RejectingState, machine.retryAfterMs(now), 'local', args);
  }

  #refuse<T>(now: number, args: readonly unknown[]): Promise<T> {
    const { state, retryAfterMs, source } = this.admission.refusal(now);
    return this.rejectWith(state, retryAfterMs, source, args);
  }

  /** A call refused without running: reported, answered with the fallback or the error. */
  rejectWith<T>(
    state: RejectingState,
    retryAfterMs: number,
    source: RejectionSource,
    args: readonly unknown[],
  ): Promise<T> {
    const error = CircuitOpenError.fast(this.name, state, retryAfterMs, source);
    this.report.rejection(state, retryAfterMs);
    // Speed trick: rejecting through a settled promise's `then` (rather than `Promise.reject`)
    // gives the caller a turn to attach its handler first, which spares Node's unhandled-rejection
    // bookkeeping; a bound method rather than an arrow runs with type feedback. Benchmark row `open`.
    return SETTLED.then(this.fallback.bind(this, error, args)) as Promise<T>;
  }

  async #passThrough<T>(fn: Protected<T>, signal: AbortSignal | undefined): Promise<T> {
    return fn(signal === undefined ? NEVER_ABORTED_CONTEXT : { signal });
  }

  // ---- 2. run ----

  launch<T>(
    fn: Protected<T>,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    generation: number,
    start: number,
    ticket: Ticket,
  ): Promise<T> {
    this.report.started();
    this.inFlight++;
    if (this.timed || signal !== undefined) {
      return guardedCall<T, Ticket>(this, fn, args, generation, start, signal, ticket);
    }
    // `Promise.resolve` adopts a thenable or a foreign promise in a later job, so a `then` that
    // throws or settles twice becomes an ordinary outcome; only a native promise is returned as is,
    // and its handlers are attached with the built-in `then`, never an own `then` of its.
    let settled: Promise<T>;
    try {
      settled = Promise.resolve(fn(NEVER_ABORTED_CONTEXT));
    } catch (error) {
      settled = Promise.reject(error);
    }
    if (this.options.fallback !== undefined) {
      // A fallback may replace the outcome: the caller gets a promise derived from the call's.
      return promiseThen.call(
        settled,
        (value) => this.succeeded(value, generation, start, ticket),
        (error: unknown) => this.failed(error, generation, start, args, ticket) as T,
      ) as Promise<T>;
    }
    // Without a fallback the caller gets the call's own promise, outcome untouched; the breaker
    // observes it through handlers attached first, so its state is updated before the caller
    // resumes. This spares the caller an extra turn and a rethrow of every failure.
    //
    // Speed trick: untimed calls of one generation and ticket need nothing of their own, so they
    // share one pair of handlers (no closures per call). Benchmark rows `closed-seq`,
    // `closed-concurrent` (bytes per call).
    if (Number.isNaN(start)) {
      const shared = this.#observers;
      const observers =
        shared?.generation === generation && shared.ticket === ticket
          ? shared
          : this.#makeObservers(generation, ticket);
      void promiseThen.call(settled, observers.ok, observers.error);
    } else if (this.inFlight === 1) {
      // Speed trick: a timed call that runs alone (no other call of this breaker is in flight, so
      // none can start one until this one settles: `inFlight` drops in its handler) keeps its
      // start in a field, and such calls of one generation and ticket share their handlers, as
      // untimed calls do. Calls that overlap it take the closures below. Benchmark case
      // `exporters` (bytes per call).
      this.soloStart = start;
      const shared = this.#soloObservers;
      const observers =
        shared?.generation === generation && shared.ticket === ticket
          ? shared
          : this.#makeSoloObservers(generation, ticket);
      void promiseThen.call(settled, observers.ok, observers.error);
    } else {
      void promiseThen.call(
        settled,
        (value: unknown) => {
          this.succeeded(value, generation, start, ticket);
        },
        (error: unknown) => {
          this.observeFailure(error, generation, start, ticket);
        },
      );
    }
    return settled;
  }

  #makeObservers(generation: number, ticket: Ticket): SharedObservers<Ticket> {
    return (this.#observers = {
      generation,
      ticket,
      ok: (value: unknown) => {
        this.succeeded(value, generation, NaN, ticket);
      },
      error: (error: unknown) => {
        this.observeFailure(error, generation, NaN, ticket);
      },
    });
  }

  #makeSoloObservers(generation: number, ticket: Ticket): SharedObservers<Ticket> {
    return (this.#soloObservers = {
      generation,
      ticket,
      ok: (value: unknown) => {
        this.succeeded(value, generation, this.soloStart, ticket);
      },
      error: (error: unknown) => {
        this.observeFailure(error, generation, this.soloStart, ticket);
      },
    });
  }

  /** Queues a timed call for its deadline (the queue is made on the first timed call). */
  schedule(call: Expiring): void {
    (this.#deadlines ??= new DeadlineQueue(this.clock)).push(call);
  }

  unschedule(call: Expiring): void {
    this.#deadlines?.remove(call);
  }

  // ---- 3. settle ----

  /** A resolved call: classify the result, report, record; returns the value. */
  succeeded<T>(value: T, generation: number, start: number, ticket: Ticket): T {
    this.inFlight--;
    const options = this.options;
    const isResultFailure = options.isResultFailure;
    const resultFailed =
      isResultFailure !== undefined && this.classify(isResultFailure, value, 'isResultFailure');
    // A success that cannot change a decision, with nobody timing it, is counted without the clock
    // (see `BreakerMachine.countUntimedSuccess`), unless the hook must see it.
    if (
      !resultFailed &&
      !this.report.observed &&
      !this.admission.settlesEverySuccess(ticket) &&
      this.machine.countUntimedSuccess(generation, start)
    ) {
      this.report.quietSuccess();
      return value;
    }
    const now = this.clock.now();
    const durationMs = now - start;
    const slow = durationMs >= options.slowCallDuration;
    if (resultFailed) {
      this.report.resultFailure(durationMs, slow, generation, value);
    } else {
      this.report.success(durationMs, slow, generation);
    }
    this.record(generation, start, now, resultFailed, slow, ticket);
    return value;
  }

  /** A rejected call: classify, report, record; returns the fallback's answer or throws. */
  failed(
    error: unknown,
    generation: number,
    start: number,
    args: readonly unknown[],
    ticket: Ticket,
  ): unknown {
    if (!this.observeFailure(error, generation, start, ticket)) throw error; // ignored: rethrown untouched
    if (this.options.fallback === undefined) throw error; // rethrown here, not deeper: throwing costs per frame
    return this.fallback(error, args);
  }

  /** Classifies, reports and records a rejected call; true when it counted as a failure. Never throws. */
  observeFailure(error: unknown, generation: number, start: number, ticket: Ticket): boolean {
    this.inFlight--;
    const options = this.options;
    const now = this.clock.now();
    const durationMs = now - start;
    const isFailure = options.isFailure;
    if (isFailure !== undefined && !this.classify(isFailure, error, 'isFailure')) {
      this.release(generation, start, now, ticket);
      this.report.ignoredCall(durationMs, generation, error, false);
      return false;
    }
    const slow = durationMs >= options.slowCallDuration;
    this.report.failure(durationMs, slow, generation, error);
    this.record(generation, start, now, true, slow, ticket);
    return true;
  }

  /** A call that ran out of time: it counts as a failure. */
  timedOut(generation: number, start: number, ticket: Ticket): CallTimeoutError {
    this.inFlight--;
    const now = this.clock.now();
    const durationMs = now - start;
    const slow = durationMs >= this.options.slowCallDuration;
    this.report.timeout(durationMs, slow, generation, this.timeoutMs);
    this.record(generation, start, now, true, slow, ticket);
    return new CallTimeoutError(this.name, this.timeoutMs);
  }

  /** The caller aborted: not counted. The permit stays taken while the function runs (`releaseAborted`). */
  aborted(reason: unknown, generation: number, start: number): void {
    this.inFlight--;
    const report = this.report;
    report.ignoredCall(report.observed ? this.clock.now() - start : NaN, generation, reason, true);
  }

  /**
   * The function of a call whose caller aborted settled, or reached its deadline: its permit is
   * released, its outcome not counted. (A half-open probe still running at its deadline has by then
   * counted as a failure: the state machine's probe deadline.)
   */
  releaseAborted(generation: number, start: number, ticket: Ticket): void {
    this.release(generation, start, this.clock.now(), ticket);
  }

  /** Answers with the fallback, or throws `error` when there is none. */
  fallback(error: unknown, args: readonly unknown[]): unknown {
    const fallback = this.options.fallback;
    if (fallback === undefined) throw error;
    this.report.fallback(error);
    return fallback(error, ...args);
  }

  /** A counted outcome: into the state machine, then to the admission hook with its ticket. */
  record(
    generation: number,
    start: number,
    now: number,
    failure: boolean,
    slow: boolean,
    ticket: Ticket,
  ): void {
    this.machine.record(generation, start, now, failure);
    this.admission.settle(ticket, failure ? 'failure' : 'success', slow);
  }

  /** An outcome not counted (ignored error, caller abort): the permit and the ticket are returned. */
  release(generation: number, start: number, now: number, ticket: Ticket): void {
    this.machine.release(generation, start, now);
    this.admission.settle(ticket, 'release', false);
  }

  /**
   * Asks a classifier whether `value` is a failure (for both classifiers, `true` means "a
   * failure"). One that throws counts the call as a failure, and the throw is reported. One that
   * returns a thenable (an `async` classifier) is a bug in the caller's code: the answer is that
   * option's default (an error is a failure, a result is not), reported once per breaker.
   */
  classify(predicate: (value: unknown) => unknown, value: unknown, which: Classifier): boolean {
    let verdict: unknown;
    try {
      verdict = predicate(value);
    } catch (error) {
      classifierWarning(`${which} threw; the call counts as a failure: ${describeError(error)}`);
      return true;
    }
    if (typeof verdict === 'boolean') return verdict;
    return isThenable(verdict) ? this.#asyncClassifier(verdict, which) : Boolean(verdict);
  }

  /** The verdict for a classifier that returned a thenable: the option's default, reported once. */
  #asyncClassifier(verdict: PromiseLike<unknown>, which: Classifier): boolean {
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
}

const ignore = (): void => undefined;

function classifierWarning(message: string): void {
  processWarning(`breakwater: ${message}`, 'BreakwaterClassifierWarning');
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    ((typeof value === 'object' && value !== null) || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

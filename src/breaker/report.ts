import { CallAggregates } from '../core/call-aggregates.js';
import type { RejectingState } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import type { StateName } from '../core/states.js';
import type { CallOutcome, Telemetry } from '../core/telemetry.js';
import type { BreakerEvents } from './events.js';
import type { FleetEvent } from './fleet.js';
import type { TransitionReason } from './state-machine.js';

/** Lifetime totals of a breaker. `failures` excludes timeouts, which have their own count. */
export interface BreakerTotals {
  /** Calls admitted and started (rejected calls are not among them). */
  calls: number;
  /** Calls that counted as a success. */
  successes: number;
  /** Calls that counted as a failure: thrown errors and results `isResultFailure` classified. */
  failures: number;
  /** Calls that ran past the breaker's `timeout`. */
  timeouts: number;
  /** Calls not counted: errors `isFailure` declined, and caller aborts. */
  ignored: number;
  /** Calls refused without running (open, isolated, or half-open with no probe permit free). */
  rejected: number;
  /** Times the `fallback` option answered instead of an error. */
  fallbacks: number;
}

/** Events whose listeners need call durations. */
const OUTCOME_EVENTS: readonly (keyof BreakerEvents)[] = ['success', 'failure', 'timeout', 'ignored'];

/**
 * The one funnel through which a breaker reports: every outcome, rejection, fallback, transition
 * and fleet event enters here once, and is counted in the lifetime totals, delivered to the
 * breaker's typed events and written to its telemetry stream. Each consumer is checked before a
 * payload is built, so a breaker nobody listens to pays a field read per report.
 *
 * Call outcomes all pass through `call`, which feeds the stream's two kinds of subscriber: an
 * event per call for event listeners, and the breaker's own `CallAggregates` (counts and a
 * latency histogram kept in place, made on the first call counted while an aggregate reader
 * subscribes) for the exporters, which read them at scrape time.
 */
export class BreakerReport {
  // Speed trick: the lifetime totals are fields of this object rather than an object of their
  // own, one object less per breaker (`totals` makes the snapshot). Benchmark probe `memory`.
  calls = 0;
  successes = 0;
  failures = 0;
  timeouts = 0;
  ignored = 0;
  rejected = 0;
  fallbacks = 0;
  readonly #name: string;
  readonly #telemetry: Telemetry | undefined;
  /** Made on the first subscription: most breakers are never listened to. */
  #events: Emitter<BreakerEvents> | undefined;
  /** Made on the first call counted for an aggregate reader: most breakers are never exported. */
  #aggregates: CallAggregates | undefined;

  constructor(name: string, telemetry: Telemetry | undefined) {
    this.#name = name;
    this.#telemetry = telemetry;
  }

  /** The breaker's events; reading it makes the emitter. */
  get events(): Emitter<BreakerEvents> {
    // Outcome listeners need durations, so their presence makes calls timed (see `observed`).
    return (this.#events ??= new Emitter<BreakerEvents>(this.#name, OUTCOME_EVENTS));
  }

  /**
   * True when anyone needs call durations: outcome listeners on this breaker, or anyone on its
   * telemetry stream. Listeners of `stateChange`, `rejected` or `fallback` alone leave calls untimed.
   */
  get observed(): boolean {
    return this.#events?.watchedActive === true || this.#telemetry?.active === true;
  }

  /** A snapshot of the lifetime totals. */
  get totals(): BreakerTotals {
    const { calls, successes, failures, timeouts, ignored, rejected, fallbacks } = this;
    return { calls, successes, failures, timeouts, ignored, rejected, fallbacks };
  }

  /** A call was admitted and started. */
  started(): void {
    this.calls++;
  }

  /** A success nobody observes (no duration was taken): counted only. */
  quietSuccess(): void {
    this.successes++;
  }

  success(durationMs: number, slow: boolean, generation: number): void {
    this.successes++;
    if (this.listens('success')) this.events.emit('success', { durationMs, slow, generation });
    this.call('success', durationMs, slow);
  }

  /** A call that threw or rejected, counted as a failure. */
  failure(durationMs: number, slow: boolean, generation: number, error: unknown): void {
    this.failures++;
    if (this.listens('failure')) this.events.emit('failure', { durationMs, slow, generation, error });
    this.call('failure', durationMs, slow);
  }

  /** A call that resolved with a result `isResultFailure` classified as a failure. */
  resultFailure(durationMs: number, slow: boolean, generation: number, result: unknown): void {
    this.failures++;
    if (this.listens('failure'))
      this.events.emit('failure', { durationMs, slow, generation, error: undefined, result });
    this.call('failure', durationMs, slow);
  }

  timeout(durationMs: number, slow: boolean, generation: number, timeoutMs: number): void {
    this.timeouts++;
    if (this.listens('timeout')) this.events.emit('timeout', { durationMs, timeoutMs, generation });
    this.call('timeout', durationMs, slow);
  }

  /** An error `isFailure` did not count, or a caller abort (`aborted`). */
  ignoredCall(durationMs: number, generation: number, error: unknown, aborted: boolean): void {
    this.ignored++;
    if (this.listens('ignored')) this.events.emit('ignored', { durationMs, error, aborted, generation });
    this.call('ignored', durationMs, false);
  }

  /** A call refused without running. */
  rejection(state: RejectingState, retryAfterMs: number): void {
    this.rejected++;
    if (this.listens('rejected')) this.events.emit('rejected', { state, retryAfterMs });
    this.call('rejected', NaN, false);
  }

  fallback(error: unknown): void {
    this.fallbacks++;
    if (this.listens('fallback')) this.events.emit('fallback', { error });
    const telemetry = this.#telemetry;
    if (telemetry?.active === true) telemetry.emit({ type: 'fallback', policy: this.#name, kind: 'breaker' });
  }

  /** A change of the state the breaker shows (its effective state). */
  transition(from: StateName, to: StateName, reason: TransitionReason, generation: number): void {
    if (this.listens('stateChange')) this.events.emit('stateChange', { from, to, reason, generation });
    const telemetry = this.#telemetry;
    if (telemetry?.active === true) {
      telemetry.emit({
        type: 'transition',
        policy: this.#name,
        kind: 'breaker',
        from,
        to,
        reason,
        generation,
      });
    }
  }

  /** Fleet health and fleet transitions. */
  fleet(event: FleetEvent): void {
    if (this.listens('fleet')) this.events.emit('fleet', event);
    const telemetry = this.#telemetry;
    if (telemetry?.active === true) {
      telemetry.emit({
        type: 'fleet',
        policy: this.#name,
        kind: 'breaker',
        event: event.kind,
        state: event.state,
        generation: event.generation,
        healthy: event.healthy,
      });
    }
  }

  /** True when `event` has a listener (false while nobody ever subscribed). */
  listens(event: keyof BreakerEvents): boolean {
    return this.#events?.has(event) === true;
  }

  /**
   * The breaker's pre-aggregated outcomes in its stream's current layout (see `CallAggregates`);
   * undefined before the first call counted for an aggregate reader.
   */
  get aggregates(): CallAggregates | undefined {
    const telemetry = this.#telemetry;
    let aggregates = this.#aggregates;
    if (telemetry === undefined || aggregates === undefined) return aggregates;
    const layout = telemetry.aggregateLayout;
    if (aggregates.layout !== layout) this.#aggregates = aggregates = aggregates.relayout(layout);
    return aggregates;
  }

  /**
   * Every call outcome ends here: counted in the aggregates while an aggregate reader subscribes,
   * sent as an event while an event listener does. Public, like `listens`, only because private
   * methods cost a brand check per call on Node 20.
   */
  call(outcome: CallOutcome, durationMs: number, slow: boolean): void {
    const telemetry = this.#telemetry;
    if (telemetry?.active !== true) return;
    if (telemetry.aggregating) {
      let aggregates = this.#aggregates;
      if (aggregates?.layout !== telemetry.aggregateLayout)
        aggregates = this.#aggregates = this.aggregates ?? new CallAggregates(telemetry.aggregateLayout);
      aggregates.record(outcomeIndex(outcome), durationMs);
    }
    if (telemetry.callsActive)
      telemetry.emit({ type: 'call', policy: this.#name, kind: 'breaker', outcome, durationMs, slow });
  }
}

/** The index of `outcome` in `OUTCOME_ORDER`. */
function outcomeIndex(outcome: CallOutcome): number {
  switch (outcome) {
    case 'success':
      return 0;
    case 'failure':
      return 1;
    case 'timeout':
      return 2;
    case 'ignored':
      return 3;
    default:
      return 4;
  }
}

import { brand, hasBrand } from '../core/brand.js';
import type { Disposable, Listener } from '../core/events.js';
import type { ExecuteOptions, Policy, Protected } from '../core/policy.js';
import type { BreakerEvents } from './events.js';
import { MAX_TIMER_MS } from '../core/clock.js';
import type { StateName } from '../core/states.js';
import type { CallAggregates } from '../core/call-aggregates.js';
import type { TelemetrySource } from '../core/telemetry.js';
import { LOCAL_ONLY } from './admission.js';
import type { FleetHandle } from './fleet.js';
import { FleetAdmission, type FleetTicket } from './fleet-admission.js';
import { type CircuitBreakerOptions, resolveOptions } from './options.js';
import type { BreakerTotals } from './report.js';
import { Runner } from './runner.js';
import type { BreakerSnapshot } from './snapshot.js';
import { isAbortSignal, signalError } from '../core/validate.js';

/** A point-in-time view of a breaker, from {@link CircuitBreaker.stats}. */
export interface BreakerStats {
  /** The breaker's name. */
  readonly name: string;
  /** The effective state, which governs the next call (see {@link CircuitBreaker.state}). */
  readonly state: StateName;
  /** This process's own breaker state; differs from `state` only in fleet mode. */
  readonly localState: StateName;
  /** Incremented on every transition. */
  readonly generation: number;
  /** Ms since the effective state began. */
  readonly timeInStateMs: number;
  /** Ms until probes are admitted in the effective state: `0` unless open; `Infinity` when isolated. */
  readonly retryAfterMs: number;
  /** Calls running now. */
  readonly inFlight: number;
  /** Probe permits taken (half-open only). */
  readonly probesInFlight: number;
  /** What the window holds now. Rates are `0` while it is empty. */
  readonly window: {
    /** Counted calls: successes, failures, timeouts (a consecutive window: the current failure run). */
    readonly calls: number;
    /** Counted failures, timeouts included. */
    readonly failures: number;
    /** Counted calls that took at least `slowCallDuration` ms; `0` without that option. */
    readonly slowCalls: number;
    /** `failures / calls`, a fraction in 0..1. */
    readonly failureRate: number;
    /** `slowCalls / calls`, a fraction in 0..1. */
    readonly slowCallRate: number;
  };
  /** Counts since creation, late outcomes included (`reset()` does not clear them). */
  readonly totals: Readonly<BreakerTotals>;
}

/**
 * A circuit breaker. Closed, calls pass and their outcomes are counted in a rolling window; when
 * a trip rule holds it opens and rejects calls at once with `CircuitOpenError`, without calling
 * the dependency; after `recoveryTimeout` it turns half-open and admits a few probes, whose
 * successes close it and whose failure opens it again. See docs/breaker.md.
 *
 * @example
 * const breaker = new CircuitBreaker({ name: 'payments', failureThreshold: 5, recoveryTimeout: 30_000 });
 * const receipt = await breaker.execute(({ signal }) => payments.charge(order, { signal }));
 */
export class CircuitBreaker implements Policy {
  /** Label used in errors, events and metrics. */
  readonly name: string;
  readonly #runner: Runner;
  /** The fleet attachment, with a `fleet` option. */
  readonly #fleet: FleetHandle | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    const { name, options: resolved } = resolveOptions(options);
    this.name = name;
    const fleet = resolved.fleet;
    if (fleet === undefined) {
      this.#runner = new Runner(resolved, name, LOCAL_ONLY);
      this.#fleet = undefined;
    } else {
      const { clock, random } = resolved;
      const attached: { admission?: FleetAdmission } = {};
      this.#runner = new Runner<FleetTicket>(resolved, name, LOCAL_ONLY, ({ machine, report }) => {
        const host = { name, settings: resolved, clock, random, machine, report };
        return (attached.admission = new FleetAdmission(host, fleet));
      });
      this.#fleet = attached.admission?.member;
    }
    const report = this.#runner.report;
    resolved.telemetry?.register(breakerSource(this, () => report.aggregates));
  }

  /**
   * Runs `fn` through the breaker. `fn` receives `{ signal }`, aborted when the call times out or
   * the caller's `options.signal` aborts. Rejects with `CircuitOpenError` when the circuit does not
   * admit the call, `CallTimeoutError` on timeout, the abort reason on a caller abort, and
   * otherwise with what `fn` threw (unless a `fallback` answers).
   */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(
        new TypeError(`breaker "${this.name}": execute(fn) needs a function (got ${typeof fn})`),
      );
    }
    let signal: unknown;
    try {
      signal = options?.signal; // a throwing getter or proxy rejects the call, like any other bad argument
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(signalError(`breaker "${this.name}": execute(fn, { signal })`, signal));
    }
    return this.#runner.run(fn, undefined, signal);
  }

  /**
   * Returns a function with `fn`'s parameters that runs it through the breaker; `this` is passed
   * on. The fallback receives the call's arguments after the error.
   */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') {
      throw new TypeError(`breaker "${this.name}": wrap(fn) needs a function (got ${typeof fn})`);
    }
    const runner = this.#runner;
    return function (this: unknown, ...args: A): Promise<Awaited<R>> {
      return runner.run(() => fn.apply(this, args), args) as Promise<Awaited<R>>;
    };
  }

  /**
   * The state that governs the next call (a due open → half-open transition happens on this
   * read). With a `fleet`, it is the fleet's `open` (or `half-open`, `isolated`) while the fleet
   * refuses calls for this process, even when this process's own breaker is closed: see
   * {@link CircuitBreaker.localState}.
   */
  get state(): StateName {
    const runner = this.#runner;
    return runner.state(runner.clock.now());
  }

  /** This process's own breaker state, whatever the fleet says; equal to `state` without a fleet. */
  get localState(): StateName {
    const runner = this.#runner;
    return runner.machine.state(runner.clock.now());
  }

  /** Window counts and rates, lifetime totals, in-flight calls, `retryAfterMs`, `generation`. */
  get stats(): BreakerStats {
    const runner = this.#runner;
    const now = runner.clock.now();
    const machine = runner.machine;
    const localState = machine.state(now);
    const state = runner.state(now);
    const window = machine.window;
    window.roll(now);
    return {
      name: this.name,
      state,
      localState,
      generation: machine.generation,
      timeInStateMs: now - runner.stateSince,
      retryAfterMs: runner.retryAfterMs(now),
      inFlight: runner.inFlight,
      probesInFlight: machine.probesInFlight,
      window: {
        calls: window.calls,
        failures: window.failures,
        slowCalls: window.slowCalls,
        failureRate: window.calls === 0 ? 0 : window.failures / window.calls,
        slowCallRate: window.calls === 0 ? 0 : window.slowCalls / window.calls,
      },
      totals: runner.report.totals,
    };
  }

  /**
   * The fleet attachment of a breaker made with a `fleet` option (its health, the fleet's state,
   * and `close()` to detach); `undefined` otherwise.
   */
  get fleet(): FleetHandle | undefined {
    return this.#fleet;
  }

  /** Subscribes to an event; the returned handle unsubscribes. A throwing listener never affects calls. */
  on<K extends keyof BreakerEvents>(event: K, listener: Listener<BreakerEvents[K]>): Disposable {
    return this.#runner.report.events.on(event, listener);
  }

  /**
   * While the circuit is open, keeps it open for at least `ms` more milliseconds: use it when the
   * dependency says how long it needs, e.g. an HTTP `Retry-After`. It never shortens the open
   * period, is not a transition (no event, same `generation`) and does nothing in any other
   * state. Returns whether the open period was lengthened.
   */
  extendOpen(ms: number): boolean {
    if (typeof ms !== 'number' || !(ms >= 0 && ms <= MAX_TIMER_MS)) {
      throw new RangeError(
        `breaker "${this.name}": extendOpen(ms) needs a number of ms in [0, ${MAX_TIMER_MS}] (got ${String(ms)})`,
      );
    }
    return this.#runner.machine.extendOpen(this.#runner.clock.now(), ms);
  }

  /** Rejects every call (`CircuitOpenError`, state `isolated`) until `reset()`. */
  isolate(): void {
    this.#runner.machine.isolate(this.#runner.clock.now());
  }

  /** Lets every call through untouched and records nothing until `reset()`. */
  disable(): void {
    this.#runner.machine.disable(this.#runner.clock.now());
  }

  /** Lets every call through, recording and reporting outcomes, never tripping, until `reset()`. */
  metricsOnly(): void {
    this.#runner.machine.metricsOnly(this.#runner.clock.now());
  }

  /** Back to a fresh `closed` from any state: new generation, empty window, backoff reset. */
  reset(): void {
    this.#runner.machine.reset(this.#runner.clock.now());
  }

  /**
   * A snapshot to persist and pass back as `initialState`. It carries the effective state: a
   * breaker whose fleet is open is saved as open for the fleet's remaining open period.
   */
  toJSON(): BreakerSnapshot {
    const runner = this.#runner;
    const now = runner.clock.now();
    const snapshot = runner.machine.snapshot(now, this.name);
    const state = runner.state(now);
    if (state === snapshot.state) return snapshot;
    // The fields in the order of a plain breaker's snapshot.
    const { version, name, generation, reopens } = snapshot;
    return state === 'open'
      ? { version, name, state, generation, openRemainingMs: runner.retryAfterMs(now), reopens }
      : { version, name, state, generation, reopens };
  }
}

brand(CircuitBreaker, 'CircuitBreaker');

/** True for a breaker made by this copy of breakwater or another (ES module and CommonJS builds). */
export function isCircuitBreaker(value: unknown): value is CircuitBreaker {
  return hasBrand(value, 'CircuitBreaker');
}

/** What a breaker shows on a telemetry stream: its name, its stats, and manual control. */
export interface BreakerSource extends TelemetrySource<BreakerStats> {
  readonly kind: 'breaker';
  /** The breaker itself, for the dashboard's isolate and reset. */
  readonly breaker: CircuitBreaker;
}

/** The source object is held by the breaker (the stream holds it weakly), so they live and die together. */
function breakerSource(breaker: CircuitBreaker, aggregates: () => CallAggregates | undefined): BreakerSource {
  const source: BreakerSource = {
    name: breaker.name,
    kind: 'breaker',
    breaker,
    snapshot: () => breaker.stats,
    aggregates,
  };
  Object.defineProperty(breaker, SOURCE, { value: source });
  return source;
}

// Shared by every copy, so a registry can unregister a breaker made by another copy.
const SOURCE = Symbol.for('breakwater.CircuitBreaker.source');

/** The telemetry source of a breaker, if it reports into a stream (used by registries to unregister). */
export function sourceOf(breaker: CircuitBreaker): BreakerSource | undefined {
  return (breaker as unknown as Record<symbol, BreakerSource | undefined>)[SOURCE];
}

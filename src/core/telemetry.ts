/**
 * One telemetry stream. Breakers and policies given a `telemetry` option report into it; the
 * Prometheus and OpenTelemetry exporters and the dashboard read only from it. Reporting costs one
 * property read when nobody subscribes, so a stream can be attached everywhere up front.
 *
 * Two kinds of subscriber: an event listener receives every event, one object per call; an
 * aggregate reader (`subscribe(listener, { aggregates: true })`, what the exporters are) receives
 * every event but calls, which each breaker then counts in place (`CallAggregates`) for the reader
 * to read from its source at scrape time. While only aggregate readers subscribe, no event object
 * is built per call. The one policy that reports on every call, `staleCache`, is treated the same
 * way: its answers are counted in place in counters the stream keeps per kind and name
 * (`policyCounter`), and a `cache` event reaches event listeners only.
 */
import { AggregateLayout, type CallAggregates, DURATION_BUCKETS_SECONDS } from './call-aggregates.js';
import { brand, hasBrand } from './brand.js';
import { type Disposable, reportListenerError, watchListenerResult } from './events.js';

const SUBSCRIBER = 'a telemetry subscriber';
const NO_COUNTERS: ReadonlyMap<string, Float64Array> = new Map();

/** The results (`CacheResult`) in the order of a `staleCache`'s in-place counters. */
export const CACHE_RESULT_ORDER = Object.freeze(['fresh', 'stale', 'miss'] as const);

/** How a call through a policy ended. */
export type CallOutcome = 'success' | 'failure' | 'timeout' | 'ignored' | 'rejected';

/**
 * How a `staleCache` answered a call: `fresh` (the function answered), `stale` (a remembered
 * result answered a failure), `miss` (the function failed and nothing could answer: the error goes on).
 */
export type CacheResult = 'fresh' | 'stale' | 'miss';

/**
 * What a `queueForLater` did with a request: `queued` (stored after a failure), `refused` (turned away
 * at the door, never stored), `replayed` (a replay succeeded), `replay-failed` (a replay failed and
 * the request waits for a later drain), `dead-lettered` (moved to the dead-letter list).
 */
export type QueueAction = 'queued' | 'refused' | 'replayed' | 'replay-failed' | 'dead-lettered';

/** An event on the stream. `policy` is the reporting breaker's or policy's name. */
export type TelemetryEvent =
  | {
      /** A breaker call ended (or was rejected without running). */
      readonly type: 'call';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'breaker'`. */
      readonly kind: string;
      /** How the call ended. */
      readonly outcome: CallOutcome;
      /** NaN for a rejected call (it did not run) and for calls admitted before anyone listened. */
      readonly durationMs: number;
      /** True when the call took at least the breaker's `slowCallDuration` ms; false without that option. */
      readonly slow: boolean;
    }
  | {
      /** A breaker's effective state changed. */
      readonly type: 'transition';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'breaker'`. */
      readonly kind: string;
      /** The state left (a `StateName`). */
      readonly from: string;
      /** The state entered (a `StateName`). */
      readonly to: string;
      /** What caused it (a `TransitionReason`: `failure-threshold`, `recovery-timeout`, `isolate`, …). */
      readonly reason: string;
      /** The breaker's generation after the change (a change the fleet made leaves it as it was). */
      readonly generation: number;
    }
  | {
      /** A fallback answered instead of an error (a breaker's `fallback` option or a `fallback` policy). */
      readonly type: 'fallback';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'breaker'` or `'fallback'`. */
      readonly kind: string;
    }
  | {
      /** A retry policy scheduled a retry. */
      readonly type: 'retry';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'retry'`. */
      readonly kind: string;
      /** The attempt that failed (1 for the first call). */
      readonly attempt: number;
      /** Ms until the next attempt starts. */
      readonly delayMs: number;
    }
  | {
      /** A bulkhead queued a call, started a queued one, or refused one (queue full or queue timeout). */
      readonly type: 'bulkhead';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'bulkhead'`. */
      readonly kind: string;
      /** What the bulkhead did with the call. */
      readonly action: 'queued' | 'dequeued' | 'rejected';
      /** Calls running when the event was reported. */
      readonly running: number;
      /** Calls waiting in the queue when the event was reported. */
      readonly queued: number;
    }
  | {
      /** A `timeout` policy gave up on a call at its deadline. */
      readonly type: 'timeout';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'timeout'`. */
      readonly kind: string;
      /** The policy's timeout, in ms. */
      readonly timeoutMs: number;
    }
  | {
      /** One answer of a `staleCache`. */
      readonly type: 'cache';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'staleCache'`. */
      readonly kind: string;
      /** How the cache answered. */
      readonly result: CacheResult;
    }
  | {
      /** One step of a request through a `queueForLater`. */
      readonly type: 'queue';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'queueForLater'`. */
      readonly kind: string;
      /** What happened to the request. */
      readonly action: QueueAction;
      /** The stored request's id (absent for `refused`: it was never stored). */
      readonly id?: string;
    }
  | {
      /** A breaker's fleet attachment: store health (`degraded` / `restored`) and fleet transitions. */
      readonly type: 'fleet';
      /** The reporting breaker's or policy's name. */
      readonly policy: string;
      /** What reported it: `'breaker'`. */
      readonly kind: string;
      /** The fleet event's kind: `degraded`, `restored`, `transition`, `regression`, `config-mismatch`, … */
      readonly event: string;
      /** The fleet's state after the event. */
      readonly state: string;
      /** The fleet's generation after the event; `-1` while unknown. */
      readonly generation: number;
      /** False while the breaker runs on local state alone (degraded, or its configuration refused). */
      readonly healthy: boolean;
    }
  | {
      /** A source joined the stream (`registered`) or left it (`unregistered`). */
      readonly type: 'registered' | 'unregistered';
      /** The source's name. */
      readonly policy: string;
      /** What the source is (`'breaker'`, `'retry'`, …). */
      readonly kind: string;
    };

/**
 * Something that reports into a stream and can be asked for its current view (a breaker's
 * `stats`). Sources are held weakly: a dropped breaker disappears from `sources()`.
 */
export interface TelemetrySource<Snapshot = unknown> {
  /** The source's name: its identity on the stream (one live source per name). */
  readonly name: string;
  /** What the source is (`'breaker'`, `'retry'`, `'bulkhead'`, …). */
  readonly kind: string;
  /** The source's current view, read when an exporter or the dashboard asks. */
  snapshot(): Snapshot;
  /**
   * The source's pre-aggregated call outcomes in the stream's current layout: kept by sources
   * that report calls (breakers) while an aggregate reader subscribes; `undefined` before the
   * first call counted (every count is then 0) and for sources that report no calls.
   */
  aggregates?(): CallAggregates | undefined;
}

/** Options of {@link Telemetry.subscribe}. */
export interface TelemetrySubscribeOptions {
  /**
   * `true` makes the subscriber an aggregate reader: it receives every event but `call` and
   * `cache` events; instead, each source counts its calls in place (counts by outcome, a latency
   * histogram), and the reader reads them with `source.aggregates()` when it needs them (at scrape
   * time); `staleCache` answers likewise, with `telemetry.policyCounters('staleCache')`. Default
   * `false`: every event, one per call.
   */
  readonly aggregates?: boolean;
  /**
   * For an aggregate reader: the histogram boundaries it needs, in seconds (increasing, > 0).
   * The stream's histograms have the boundaries every reader asked for. Default
   * {@link DURATION_BUCKETS_SECONDS} (1 ms to 30 s).
   */
  readonly buckets?: readonly number[];
}

type Listener = (event: TelemetryEvent) => unknown;

/** A telemetry stream; see the module comment. */
export class Telemetry {
  // Typed as returning `unknown`: an async subscriber returns a promise, watched for rejection.
  /** Every subscriber: they all receive every event but calls and cache answers. */
  #listeners: Listener[] = [];
  /** The event listeners: they receive calls too. */
  #callListeners: Listener[] = [];
  #aggregateReaders = 0;
  #layout: AggregateLayout | undefined;
  /** Sources by name: a name is an identity on a stream. */
  readonly #sources = new Map<string, WeakRef<TelemetrySource>>();
  /** In-place counters of policies, by kind then name (see `policyCounter`). */
  readonly #policyCounters = new Map<string, Map<string, Float64Array>>();

  /** True while anyone subscribes; reporters check it before building an event. */
  get active(): boolean {
    return this.#listeners.length > 0;
  }

  /**
   * True while an event listener subscribes: a call (and a `staleCache` answer) is then reported
   * as an event.
   */
  get callsActive(): boolean {
    return this.#callListeners.length > 0;
  }

  /** True while an aggregate reader subscribes: a call is then counted in its source's aggregates. */
  get aggregating(): boolean {
    return this.#aggregateReaders > 0;
  }

  /**
   * The histogram boundaries of the stream's aggregates: those every aggregate reader asked for
   * since the first. A source whose aggregates have an older layout brings them to this one.
   */
  get aggregateLayout(): AggregateLayout {
    return (this.#layout ??= new AggregateLayout(DURATION_BUCKETS_SECONDS));
  }

  /**
   * Receives every event from now on, or, with `{ aggregates: true }`, every event but calls and
   * cache answers (see {@link TelemetrySubscribeOptions}). A listener that throws or returns a
   * rejected promise is reported as a process warning.
   */
  subscribe(listener: (event: TelemetryEvent) => void, options: TelemetrySubscribeOptions = {}): Disposable {
    if (typeof listener !== 'function')
      throw new TypeError(`Telemetry.subscribe: listener must be a function (got ${typeof listener})`);
    const aggregates = subscribeOptions(options);
    if (aggregates !== undefined) {
      this.#layout = this.aggregateLayout.including(aggregates, 'Telemetry.subscribe: options.buckets');
      this.#aggregateReaders++;
    } else {
      this.#callListeners = [...this.#callListeners, listener];
    }
    this.#listeners = [...this.#listeners, listener];
    let live = true;
    const dispose = (): void => {
      if (!live) return;
      live = false;
      this.#listeners = without(this.#listeners, listener);
      if (aggregates !== undefined) this.#aggregateReaders--;
      else this.#callListeners = without(this.#callListeners, listener);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /**
   * Delivers `event` to every subscriber (a `call` or `cache` event to event listeners only:
   * aggregate readers read those as counts kept in place).
   */
  emit(event: TelemetryEvent): void {
    const type = event.type;
    for (const listener of type === 'call' || type === 'cache' ? this.#callListeners : this.#listeners) {
      try {
        const result = listener(event);
        if (result !== undefined) watchListenerResult(result, SUBSCRIBER);
      } catch (error) {
        reportListenerError(SUBSCRIBER, error);
      }
    }
  }

  /**
   * Adds a source (a breaker does this when constructed with this stream) and reports it. Names
   * are identities on a stream: every series, dashboard card and alert is keyed by the name, so a
   * second live source with the name of another is refused with an error naming it (two breakers
   * called "payments" would otherwise share one Prometheus series, silently).
   */
  register(source: TelemetrySource): void {
    const name = source.name;
    const existing = this.#sources.get(name)?.deref();
    if (existing === source) return;
    if (existing !== undefined) {
      throw new Error(
        `Telemetry: a ${existing.kind} named "${name}" already reports into this stream; names are ` +
          `identities on a stream (give each ${source.kind} its own name, or unregister the old one)`,
      );
    }
    this.#sources.set(name, new WeakRef(source));
    if (this.active) this.emit({ type: 'registered', policy: name, kind: source.kind });
  }

  /**
   * Removes a source, or the source of a breaker (`telemetry.unregister(breaker)`), and reports
   * it; the name is free again. A registry does this when it evicts a breaker.
   */
  unregister(source: TelemetrySource | { readonly name: string }): void {
    const name = source.name;
    const held = this.#sources.get(name)?.deref();
    if (held === undefined || (held !== source && (held as { breaker?: unknown }).breaker !== source)) return;
    this.#sources.delete(name);
    if (this.active) this.emit({ type: 'unregistered', policy: name, kind: held.kind });
  }

  /**
   * The in-place counters of the policies of `kind` named `name` on this stream: `size` numbers,
   * made on the first ask and shared by every policy of that kind and name, whose counts therefore
   * sum (unlike breakers, policies may share a name). A policy that reports on every call counts
   * into them while {@link Telemetry.aggregating}, instead of an event per call (`staleCache`
   * does: its answers `fresh`, `stale`, `miss`, in that order). The stream holds the counters, never the policy:
   * a collected policy keeps its counts, as a counter must, and memory grows with the distinct
   * names only.
   */
  policyCounter(kind: string, name: string, size: number): Float64Array {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`Telemetry.policyCounter: size must be an integer ≥ 1 (got ${String(size)})`);
    let byName = this.#policyCounters.get(kind);
    if (byName === undefined) this.#policyCounters.set(kind, (byName = new Map<string, Float64Array>()));
    let counts = byName.get(name);
    if (counts === undefined) byName.set(name, (counts = new Float64Array(size)));
    else if (counts.length !== size)
      throw new RangeError(
        `Telemetry.policyCounter: the ${kind} counters named "${name}" have ${counts.length} numbers, not ${size}`,
      );
    return counts;
  }

  /**
   * The in-place counters of every policy of `kind`, by name, in order of their first count (see
   * {@link Telemetry.policyCounter}); exporters read them at scrape or collection time.
   */
  policyCounters(kind: string): ReadonlyMap<string, Float64Array> {
    return this.#policyCounters.get(kind) ?? NO_COUNTERS;
  }

  /** The live sources, in registration order; collected ones are forgotten on the way. */
  sources(): TelemetrySource[] {
    const live: TelemetrySource[] = [];
    for (const [name, ref] of this.#sources) {
      const source = ref.deref();
      if (source === undefined) this.#sources.delete(name);
      else live.push(source);
    }
    return live;
  }
}
brand(Telemetry, 'Telemetry');

/** Removes one subscription of `listener` (the same function may be subscribed twice). */
function without(list: Listener[], listener: Listener): Listener[] {
  const at = list.indexOf(listener);
  return at < 0 ? list : [...list.slice(0, at), ...list.slice(at + 1)];
}

/** The boundaries an aggregate reader asks for, or undefined for an event listener; throws on bad options. */
function subscribeOptions(options: TelemetrySubscribeOptions): readonly number[] | undefined {
  const where = 'Telemetry.subscribe';
  if (typeof options !== 'object' || (options as unknown) === null)
    throw new TypeError(
      `${where}: options must be an object (got ${(options as unknown) === null ? 'null' : typeof options})`,
    );
  const { aggregates, buckets } = options;
  if (aggregates !== undefined && typeof aggregates !== 'boolean')
    throw new TypeError(`${where}: options.aggregates must be a boolean (got ${typeof aggregates})`);
  if (buckets !== undefined) {
    const ok =
      Array.isArray(buckets) &&
      buckets.length > 0 &&
      // A copy reads a hole as undefined, which fails the check (`every` would skip it); a number
      // check is implied, as Number.isFinite is false for anything but a number.
      Array.from(buckets).every(
        (x, i, all) => Number.isFinite(x) && x > 0 && (i === 0 || x > (all[i - 1] ?? 0)),
      );
    if (!ok)
      throw new RangeError(
        `${where}: options.buckets must be a non-empty array of increasing finite numbers > 0 (seconds); got ${JSON.stringify(buckets)}`,
      );
    if (aggregates !== true)
      throw new TypeError(`${where}: options.buckets applies to aggregate readers only (aggregates: true)`);
  }
  return aggregates === true ? (buckets ?? DURATION_BUCKETS_SECONDS) : undefined;
}

/**
 * True for a telemetry stream from this copy of breakwater or another (the ES module and the
 * CommonJS build, or two installed versions): judged by its brand, not by `instanceof`.
 */
export function isTelemetry(value: unknown): value is Telemetry {
  return hasBrand(value, 'Telemetry');
}

/**
 * Prometheus metrics for breakwater, on a prom-client `Registry` the caller passes in. The call
 * counts and the call duration histogram are read at scrape time from the counts each breaker
 * keeps in place (the exporter is an aggregate reader of the stream, so no event is built per
 * call); the state gauge is read from the breakers' own snapshots at scrape time, so it is never
 * stale; the other counters are fed by the stream's events, which are rare (transitions, retries,
 * fallbacks, …). Nothing is registered on prom-client's global registry and no default metrics
 * are collected.
 */
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';
import type { Disposable } from '../core/events.js';
import type { Telemetry, TelemetryEvent } from '../core/telemetry.js';
import { OptionChecker } from '../core/validate.js';
import {
  CACHE_RESULTS,
  DURATION_BUCKETS_SECONDS,
  METRICS,
  OUTCOMES,
  PROM_LABELS as L,
  PROM_PREFIX,
  QUEUE_ACTIONS,
  STATES,
} from '../telemetry/metric-names.js';
import { breakerSources, isTelemetry } from '../telemetry/sources.js';
import { AggregateHistogram } from './aggregate-histogram.js';

/** Options of {@link prometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** The stream the breakers report into. */
  readonly telemetry: Telemetry;
  /** The prom-client registry to register on (your own; breakwater never uses the global one). */
  readonly registry: Registry;
  /** Prepended to every metric name. Default `'breakwater_'`. */
  readonly prefix?: string;
  /** Bucket upper bounds of the call duration histogram, in seconds, increasing. Default 1 ms … 30 s. */
  readonly buckets?: readonly number[];
}

/** The registered metrics; `dispose()` unsubscribes and removes them from the registry. */
export interface PrometheusMetrics extends Disposable {
  /** The full metric names registered, in registration order. */
  readonly names: readonly string[];
}

const CACHE_KIND = 'staleCache';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

function validate(options: PrometheusMetricsOptions): void {
  const check = new OptionChecker('prometheusMetrics');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, ['telemetry', 'registry', 'prefix', 'buckets']);
  if (!isTelemetry(options.telemetry))
    check.fail('telemetry', options.telemetry, 'a Telemetry stream', 'type');
  const registry = options.registry as unknown as { registerMetric?: unknown } | undefined;
  if (typeof registry?.registerMetric !== 'function')
    check.fail('registry', '(not a registry)', 'a prom-client Registry', 'type');
  if (options.prefix !== undefined) {
    if (typeof options.prefix !== 'string') check.fail('prefix', options.prefix, 'a string', 'type');
    else if (options.prefix !== '' && !NAME.test(options.prefix))
      check.fail('prefix', options.prefix, 'a valid Prometheus name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)');
  }
  const b = options.buckets;
  if (b !== undefined) {
    const ok =
      Array.isArray(b) &&
      b.length > 0 &&
      b.every(
        (x, i) => typeof x === 'number' && Number.isFinite(x) && x > 0 && (i === 0 || x > (b[i - 1] ?? 0)),
      );
    if (!ok) check.fail('buckets', b, 'a non-empty array of increasing finite numbers > 0 (seconds)');
  }
  check.throwIfAny();
}

/**
 * Registers breakwater's metrics on `registry` and feeds them from `telemetry`:
 *
 * - `breakwater_calls_total{breaker,outcome}`: calls by outcome (`success`, `failure`, `timeout`,
 *   `ignored`, `rejected`); every outcome starts at 0 for each breaker on the stream;
 * - `breakwater_state{breaker,state}`: 1 for the current state, 0 for the others, read at scrape time;
 * - `breakwater_fleet_healthy{breaker}`: for breakers with a fleet, 1 while its store answers, 0 while degraded;
 * - `breakwater_transitions_total{breaker,from,to}`;
 * - `breakwater_call_duration_seconds{breaker,outcome}`: a histogram of calls that ran;
 * - `breakwater_fallbacks_total`, `breakwater_retries_total`, `breakwater_bulkhead_rejections_total`,
 *   `breakwater_timeouts_total` `{policy,kind}`, for policies that report them;
 * - `breakwater_cache_answers_total{policy,kind,result}`: stale cache answers (`fresh`, `stale`,
 *   `miss`; all three start at 0 with a policy's first answer), read at scrape time from the counts
 *   the stream keeps in place (stale caches sharing a name share one series; a stale cache that is
 *   gone keeps its counts);
 * - `breakwater_queue_events_total{policy,kind,action}`: queue-for-later requests (`queued`,
 *   `refused`, `replayed`, `replay-failed`, `dead-lettered`; all start at 0 with a policy's first event).
 *
 * When a breaker leaves the stream (`telemetry.unregister`, as a registry does on eviction) its
 * series are removed, so label values stay bounded by the breakers alive.
 *
 * @example
 * const registry = new Registry();
 * const telemetry = new Telemetry();
 * using metrics = prometheusMetrics({ telemetry, registry });
 * const breaker = new CircuitBreaker({ name: 'payments', telemetry });
 * // GET /metrics → res.end(await registry.metrics())
 */
export function prometheusMetrics(options: PrometheusMetricsOptions): PrometheusMetrics {
  validate(options);
  const { telemetry, registry, prefix = PROM_PREFIX, buckets = DURATION_BUCKETS_SECONDS } = options;
  const name = (m: { prometheus: string }): string => `${prefix}${m.prometheus}`;

  // Read from the breakers at scrape time: every outcome of every live breaker, 0 included.
  const calls = new Counter({
    name: name(METRICS.calls),
    help: METRICS.calls.help,
    labelNames: [L.breaker, L.outcome],
    registers: [],
    collect(this: Counter) {
      this.reset();
      for (const source of breakerSources(telemetry)) {
        const aggregates = source.aggregates?.();
        OUTCOMES.forEach((outcome, o) => {
          this.inc({ [L.breaker]: source.name, [L.outcome]: outcome }, aggregates?.count(o) ?? 0);
        });
      }
    },
  });
  const state = new Gauge({
    name: name(METRICS.state),
    help: METRICS.state.help,
    labelNames: [L.breaker, L.state],
    registers: [],
    collect(this: Gauge) {
      this.reset();
      for (const source of breakerSources(telemetry)) {
        let current: string;
        try {
          current = source.snapshot().state;
        } catch {
          continue;
        }
        for (const s of STATES) this.set({ [L.breaker]: source.name, [L.state]: s }, s === current ? 1 : 0);
      }
    },
  });
  const fleetHealthy = new Gauge({
    name: name(METRICS.fleetHealthy),
    help: METRICS.fleetHealthy.help,
    labelNames: [L.breaker],
    registers: [],
    collect(this: Gauge) {
      this.reset();
      for (const source of breakerSources(telemetry)) {
        const fleet = source.breaker.fleet;
        if (fleet !== undefined) this.set({ [L.breaker]: source.name }, fleet.healthy ? 1 : 0);
      }
    },
  });
  const transitions = new Counter({
    name: name(METRICS.transitions),
    help: METRICS.transitions.help,
    labelNames: [L.breaker, L.from, L.to],
    registers: [],
  });
  const duration = new AggregateHistogram(name(METRICS.callDuration), METRICS.callDuration.help, telemetry, [
    ...buckets,
  ]);
  const policyCounter = (m: { prometheus: string; help: string }): Counter =>
    new Counter({ name: name(m), help: m.help, labelNames: [L.policy, L.kind], registers: [] });
  const fallbacks = policyCounter(METRICS.fallbacks);
  const retries = policyCounter(METRICS.retries);
  const bulkheadRejections = policyCounter(METRICS.bulkheadRejections);
  const timeouts = policyCounter(METRICS.timeouts);
  // Read at scrape time from the counters the stream keeps per stale cache (`policyCounter`):
  // all three results from a policy's first answer counted, 0 included.
  const cacheAnswers = new Counter({
    name: name(METRICS.cacheAnswers),
    help: METRICS.cacheAnswers.help,
    labelNames: [L.policy, L.kind, L.result],
    registers: [],
    collect(this: Counter) {
      this.reset();
      for (const [policy, counts] of telemetry.policyCounters(CACHE_KIND))
        CACHE_RESULTS.forEach((result, r) => {
          this.inc({ [L.policy]: policy, [L.kind]: CACHE_KIND, [L.result]: result }, counts[r] ?? 0);
        });
    },
  });
  const queueEvents = new Counter({
    name: name(METRICS.queueEvents),
    help: METRICS.queueEvents.help,
    labelNames: [L.policy, L.kind, L.action],
    registers: [],
  });
  const all: [string, Metric][] = [
    [name(METRICS.calls), calls],
    [name(METRICS.state), state],
    [name(METRICS.fleetHealthy), fleetHealthy],
    [name(METRICS.transitions), transitions],
    // Shaped like a prom-client Histogram where a Registry reads one (name, help, type, get, reset).
    [name(METRICS.callDuration), duration as unknown as Metric],
    [name(METRICS.fallbacks), fallbacks],
    [name(METRICS.retries), retries],
    [name(METRICS.bulkheadRejections), bulkheadRejections],
    [name(METRICS.timeouts), timeouts],
    [name(METRICS.cacheAnswers), cacheAnswers],
    [name(METRICS.queueEvents), queueEvents],
  ];

  // Register all or none: a name clash on the caller's registry leaves it as it was.
  const added: string[] = [];
  try {
    for (const [metricName, metric] of all) {
      if (registry.getSingleMetric(metricName) !== undefined)
        throw new Error(`prometheusMetrics: the registry already has a metric named ${metricName}`);
      registry.registerMetric(metric);
      added.push(metricName);
    }
  } catch (error) {
    for (const metricName of added) registry.removeSingleMetric(metricName);
    throw error;
  }

  // A policy's labelled counters start at 0 for every value with its first event (once per policy),
  // so `rate(...{result="stale"})` has a series before the first stale answer.
  const seen = new Set<string>();
  const zeroLabels = (
    counter: Counter,
    key: string,
    values: readonly string[],
    event: TelemetryEvent,
  ): void => {
    const id = `${key}\u0000${event.kind}\u0000${event.policy}`;
    if (seen.has(id)) return;
    seen.add(id);
    for (const value of values)
      counter.inc({ [L.policy]: event.policy, [L.kind]: event.kind, [key]: value }, 0);
  };
  const forget = (policy: string, kind: string): void => {
    // Calls and durations are read from the live breakers: a breaker gone is gone from them.
    if (kind === 'breaker') {
      for (const from of STATES)
        for (const to of STATES) transitions.remove({ [L.breaker]: policy, [L.from]: from, [L.to]: to });
    }
    for (const counter of [fallbacks, retries, bulkheadRejections, timeouts])
      counter.remove({ [L.policy]: policy, [L.kind]: kind });
  };

  const onEvent = (event: TelemetryEvent): void => {
    switch (event.type) {
      case 'transition':
        if (event.kind !== 'breaker') return;
        transitions.inc({ [L.breaker]: event.policy, [L.from]: event.from, [L.to]: event.to });
        return;
      case 'fallback':
        fallbacks.inc({ [L.policy]: event.policy, [L.kind]: event.kind });
        return;
      case 'retry':
        retries.inc({ [L.policy]: event.policy, [L.kind]: event.kind });
        return;
      case 'bulkhead':
        if (event.action === 'rejected')
          bulkheadRejections.inc({ [L.policy]: event.policy, [L.kind]: event.kind });
        return;
      case 'timeout':
        timeouts.inc({ [L.policy]: event.policy, [L.kind]: event.kind });
        return;
      case 'queue':
        zeroLabels(queueEvents, L.action, QUEUE_ACTIONS, event);
        queueEvents.inc({ [L.policy]: event.policy, [L.kind]: event.kind, [L.action]: event.action });
        return;
      case 'unregistered':
        forget(event.policy, event.kind);
        return;
    }
  };
  // Calls and cache answers are not delivered to an aggregate reader: they are counted in place.
  const subscription = telemetry.subscribe(onEvent, { aggregates: true, buckets });

  let live = true;
  const dispose = (): void => {
    if (!live) return;
    live = false;
    subscription.dispose();
    for (const [metricName, metric] of all) {
      if (registry.getSingleMetric(metricName) === metric) registry.removeSingleMetric(metricName);
    }
  };
  return { names: all.map(([metricName]) => metricName), dispose, [Symbol.dispose]: dispose };
}

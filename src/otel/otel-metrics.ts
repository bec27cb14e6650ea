/**
 * OpenTelemetry metrics for breakwater, through `@opentelemetry/api` only: without an SDK the API
 * is a no-op and costs nothing; with one, the instruments below reach whatever reader and exporter
 * the application configured.
 *
 * Calls reach the SDK at collection time, not per call: the exporter is an aggregate reader of the
 * stream, the breakers count their calls in place, and the state gauge's callback, which the SDK
 * runs first in every collection, records what they counted since the previous one (see
 * `AggregateReplay`). The other counters are fed by the stream's events, which are rare.
 *
 * There is no OpenTelemetry semantic convention for circuit breakers yet, so these names and
 * attributes are breakwater's own and may change when one appears.
 */
import { type MeterProvider, type ObservableResult, metrics } from '@opentelemetry/api';
import type { Disposable } from '../core/events.js';
import type { Telemetry, TelemetryEvent } from '../core/telemetry.js';
import { OptionChecker } from '../core/validate.js';
import {
  DURATION_BUCKETS_SECONDS,
  LIBRARY_VERSION,
  METER_NAME,
  METRICS,
  OTEL_ATTRIBUTES as A,
  STATES,
} from '../telemetry/metric-names.js';
import { breakerSources, isTelemetry } from '../telemetry/sources.js';
import { AggregateReplay } from './aggregate-replay.js';
import { CacheAnswerReplay } from './cache-replay.js';

/** Options of {@link otelMetrics}. */
export interface OtelMetricsOptions {
  /** The stream the breakers report into. */
  readonly telemetry: Telemetry;
  /** Where to get the meter. Default: the global provider (`metrics.getMeterProvider()`). */
  readonly meterProvider?: MeterProvider;
}

function validate(options: OtelMetricsOptions): void {
  const check = new OptionChecker('otelMetrics');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, ['telemetry', 'meterProvider']);
  if (!isTelemetry(options.telemetry))
    check.fail('telemetry', options.telemetry, 'a Telemetry stream', 'type');
  const provider = options.meterProvider as unknown as { getMeter?: unknown } | undefined;
  if (provider !== undefined && typeof provider.getMeter !== 'function')
    check.fail('meterProvider', '(no getMeter)', 'an OpenTelemetry MeterProvider', 'type');
  check.throwIfAny();
}

/**
 * Creates breakwater's instruments on the meter `breakwater` and feeds them from `telemetry`:
 *
 * - `breakwater.calls` (counter; `breakwater.breaker.name`, `breakwater.outcome`);
 * - `breakwater.transitions` (counter; `breakwater.breaker.name`, `breakwater.transition.from`,
 *   `breakwater.transition.to`);
 * - `breakwater.state` (observable gauge; `breakwater.breaker.name`, `breakwater.breaker.state`):
 *   one point per state, 1 for the current and 0 for the others, read from the breakers at
 *   collection time;
 * - `breakwater.call.duration` (histogram in seconds; `breakwater.breaker.name`, `breakwater.outcome`);
 * - `breakwater.fallbacks`, `breakwater.retries`, `breakwater.bulkhead.rejections`,
 *   `breakwater.timeouts` (counters; `breakwater.policy.name`, `breakwater.policy.kind`);
 * - `breakwater.cache.answers` (counter; the policy attributes and `breakwater.cache.result`);
 * - `breakwater.queue.events` (counter; the policy attributes and `breakwater.queue.action`).
 *
 * `breakwater.calls` and `breakwater.call.duration` are recorded at collection time from the
 * counts the breakers keep (see the module comment), `breakwater.cache.answers` likewise from the
 * counts the stream keeps per stale cache name (stale caches sharing a name share one series); the
 * others as their events happen.
 *
 * `dispose()` records the calls counted so far, then stops feeding them. (The OpenTelemetry API cannot delete a series; a breaker that
 * left the stream drops out of `breakwater.state` at once and its counters stop growing.)
 *
 * @example
 * const telemetry = new Telemetry();
 * otelMetrics({ telemetry }); // uses the global MeterProvider your SDK set up
 * const breaker = new CircuitBreaker({ name: 'payments', telemetry });
 */
export function otelMetrics(options: OtelMetricsOptions): Disposable {
  validate(options);
  const { telemetry } = options;
  const meter = (options.meterProvider ?? metrics.getMeterProvider()).getMeter(METER_NAME, LIBRARY_VERSION);
  const counter = (m: { otel: string; help: string; unit: string }) =>
    meter.createCounter(m.otel, { description: m.help, unit: m.unit });
  const calls = counter(METRICS.calls);
  const transitions = counter(METRICS.transitions);
  const fallbacks = counter(METRICS.fallbacks);
  const retries = counter(METRICS.retries);
  const bulkheadRejections = counter(METRICS.bulkheadRejections);
  const timeouts = counter(METRICS.timeouts);
  const cacheAnswers = counter(METRICS.cacheAnswers);
  const queueEvents = counter(METRICS.queueEvents);
  const duration = meter.createHistogram(METRICS.callDuration.otel, {
    description: METRICS.callDuration.help,
    unit: METRICS.callDuration.unit,
    advice: { explicitBucketBoundaries: [...DURATION_BUCKETS_SECONDS] },
  });
  const state = meter.createObservableGauge(METRICS.state.otel, {
    description: METRICS.state.help,
    unit: METRICS.state.unit,
  });
  const replay = new AggregateReplay(telemetry, calls, duration);
  const cacheReplay = new CacheAnswerReplay(telemetry, cacheAnswers);
  const observeState = (result: ObservableResult): void => {
    // First in every collection: the calls and cache answers since the previous one reach the
    // sync instruments, which the SDK collects after the callbacks.
    replay.flush();
    cacheReplay.flush();
    for (const source of breakerSources(telemetry)) {
      let current: string;
      try {
        current = source.snapshot().state;
      } catch {
        continue;
      }
      for (const s of STATES)
        result.observe(s === current ? 1 : 0, { [A.breaker]: source.name, [A.state]: s });
    }
  };
  state.addCallback(observeState);

  const onEvent = (event: TelemetryEvent): void => {
    switch (event.type) {
      case 'transition':
        if (event.kind !== 'breaker') return;
        transitions.add(1, { [A.breaker]: event.policy, [A.from]: event.from, [A.to]: event.to });
        return;
      case 'fallback':
        fallbacks.add(1, { [A.policy]: event.policy, [A.kind]: event.kind });
        return;
      case 'retry':
        retries.add(1, { [A.policy]: event.policy, [A.kind]: event.kind });
        return;
      case 'bulkhead':
        if (event.action === 'rejected')
          bulkheadRejections.add(1, { [A.policy]: event.policy, [A.kind]: event.kind });
        return;
      case 'timeout':
        timeouts.add(1, { [A.policy]: event.policy, [A.kind]: event.kind });
        return;
      case 'queue':
        queueEvents.add(1, { [A.policy]: event.policy, [A.kind]: event.kind, [A.action]: event.action });
        return;
      default:
        return;
    }
  };
  // Calls and cache answers are not delivered to an aggregate reader: they are counted in place.
  const subscription = telemetry.subscribe(onEvent, { aggregates: true, buckets: DURATION_BUCKETS_SECONDS });

  let live = true;
  const dispose = (): void => {
    if (!live) return;
    live = false;
    replay.flush(); // what was counted until now is recorded, for the next collection
    cacheReplay.flush();
    subscription.dispose();
    state.removeCallback(observeState);
  };
  return { dispose, [Symbol.dispose]: dispose };
}

/**
 * Every metric breakwater exports, in one place: names, label (attribute) keys, units and help
 * text, for Prometheus (`breakwater/prometheus`) and OpenTelemetry (`breakwater/otel`). Both
 * exporters read these constants, so the two stay in step and a rename happens here only.
 *
 * Prometheus names follow its conventions (counters end in `_total`, durations in seconds).
 * OpenTelemetry names live under `breakwater.`; there is no semantic convention for circuit
 * breakers yet, so they are library-specific and may change when one appears.
 */
import { OUTCOME_ORDER } from '../core/call-aggregates.js';
import { STATE_NAMES, type StateName } from '../core/states.js';
import {
  CACHE_RESULT_ORDER,
  type CacheResult,
  type CallOutcome,
  type QueueAction,
} from '../core/telemetry.js';

/** The library version reported as the OpenTelemetry meter version (kept equal to package.json by a test). */
export const LIBRARY_VERSION = '0.1.0';

/** The OpenTelemetry meter name. */
export const METER_NAME = 'breakwater';

/** Every breaker state, in the order the exporters list them. */
export const STATES: readonly StateName[] = STATE_NAMES;

/** Every call outcome, in the order the exporters list them. */
export const OUTCOMES: readonly CallOutcome[] = OUTCOME_ORDER;

/** Every `staleCache` answer, in the order the exporters and the dashboard list them. */
export const CACHE_RESULTS: readonly CacheResult[] = CACHE_RESULT_ORDER;

/** Every `queueForLater` action, in the order the exporters and the dashboard list them. */
export const QUEUE_ACTIONS: readonly QueueAction[] = Object.freeze([
  'queued',
  'refused',
  'replayed',
  'replay-failed',
  'dead-lettered',
]);

// Defined beside the aggregates that use it; exported from here with the other names.
export { DURATION_BUCKETS_SECONDS } from '../core/call-aggregates.js';

/** Prometheus label names. */
export const PROM_LABELS = Object.freeze({
  breaker: 'breaker',
  outcome: 'outcome',
  state: 'state',
  from: 'from',
  to: 'to',
  policy: 'policy',
  kind: 'kind',
  result: 'result',
  action: 'action',
});

/** OpenTelemetry attribute keys. */
export const OTEL_ATTRIBUTES = Object.freeze({
  breaker: 'breakwater.breaker.name',
  outcome: 'breakwater.outcome',
  state: 'breakwater.breaker.state',
  from: 'breakwater.transition.from',
  to: 'breakwater.transition.to',
  policy: 'breakwater.policy.name',
  kind: 'breakwater.policy.kind',
  result: 'breakwater.cache.result',
  action: 'breakwater.queue.action',
});

/** One exported metric: its Prometheus name (without prefix), OpenTelemetry name, unit and help. */
export interface MetricName {
  /** Prometheus name without the prefix (the default prefix is `breakwater_`). */
  readonly prometheus: string;
  /** OpenTelemetry instrument name. */
  readonly otel: string;
  /** OpenTelemetry unit (UCUM); Prometheus carries the unit in the name. */
  readonly unit: string;
  /** Help / description text. */
  readonly help: string;
}

/** The default Prometheus name prefix. */
export const PROM_PREFIX = 'breakwater_';

/** The metrics. */
export const METRICS = Object.freeze({
  calls: {
    prometheus: 'calls_total',
    otel: 'breakwater.calls',
    unit: '{call}',
    help: 'Calls through a circuit breaker, by outcome (success, failure, timeout, ignored, rejected).',
  },
  state: {
    prometheus: 'state',
    otel: 'breakwater.state',
    unit: '1',
    help: 'Circuit breaker state: 1 for the current state, 0 for the others.',
  },
  transitions: {
    prometheus: 'transitions_total',
    otel: 'breakwater.transitions',
    unit: '{transition}',
    help: 'Circuit breaker state transitions, by from and to state.',
  },
  callDuration: {
    prometheus: 'call_duration_seconds',
    otel: 'breakwater.call.duration',
    unit: 's',
    help: 'Duration of calls that ran through a circuit breaker, in seconds (rejected calls are not timed).',
  },
  fallbacks: {
    prometheus: 'fallbacks_total',
    otel: 'breakwater.fallbacks',
    unit: '{fallback}',
    help: 'Answers given by a fallback instead of an error.',
  },
  retries: {
    prometheus: 'retries_total',
    otel: 'breakwater.retries',
    unit: '{retry}',
    help: 'Retry attempts scheduled by a retry policy.',
  },
  fleetHealthy: {
    prometheus: 'fleet_healthy',
    otel: 'breakwater.fleet.healthy',
    unit: '1',
    help: 'Fleet mode store health of a breaker with a fleet: 1 while its store answers, 0 while it runs on local state.',
  },
  bulkheadRejections: {
    prometheus: 'bulkhead_rejections_total',
    otel: 'breakwater.bulkhead.rejections',
    unit: '{call}',
    help: 'Calls a bulkhead rejected because it and its queue were full.',
  },
  timeouts: {
    prometheus: 'timeouts_total',
    otel: 'breakwater.timeouts',
    unit: '{call}',
    help: 'Calls a timeout policy gave up on at its deadline.',
  },
  cacheAnswers: {
    prometheus: 'cache_answers_total',
    otel: 'breakwater.cache.answers',
    unit: '{answer}',
    help: 'Answers of a stale cache, by result (fresh, stale, miss).',
  },
  queueEvents: {
    prometheus: 'queue_events_total',
    otel: 'breakwater.queue.events',
    unit: '{request}',
    help: 'Requests through a queue-for-later policy, by action (queued, dropped, replayed, replay-failed, dead-lettered).',
  },
} satisfies Record<string, MetricName>);

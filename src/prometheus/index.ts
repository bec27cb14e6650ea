/**
 * `breakwater/prometheus`: breakwater's metrics on a prom-client registry of your own.
 *
 * @packageDocumentation
 */
export {
  prometheusMetrics,
  type PrometheusMetrics,
  type PrometheusMetricsOptions,
} from './prometheus-metrics.js';
export { DURATION_BUCKETS_SECONDS } from '../telemetry/metric-names.js';

/**
 * `breakwater/otel`: breakwater's metrics through the OpenTelemetry API.
 *
 * @packageDocumentation
 */
export { otelMetrics, type OtelMetricsOptions } from './otel-metrics.js';

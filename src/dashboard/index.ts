/**
 * `breakwater/dashboard`: a live page of every breaker on a telemetry stream.
 *
 * @packageDocumentation
 */
export {
  createDashboard,
  type Dashboard,
  type DashboardSnapshot,
  type ListeningDashboard,
} from './dashboard.js';
export type { DashboardOptions } from './dashboard-options.js';
export type { SseStats } from './sse-hub.js';
export type {
  ActivitySnapshot,
  BreakerActivity,
  PriorState,
  TransitionRecord,
} from '../telemetry/activity.js';
export type { Percentiles } from '../telemetry/latency-histogram.js';
export type { SecondCounts } from '../telemetry/second-series.js';
export type { BreakerCounts, BreakerQuery } from '../telemetry/breaker-query.js';
export type { FleetInstanceView, FleetReader } from './fleet-source.js';

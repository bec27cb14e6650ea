/**
 * breakwater: a circuit breaker and the resilience policies around it.
 *
 * @packageDocumentation
 */
export { CircuitBreaker, type BreakerStats, type BreakerSource } from './breaker/circuit-breaker.js';
export { circuitBreaker, breakerOf, type CircuitBreakerDecorator } from './breaker/decorator.js';
export type { CircuitBreakerOptions, RecoveryBackoff } from './breaker/options.js';
export type { BreakerEvents } from './breaker/events.js';
export type { BreakerSnapshot } from './breaker/snapshot.js';
export type { StateName } from './core/states.js';
export type { TransitionReason } from './breaker/state-machine.js';
export type { TripReason } from './breaker/trip-rules.js';
export type { WindowOptions } from './breaker/window.js';
export type { BreakerTotals } from './breaker/report.js';
export type { Clock, TimerHandle, TimerOptions } from './core/clock.js';
export { systemClock } from './core/clock.js';
export { type Random, systemRandom, seededRandom } from './core/random.js';
export type { Disposable, Listener } from './core/events.js';
export type { Policy, PolicyContext, ExecuteOptions, Protected } from './core/policy.js';
export {
  BreakwaterError,
  CircuitOpenError,
  CallTimeoutError,
  BulkheadFullError,
  isBreakwaterError,
  isCircuitOpenError,
  isCallTimeoutError,
  isBulkheadFullError,
  type BreakwaterErrorOptions,
  type RejectingState,
  type RejectionSource,
} from './core/errors.js';
export {
  Telemetry,
  type TelemetryEvent,
  type TelemetrySource,
  type TelemetrySubscribeOptions,
  type CallOutcome,
  type CacheResult,
  type QueueAction,
} from './core/telemetry.js';
export type { AggregateLayout, CallAggregates } from './core/call-aggregates.js';
export {
  BreakerRegistry,
  type BreakerRegistryOptions,
  type EvictionReason,
  type RegistryEvents,
} from './registry/index.js';
export * from './policies/index.js';
export type { Fleet, FleetEvent, FleetHandle, FleetState } from './breaker/fleet.js';

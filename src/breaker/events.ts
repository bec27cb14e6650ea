import type { RejectingState } from '../core/errors.js';
import type { FleetEvent } from './fleet.js';
import type { StateName, TransitionReason } from './state-machine.js';

/**
 * Events of a {@link CircuitBreaker}. Every admitted call ends in exactly one of `success`,
 * `failure`, `timeout` or `ignored`; a call refused without running ends in `rejected`.
 * `fallback` is reported in addition when a fallback answered instead of an error.
 * `generation` is the generation the call was admitted in: when it differs from the breaker's
 * current generation, the outcome was late and changed only the lifetime totals.
 */
export interface BreakerEvents {
  stateChange: {
    readonly from: StateName;
    readonly to: StateName;
    readonly reason: TransitionReason;
    readonly generation: number;
  };
  success: { readonly durationMs: number; readonly slow: boolean; readonly generation: number };
  /** `error` is what the function threw; for a result classified by `isResultFailure`, `error` is undefined and `result` holds it. */
  failure: {
    readonly durationMs: number;
    readonly slow: boolean;
    readonly generation: number;
    readonly error: unknown;
    readonly result?: unknown;
  };
  timeout: { readonly durationMs: number; readonly timeoutMs: number; readonly generation: number };
  /** An error `isFailure` classified as not a failure, or a caller abort (`aborted: true`). */
  ignored: {
    readonly durationMs: number;
    readonly error: unknown;
    readonly aborted: boolean;
    readonly generation: number;
  };
  rejected: { readonly state: RejectingState; readonly retryAfterMs: number };
  fallback: { readonly error: unknown };
  /** Fleet health and fleet transitions (only for a breaker with a `fleet` option). */
  fleet: FleetEvent;
}

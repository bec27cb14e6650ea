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
  /** The effective state changed (every transition, manual actions and fleet transitions included). */
  stateChange: {
    /** The state left. */
    readonly from: StateName;
    /** The state entered. */
    readonly to: StateName;
    /** What caused it: a trip rule, a probe outcome, the recovery timeout, a manual action or the fleet. */
    readonly reason: TransitionReason;
    /** The breaker's generation after the change (a change the fleet made leaves it as it was). */
    readonly generation: number;
  };
  /** A call resolved and counted as a success. */
  success: {
    /** How long the call ran, in ms. */
    readonly durationMs: number;
    /** True when the call took at least `slowCallDuration` ms (always false without that option). */
    readonly slow: boolean;
    /** The generation the call was admitted in. */
    readonly generation: number;
  };
  /** `error` is what the function threw; for a result classified by `isResultFailure`, `error` is undefined and `result` holds it. */
  failure: {
    /** How long the call ran, in ms. */
    readonly durationMs: number;
    /** True when the call took at least `slowCallDuration` ms (always false without that option). */
    readonly slow: boolean;
    /** The generation the call was admitted in. */
    readonly generation: number;
    /** What the function threw; `undefined` for a result `isResultFailure` classified as a failure. */
    readonly error: unknown;
    /** The resolved value `isResultFailure` classified as a failure; absent when the function threw. */
    readonly result?: unknown;
  };
  /** A call ran past the breaker's `timeout`: its signal aborted, and it counts as a failure. */
  timeout: {
    /** How long the call ran before it was given up, in ms. */
    readonly durationMs: number;
    /** The timeout that expired, in ms. */
    readonly timeoutMs: number;
    /** The generation the call was admitted in. */
    readonly generation: number;
  };
  /** An error `isFailure` classified as not a failure, or a caller abort (`aborted: true`). */
  ignored: {
    /** How long the call ran, in ms (for a caller abort: until the abort). */
    readonly durationMs: number;
    /** What the function threw, or the signal's abort reason. */
    readonly error: unknown;
    /** True when the caller's signal aborted the call; false when `isFailure` declined the error. */
    readonly aborted: boolean;
    /** The generation the call was admitted in. */
    readonly generation: number;
  };
  /** A call was refused without running: open, isolated, or half-open with no probe permit free. */
  rejected: {
    /** The state that refused the call. */
    readonly state: RejectingState;
    /** Ms until probes are admitted: `0` in half-open, `Infinity` when isolated. */
    readonly retryAfterMs: number;
  };
  /** The `fallback` option answered instead of an error. */
  fallback: {
    /** The error replaced: the call's error (`CallTimeoutError` on timeout) or `CircuitOpenError`. */
    readonly error: unknown;
  };
  /** Fleet health and fleet transitions (only for a breaker with a `fleet` option). */
  fleet: FleetEvent;
}

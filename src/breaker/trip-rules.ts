import type { Window } from './window.js';

/** Why a trip rule opened the circuit. */
export type TripReason = 'failure-threshold' | 'failure-rate' | 'slow-call-rate';

/**
 * The trip rules of a breaker as plain thresholds; a rule that is off holds `Infinity`. Shared
 * data, not closures, so a breaker carries no per-rule objects.
 */
export interface TripRules {
  /** Failures in the window that open the circuit. */
  readonly failureThreshold: number;
  /** Failure fraction that opens the circuit once the window holds `minimumCalls` calls. */
  readonly failureRateThreshold: number;
  /** Slow-call fraction that opens the circuit once the window holds `minimumCalls` calls. */
  readonly slowCallRateThreshold: number;
  /** Calls the window must hold before a rate rule may trip. */
  readonly minimumCalls: number;
}

/**
 * Answers one question after each counted outcome in the closed state: should the circuit open,
 * and by which rule? Comparisons are ≥. Returns `undefined` when no rule holds.
 */
export function tripReason(rules: TripRules, w: Window): TripReason | undefined {
  if (w.failures >= rules.failureThreshold) return 'failure-threshold';
  if (w.calls >= rules.minimumCalls && w.calls > 0) {
    if (w.failures / w.calls >= rules.failureRateThreshold) return 'failure-rate';
    if (w.slowCalls / w.calls >= rules.slowCallRateThreshold) return 'slow-call-rate';
  }
  return undefined;
}

/** True when a success can make a rule hold (a rate rule is on), so successes must be timed. */
export function successesCount(rules: TripRules): boolean {
  return rules.failureRateThreshold !== Infinity || rules.slowCallRateThreshold !== Infinity;
}

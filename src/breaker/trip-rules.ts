import type { Window } from './window.js';

/** Why a trip rule opened the circuit. */
export type TripReason = 'failure-threshold' | 'failure-rate' | 'slow-call-rate';

/** Answers one question after each counted outcome in the closed state: should the circuit open? */
export interface TripRule {
  readonly reason: TripReason;
  /** The rule's threshold: a count of failures, or a fraction for the rate rules. */
  readonly threshold: number;
  /** Calls the window must hold before the rule may trip (`0` for the count rule). */
  readonly minimumCalls: number;
  holds(window: Window): boolean;
}

/** Failures in the window ≥ `threshold`. */
export function failureCountRule(threshold: number): TripRule {
  return { reason: 'failure-threshold', threshold, minimumCalls: 0, holds: (w) => w.failures >= threshold };
}

/** Calls ≥ `minimumCalls` and failures / calls ≥ `threshold`. */
export function failureRateRule(threshold: number, minimumCalls: number): TripRule {
  return {
    reason: 'failure-rate',
    threshold,
    minimumCalls,
    holds: (w) => w.calls >= minimumCalls && w.calls > 0 && w.failures / w.calls >= threshold,
  };
}

/** Calls ≥ `minimumCalls` and slow calls / calls ≥ `threshold`. */
export function slowCallRateRule(threshold: number, minimumCalls: number): TripRule {
  return {
    reason: 'slow-call-rate',
    threshold,
    minimumCalls,
    holds: (w) => w.calls >= minimumCalls && w.calls > 0 && w.slowCalls / w.calls >= threshold,
  };
}

/** The first rule that holds, or `undefined`. */
export function firstTripping(rules: readonly TripRule[], window: Window): TripReason | undefined {
  for (const rule of rules) if (rule.holds(window)) return rule.reason;
  return undefined;
}

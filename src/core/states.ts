/**
 * The states of a circuit breaker, written once: the type, the snapshot check, the exporters and
 * the state machine's table all read this list (see the README, "How the breaker decides").
 */

/** Every breaker state, in the order exporters list them. */
export const STATE_NAMES = Object.freeze([
  'closed',
  'open',
  'half-open',
  'isolated',
  'disabled',
  'metrics-only',
] as const);

/** The states of a circuit breaker. */
export type StateName = (typeof STATE_NAMES)[number];

/**
 * The states only an operator sets (`isolate()`, `disable()`, `metricsOnly()`); they last until
 * `reset()`. They are this process's word: a fleet has no say while the breaker is in one.
 */
export const OPERATOR_STATES: readonly StateName[] = Object.freeze(['isolated', 'disabled', 'metrics-only']);

/** True for a state that only an operator sets (see {@link OPERATOR_STATES}). */
export function isOperatorState(state: StateName): boolean {
  return state === 'isolated' || state === 'disabled' || state === 'metrics-only';
}

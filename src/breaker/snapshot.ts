import type { StateName } from './state-machine.js';

/**
 * What `toJSON()` returns and `initialState` accepts: enough to restore a breaker's state in a
 * new process (for example a serverless function persisting it between invocations).
 *
 * Monotonic clocks do not survive a process, so an open circuit stores the time it still had to
 * stay open; on restore that remaining time starts again from the moment of restoring. Window
 * counts are not carried over; a restored half-open circuit starts with no probes in flight.
 */
export interface BreakerSnapshot {
  readonly version: 1;
  readonly name: string;
  readonly state: StateName;
  readonly generation: number;
  /** Ms the circuit still had to stay open (`open` only). */
  readonly openRemainingMs?: number;
  /** Consecutive re-opens from half-open, for `recoveryBackoff`. */
  readonly reopens: number;
}

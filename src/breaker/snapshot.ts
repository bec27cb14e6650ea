import type { OptionChecker } from '../core/validate.js';
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

const STATES: readonly StateName[] = ['closed', 'open', 'half-open', 'isolated', 'disabled', 'metrics-only'];

/**
 * Validates `initialState`: a persisted snapshot is input like any other option, and a bad one
 * (for example a NaN `openRemainingMs`, which would keep a circuit open forever) is reported.
 */
export function checkSnapshot(check: OptionChecker, snap: unknown): void {
  if (typeof snap !== 'object' || snap === null) {
    check.fail('initialState', snap, 'a snapshot from toJSON()', 'type');
    return;
  }
  const s = snap as { readonly [K in keyof BreakerSnapshot]?: unknown };
  if (s.version !== 1) check.fail('initialState.version', s.version, '1', 'type');
  if (!STATES.includes(s.state as StateName))
    check.fail('initialState.state', s.state, `one of ${STATES.join(', ')}`, 'type');
  check.number('initialState.generation', s.generation, { integer: true, min: 0 });
  check.number('initialState.reopens', s.reopens, { integer: true, min: 0 });
  if (s.openRemainingMs !== undefined)
    check.number('initialState.openRemainingMs', s.openRemainingMs, { min: 0 });
}

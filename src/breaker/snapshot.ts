import type { OptionChecker } from '../core/validate.js';
import { STATE_NAMES, type StateName } from '../core/states.js';

/**
 * What `toJSON()` returns and `initialState` accepts: enough to restore a breaker's state in a
 * new process (for example a serverless function persisting it between invocations).
 *
 * Monotonic clocks do not survive a process, so an open circuit stores the time it still had to
 * stay open; on restore that remaining time starts again from the moment of restoring. Window
 * counts are not carried over; a restored half-open circuit starts with no probes in flight.
 */
export interface BreakerSnapshot {
  /** The snapshot format; `1` is the only one. */
  readonly version: 1;
  /** The name of the breaker it was taken from (informative: restoring does not use it). */
  readonly name: string;
  /** The effective state: a breaker whose fleet is open is saved as open. */
  readonly state: StateName;
  /** The generation; a restored breaker continues counting from it. */
  readonly generation: number;
  /** Ms the circuit still had to stay open (`open` only). */
  readonly openRemainingMs?: number;
  /** Consecutive re-opens from half-open, for `recoveryBackoff`. */
  readonly reopens: number;
}

const FIELDS: readonly (keyof BreakerSnapshot)[] = [
  'version',
  'name',
  'state',
  'generation',
  'openRemainingMs',
  'reopens',
];

/**
 * The largest generation. Generations only need to differ between transitions that a call can
 * span, so after this one the count starts again at 0 (at a million transitions a second that is
 * 285 years away): every safe integer can still grow, and a number beyond it could not.
 */
export const MAX_GENERATION = Number.MAX_SAFE_INTEGER;

/**
 * Validates `initialState`: a persisted snapshot is input like any other option, and one that could
 * break an invariant is refused, naming the field. `maxOpenMs` is the longest open period the
 * breaker can produce (`extendOpen` reaches the timer limit), so a longer `openRemainingMs` can
 * only be a corrupt or hand-made snapshot (a circuit open for ages, or forever for NaN).
 */
export function checkSnapshot(check: OptionChecker, snap: unknown, maxOpenMs: number): void {
  if (typeof snap !== 'object' || snap === null) {
    check.fail('initialState', snap, 'a snapshot from toJSON()', 'type');
    return;
  }
  check.knownKeys(snap, FIELDS, 'initialState.');
  const s = snap as { readonly [K in keyof BreakerSnapshot]?: unknown };
  if (s.version !== 1) check.fail('initialState.version', s.version, '1', 'type');
  if (typeof s.name !== 'string') check.fail('initialState.name', s.name, 'a string', 'type');
  const states = `one of ${STATE_NAMES.join(', ')}`;
  if (typeof s.state !== 'string') check.fail('initialState.state', s.state, states, 'type');
  else if (!(STATE_NAMES as readonly string[]).includes(s.state))
    check.fail('initialState.state', s.state, states);
  check.number('initialState.generation', s.generation, { integer: true, min: 0, max: MAX_GENERATION });
  check.number('initialState.reopens', s.reopens, { integer: true, min: 0, max: Number.MAX_SAFE_INTEGER });
  if (s.openRemainingMs === undefined) return;
  if (s.state === 'open') {
    check.number('initialState.openRemainingMs', s.openRemainingMs, { min: 0, max: maxOpenMs });
  } else {
    check.fail('initialState.openRemainingMs', s.openRemainingMs, "unset unless state is 'open'");
  }
}

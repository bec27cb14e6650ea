/**
 * The admission hook: a second gate a call passes after the local state machine admitted it.
 * A plain breaker uses {@link LOCAL_ONLY}, which always admits; a fleet is one implementation
 * (`FleetAdmission`), and anything else that may refuse or delay a call — a pool, a rate limit,
 * an adaptive concurrency limit — plugs in the same way, without touching the call path.
 *
 * The hook hands each admitted call a `Ticket` of its own type, carried to `settle` with the
 * call's outcome. Its answers never share a space with tickets or generations: a refusal is
 * {@link REFUSE}, a deferred answer {@link WAIT}, "ask me with the time" {@link ASK}. (A ticket is
 * never `undefined`: that is how a wait says "refused".)
 */
import type { RejectingState, RejectionSource } from '../core/errors.js';
import type { StateName } from '../core/states.js';
import type { BreakerReport } from './report.js';
import type { TransitionReason } from './state-machine.js';

/** {@link Admission.admit}: the call is refused; {@link Admission.refusal} says why. */
export const REFUSE: unique symbol = Symbol('breakwater.admission.refuse');
/** {@link Admission.admit}: the answer comes later, from {@link Admission.wait}. */
export const WAIT: unique symbol = Symbol('breakwater.admission.wait');
/** {@link Admission.standing}: no standing ticket; {@link Admission.admit} decides with the time. */
export const ASK: unique symbol = Symbol('breakwater.admission.ask');

/** How a call that held a ticket ended: counted as a success or failure, or not counted. */
export type Settlement = 'success' | 'failure' | 'release';

/** What a refused caller is told (`CircuitOpenError`'s state, retry-after and source). */
export interface Refusal {
  readonly state: RejectingState;
  readonly retryAfterMs: number;
  readonly source: RejectionSource;
}

/** What a ticket may be: any value but `undefined`. */
export type TicketValue = object | string | number | boolean | null;

/** A gate after the local breaker; see the module comment. */
export interface Admission<Ticket extends TicketValue> {
  /**
   * The ticket of a call admitted while the local state is `local`, when the hook can answer
   * without the time (a closed fleet: its generation); otherwise {@link ASK}. Lets the closed
   * path skip the clock.
   */
  standing(local: StateName): Ticket | typeof ASK;
  /** Decides on a call the local breaker admitted at `now` (asked only after {@link ASK}). */
  admit(now: number): Ticket | typeof REFUSE | typeof WAIT;
  /** Why the last call was refused (after {@link REFUSE}, or a wait that ended in one). */
  refusal(now: number): Refusal;
  /** The deferred answer after {@link WAIT}: a ticket, or `undefined` when refused. Never rejects. */
  wait(now: number): Promise<Ticket | undefined>;
  /**
   * True when a success with `ticket` must reach {@link Admission.settle} even when the local
   * breaker counts it without the clock (a probe's permit must be returned).
   */
  settlesEverySuccess(ticket: Ticket): boolean;
  /** The outcome of a call admitted with `ticket`; `slow` as the breaker judged it. */
  settle(ticket: Ticket, outcome: Settlement, slow: boolean): void;

  /**
   * The state the breaker shows (its effective state: `breaker.state`, stats, snapshots,
   * telemetry) when the local state at `now` is `local`.
   */
  view(now: number, local: StateName): StateName;
  /** When the shown state began, given when the local one did. */
  viewSince(localSince: number): number;
  /** Ms until the shown state admits probes, given the local state and its answer. */
  retryAfterMs(now: number, local: StateName, localRetryAfterMs: number): number;
  /** A local transition happened: report the change of the shown state it makes, if any. */
  transitioned(
    from: StateName,
    to: StateName,
    reason: TransitionReason,
    generation: number,
    report: BreakerReport,
  ): void;
}

/** The ticket of a breaker without a hook: there is nothing to carry. */
export type NoTicket = null;

/** The default hook: admits every call, shows the local state, settles nothing. */
export const LOCAL_ONLY: Admission<NoTicket> = Object.freeze({
  standing: () => null,
  admit: () => null,
  refusal(): never {
    throw new Error('the local-only admission never refuses; this is a bug');
  },
  wait: () => Promise.resolve(null),
  settlesEverySuccess: () => false,
  settle: () => undefined,
  view: (_now: number, local: StateName) => local,
  viewSince: (localSince: number) => localSince,
  retryAfterMs: (_now: number, _local: StateName, localRetryAfterMs: number) => localRetryAfterMs,
  transitioned(
    from: StateName,
    to: StateName,
    reason: TransitionReason,
    generation: number,
    report: BreakerReport,
  ): void {
    report.transition(from, to, reason, generation);
  },
});

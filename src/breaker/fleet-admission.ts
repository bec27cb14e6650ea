import type { Clock } from '../core/clock.js';
import type { RejectingState } from '../core/errors.js';
import type { Random } from '../core/random.js';
import { isOperatorState, type StateName } from '../core/states.js';
import { ASK, type Admission, REFUSE, type Refusal, type Settlement, WAIT } from './admission.js';
import {
  FLEET_CHECK,
  FLEET_PROBE,
  FLEET_REJECT,
  type Fleet,
  type FleetEvent,
  type FleetLease,
  type FleetMember,
  type FleetSettings,
} from './fleet.js';
import type { BreakerReport } from './report.js';
import type { BreakerMachine, TransitionReason } from './state-machine.js';

/**
 * What a fleet call carries to its outcome: the fleet ticket (a fleet generation) of an ordinary
 * call, the {@link FleetLease} of a fleet probe, or `null` for a call the fleet had no say in (the
 * local breaker was in an operator state).
 */
export type FleetTicket = number | FleetLease | null;

/** What a breaker hands its fleet admission. */
export interface FleetAdmissionHost {
  readonly name: string;
  readonly settings: FleetSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly machine: BreakerMachine;
  readonly report: BreakerReport;
}

/**
 * A breaker's membership in a fleet, as its admission hook. The local breaker decides first (an
 * open local breaker rejects whatever the fleet says); a call it admits is then checked against
 * the member's last fleet view, synchronously. Only when the fleet admits probes does a call wait,
 * for a lease, with the member's deadline.
 *
 * It also owns the effective state (README, "The effective state"): the local state, unless the
 * local breaker would admit (closed or half-open) and the fleet refuses (open, isolated) or admits
 * probes only (half-open). Operator states and a local open circuit win.
 */
export class FleetAdmission implements Admission<FleetTicket> {
  readonly member: FleetMember;
  readonly #machine: BreakerMachine;
  readonly #report: BreakerReport;
  readonly #clock: Clock;
  /** The effective state last reported, and since when. */
  #shown: StateName;
  #shownAt: number;
  #attached = false;

  constructor(host: FleetAdmissionHost, fleet: Fleet) {
    const { machine, clock } = host;
    this.#machine = machine;
    this.#report = host.report;
    this.#clock = clock;
    this.#shown = machine.current;
    this.#shownAt = machine.enteredAt;
    this.member = fleet.attach({
      name: host.name,
      options: host.settings,
      clock,
      random: host.random,
      openLocally: (ms) => {
        machine.openFor(clock.now(), ms);
      },
      report: (event) => {
        this.#fleetEvent(event);
      },
    });
    // Local transitions during `attach` were reported as they were (the fleet had no say yet).
    this.#shown = machine.current;
    this.#shownAt = machine.enteredAt;
    this.#attached = true;
  }

  // ---- the call path ----

  standing(local: StateName): FleetTicket | typeof ASK {
    if (isOperatorState(local)) return null; // the operator's word for this process
    const ticket = this.member.ticket;
    return ticket === FLEET_CHECK ? ASK : ticket;
  }

  admit(now: number): FleetTicket | typeof REFUSE | typeof WAIT {
    const verdict = this.member.admit(now);
    if (verdict === FLEET_REJECT) return REFUSE;
    if (verdict !== FLEET_PROBE) return verdict;
    this.#show(this.#combine(this.#machine.current, now), 'fleet');
    return WAIT;
  }

  refusal(now: number): Refusal {
    const fleet = this.member.state;
    const state: RejectingState =
      fleet === 'half-open' ? 'half-open' : fleet === 'isolated' ? 'isolated' : 'open';
    this.#show(this.#combine(this.#machine.current, now), 'fleet');
    return { state, retryAfterMs: this.member.retryAfterMs(now), source: 'fleet' };
  }

  wait(now: number): Promise<FleetLease | undefined> {
    return this.member.acquire(now);
  }

  settlesEverySuccess(ticket: FleetTicket): boolean {
    return typeof ticket === 'object' && ticket !== null; // a probe's lease
  }

  settle(ticket: FleetTicket, outcome: Settlement, slow: boolean): void {
    if (ticket === null) return;
    if (typeof ticket === 'number') {
      if (outcome !== 'release') this.member.record(ticket, outcome === 'failure', slow);
    } else {
      this.member.settle(ticket, outcome);
    }
  }

  // ---- the effective state ----

  view(now: number, local: StateName): StateName {
    const state = this.#combine(local, now);
    this.#show(state, 'fleet');
    return state;
  }

  viewSince(localSince: number): number {
    // Shown as the local state: since the later of the local transition and the fleet's last
    // change (a fleet that closed again leaves a locally closed breaker closed since then).
    return this.#shown === this.#machine.current ? Math.max(localSince, this.#shownAt) : this.#shownAt;
  }

  retryAfterMs(now: number, local: StateName, localRetryAfterMs: number): number {
    return this.#fleetSays(now) !== undefined && this.#combine(local, now) !== local
      ? this.member.retryAfterMs(now)
      : localRetryAfterMs;
  }

  transitioned(
    from: StateName,
    to: StateName,
    reason: TransitionReason,
    generation: number,
    report: BreakerReport,
  ): void {
    // (While `attach` runs, the runner still has the local-only hook: the fleet has no say yet.)
    const state = this.#combine(to, this.#clock.now());
    const shown = this.#shown;
    if (shown === state) return;
    this.#shown = state;
    this.#shownAt = this.#machine.enteredAt;
    report.transition(shown, state, reason, generation);
  }

  /** What the fleet imposes on an admitting local breaker now, if anything. */
  #fleetSays(now: number): 'open' | 'half-open' | 'isolated' | undefined {
    const member = this.member;
    if (!member.healthy) return undefined;
    const verdict = member.admit(now);
    if (verdict === FLEET_REJECT) return member.state === 'isolated' ? 'isolated' : 'open';
    return verdict === FLEET_PROBE ? 'half-open' : undefined;
  }

  #combine(local: StateName, now: number): StateName {
    if (local !== 'closed' && local !== 'half-open') return local;
    const fleet = this.#fleetSays(now);
    if (fleet === undefined || (fleet === 'half-open' && local === 'half-open')) return local;
    return fleet;
  }

  /** Reports a change of the effective state that the fleet made. */
  #show(state: StateName, reason: TransitionReason): void {
    const from = this.#shown;
    if (from === state) return;
    this.#shown = state;
    this.#shownAt = this.#clock.now();
    this.#report.transition(from, state, reason, this.#machine.generation);
  }

  #fleetEvent(event: FleetEvent): void {
    this.#report.fleet(event);
    if (this.#attached) {
      const now = this.#clock.now();
      this.view(now, this.#machine.state(now));
    }
  }
}

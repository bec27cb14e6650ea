import type { RejectingState } from '../core/errors.js';
import type { Protected } from '../core/policy.js';
import {
  FLEET_CHECK,
  FLEET_PROBE,
  FLEET_REJECT,
  type FleetEvent,
  type FleetLease,
  type FleetMember,
} from './fleet.js';
import type { ResolvedOptions } from './options.js';
import { Runner } from './runner.js';
import { REJECTED, type StateName, type TransitionReason } from './state-machine.js';

const NO_ARGS: readonly unknown[] = Object.freeze([]);

/**
 * The runner of a breaker with a `fleet` option. A breaker without one uses the plain
 * {@link Runner}, whose hot path knows nothing of fleets.
 *
 * Admission: the local breaker decides first (an open local breaker rejects whatever the fleet
 * says); a call it admits is then checked against the member's last fleet view, synchronously.
 * Only when the fleet admits probes does a call wait, for a lease, with the member's deadline.
 * Each call carries a tag to its outcome: the fleet ticket (a number) of an ordinary call, or the
 * {@link FleetLease} of a fleet probe.
 */
export class FleetRunner extends Runner {
  readonly member: FleetMember;
  /** The effective state last reported (see `effectiveState`), and since when. */
  #shown: StateName;
  #shownAt: number;
  #attached = false;

  constructor(options: ResolvedOptions, name: string) {
    super(options, name);
    this.#shown = this.machine.current;
    this.#shownAt = this.machine.enteredAt;
    const fleet = options.fleet;
    if (fleet === undefined) throw new Error('FleetRunner needs a fleet option; this is a bug');
    this.member = fleet.attach({
      name,
      options,
      clock: options.clock,
      random: options.random,
      openLocally: (ms) => {
        this.machine.openFor(options.clock.now(), ms);
      },
      report: (event) => {
        this.#report(event);
      },
    });
    this.#attached = true;
  }

  /**
   * The effective state: the local breaker's, unless the local breaker would admit (closed or
   * half-open) and the fleet refuses (open, isolated) or admits probes only (half-open). Manual
   * local states and a local open circuit win: they decide before the fleet is asked.
   */
  override effectiveState(now: number): StateName {
    const state = this.#combine(this.machine.state(now), now);
    this.#show(state, 'fleet');
    return state;
  }

  override get effectiveSince(): number {
    return this.#shown === this.machine.current ? this.machine.enteredAt : this.#shownAt;
  }

  override retryAfterMs(now: number): number {
    const local = this.machine.state(now);
    return this.#fleetSays(now) !== undefined && this.#combine(local, now) !== local
      ? this.member.retryAfterMs(now)
      : this.machine.retryAfterMs(now);
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

  /** Reports a change of the effective state as a transition (a local one keeps its reason). */
  #show(state: StateName, reason: TransitionReason): void {
    const from = this.#shown;
    if (from === state) return;
    this.#shown = state;
    this.#shownAt = this.o.clock.now();
    super.transitioned(from, state, reason, this.machine.generation);
  }

  /** A local transition, reported as the change of the effective state it makes (if any). */
  override transitioned(from: StateName, to: StateName, reason: TransitionReason, generation: number): void {
    // Before the member is attached (the attachment may report at once) the fleet has no say.
    if (!this.#attached) {
      this.#shown = to;
      this.#shownAt = this.machine.enteredAt;
      super.transitioned(from, to, reason, generation);
      return;
    }
    const state = this.#combine(to, this.o.clock.now());
    const shown = this.#shown;
    if (shown === state) return;
    this.#shown = state;
    this.#shownAt = this.machine.enteredAt;
    super.transitioned(shown, state, reason, generation);
  }

  #report(event: FleetEvent): void {
    if (this.listens('fleet')) this.events.emit('fleet', event);
    const t = this.o.telemetry;
    if (t?.active === true) {
      t.emit({
        type: 'fleet',
        policy: this.name,
        kind: 'breaker',
        event: event.kind,
        state: event.state,
        generation: event.generation,
        healthy: event.healthy,
      });
    }
    if (this.#attached) this.effectiveState(this.o.clock.now());
  }

  override run<T>(fn: Protected<T>, args: readonly unknown[] = NO_ARGS, signal?: AbortSignal): Promise<T> {
    const m = this.machine;
    const local = m.current;
    // Manual states are the operator's word for this process: the fleet has no say.
    if (local === 'disabled' || local === 'isolated' || local === 'metrics-only')
      return super.run(fn, args, signal);
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    let ticket = this.member.ticket;
    // The untimed closed lane, as in Runner.run: no clock when neither side needs a time.
    if (ticket !== FLEET_CHECK && m.untimedClosed && signal === undefined && !this.timed && !this.observed)
      return this.launch(fn, args, undefined, m.generation, NaN, ticket);
    const now = this.o.clock.now();
    const generation = m.admit(now);
    if (generation === REJECTED) return super.run(fn, args, signal); // the local rejection, as usual
    if (ticket === FLEET_CHECK) ticket = this.member.admit(now);
    if (ticket !== FLEET_REJECT && ticket !== FLEET_PROBE)
      return this.launch(fn, args, signal, generation, now, ticket);
    m.release(generation, now, now);
    if (ticket === FLEET_REJECT) return this.#fleetRejected(now, args);
    this.#show(this.#combine(m.current, now), 'fleet');
    return this.member.acquire(now).then((lease) => this.#probe(fn, args, signal, lease));
  }

  #fleetRejected<T>(now: number, args: readonly unknown[]): Promise<T> {
    const fleet = this.member.state;
    const state: RejectingState =
      fleet === 'half-open' ? 'half-open' : fleet === 'isolated' ? 'isolated' : 'open';
    this.#show(this.#combine(this.machine.current, now), 'fleet');
    return this.rejectWith(state, this.member.retryAfterMs(now), args, 'fleet');
  }

  #probe<T>(
    fn: Protected<T>,
    args: readonly unknown[],
    signal: AbortSignal | undefined,
    lease: FleetLease | undefined,
  ): Promise<T> {
    const now = this.o.clock.now();
    if (lease === undefined) return this.#fleetRejected(now, args);
    if (signal?.aborted === true) {
      this.member.settle(lease, 'release');
      return Promise.reject(signal.reason as unknown);
    }
    const generation = this.machine.admit(now);
    if (generation === REJECTED) {
      this.member.settle(lease, 'release');
      return this.rejectWith(this.machine.current as RejectingState, this.machine.retryAfterMs(now), args);
    }
    return this.launch(fn, args, signal, generation, now, lease);
  }

  override count(generation: number, start: number, now: number, failure: boolean, tag: unknown): void {
    super.count(generation, start, now, failure, tag);
    if (typeof tag === 'number') this.member.record(tag, failure, now - start >= this.o.slowCallDuration);
    else if (tag !== undefined) this.member.settle(tag as FleetLease, failure ? 'failure' : 'success');
  }

  override uncount(generation: number, start: number, now: number, tag: unknown): void {
    super.uncount(generation, start, now, tag);
    if (typeof tag === 'object' && tag !== null) this.member.settle(tag as FleetLease, 'release');
  }
}

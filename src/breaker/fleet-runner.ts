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
import { REJECTED } from './state-machine.js';

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

  constructor(options: ResolvedOptions, name: string) {
    super(options, name);
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
    return this.member.acquire(now).then((lease) => this.#probe(fn, args, signal, lease));
  }

  #fleetRejected<T>(now: number, args: readonly unknown[]): Promise<T> {
    const state: RejectingState = this.member.state === 'half-open' ? 'half-open' : 'open';
    return this.rejectWith(state, this.member.retryAfterMs(now), args);
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

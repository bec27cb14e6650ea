// The call path of a breaker with a fleet (README "Fleet"): the local breaker admits first, then
// the fleet's view answers with a ticket, a refusal, or a probe lease to wait for; every outcome
// goes back to the member with the ticket or lease it was admitted with.
import { describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/index.js';
import {
  FLEET_CHECK,
  FLEET_PROBE,
  FLEET_REJECT,
  type FleetLease,
  type FleetMember,
  type FleetState,
} from '../../src/breaker/fleet.js';
import { caught, deferred, type Deferred, makeBreaker } from './helpers.js';

/** A fleet member whose answers a test sets, recording what the breaker hands it. */
class ScriptedMember implements FleetMember {
  readonly healthy = true;
  state: FleetState = 'closed';
  generation = 4;
  /** What `admit` answers: a ticket, FLEET_REJECT or FLEET_PROBE. */
  verdict = 4;
  /** The standing ticket, or FLEET_CHECK to make the breaker ask `admit` with the time. */
  ticket = 4;
  retryAfter = 0;
  readonly admitted: number[] = [];
  readonly records: [ticket: number, failure: boolean, slow: boolean][] = [];
  readonly settles: [lease: FleetLease, outcome: string][] = [];
  readonly leases: Deferred<FleetLease | undefined>[] = [];

  admit(now: number): number {
    this.admitted.push(now);
    return this.verdict;
  }
  retryAfterMs(): number {
    return this.retryAfter;
  }
  acquire(): Promise<FleetLease | undefined> {
    const lease = deferred<FleetLease | undefined>();
    this.leases.push(lease);
    return lease.promise;
  }
  record(ticket: number, failure: boolean, slow: boolean): void {
    this.records.push([ticket, failure, slow]);
  }
  settle(lease: FleetLease, outcome: 'success' | 'failure' | 'release'): void {
    this.settles.push([lease, outcome]);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

function fleetBreaker(options: Parameters<typeof makeBreaker>[0] = {}) {
  const member = new ScriptedMember();
  const made = makeBreaker({ failureThreshold: 100, ...options, fleet: { attach: () => member } });
  return { ...made, member };
}

const LEASE: FleetLease = { id: 'lease-1', generation: 4 };

describe('fleet — a call the fleet admits with a ticket', () => {
  it('execute — a ticket answered with the time runs the call; its failure is recorded under that ticket, no lease asked', async () => {
    const { breaker, member } = fleetBreaker({ timeout: false });
    member.ticket = FLEET_CHECK;
    member.verdict = 9;
    await caught(breaker.execute(() => Promise.reject(new Error('down'))));
    expect(member.leases).toHaveLength(0);
    expect(member.records).toEqual([[9, true, false]]);
    expect(breaker.stats.totals).toMatchObject({ calls: 1, failures: 1, rejected: 0 });
  });

  it('execute — an error isFailure declines is not recorded with the fleet', async () => {
    const { breaker, member } = fleetBreaker({ timeout: false, isFailure: () => false });
    await caught(breaker.execute(() => Promise.reject(new Error('not found'))));
    member.ticket = FLEET_CHECK;
    await caught(breaker.execute(() => Promise.reject(new Error('not found'))));
    expect(member.records).toEqual([]);
    expect(breaker.stats.totals).toMatchObject({ ignored: 2, failures: 0 });
  });

  it('execute — untimed calls are recorded under the ticket standing when each started', async () => {
    const { breaker, member } = fleetBreaker({ timeout: false });
    await caught(breaker.execute(() => Promise.reject(new Error('a'))));
    member.ticket = 5; // the fleet moved on; the local generation did not
    await caught(breaker.execute(() => Promise.reject(new Error('b'))));
    expect(member.records).toEqual([
      [4, true, false],
      [5, true, false],
    ]);
  });

  it('execute — observed calls running alone are recorded under the ticket standing when each started', async () => {
    const { breaker, member } = fleetBreaker({ timeout: false });
    breaker.on('failure', () => undefined); // calls are timed now
    await caught(breaker.execute(() => Promise.reject(new Error('a'))));
    member.ticket = 5;
    await caught(breaker.execute(() => Promise.reject(new Error('b'))));
    expect(member.records).toEqual([
      [4, true, false],
      [5, true, false],
    ]);
  });

  it('execute — a call that times out exactly at slowCallDuration is recorded as slow', async () => {
    const { breaker, clock, member } = fleetBreaker({ timeout: 1_000, slowCallDuration: 1_000 });
    const call = caught(breaker.execute(() => new Promise<never>(() => undefined)));
    clock.advance(1_000);
    expect((await call) as Error).toMatchObject({ name: 'CallTimeoutError' });
    expect(member.records).toEqual([[4, true, true]]);
  });
});

describe('fleet — a call the fleet refuses', () => {
  it('execute — the fleet open: CircuitOpenError from the fleet, the function not called, no lease asked', async () => {
    const { breaker, member } = fleetBreaker({ name: 'payments' });
    member.ticket = FLEET_CHECK;
    member.verdict = FLEET_REJECT;
    member.state = 'open';
    member.retryAfter = 2_500;
    let ran = false;
    const error = await caught(
      breaker.execute(() => {
        ran = true;
        return 1;
      }),
    );
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ breaker: 'payments', state: 'open', retryAfterMs: 2_500, source: 'fleet' });
    expect(ran).toBe(false);
    expect(member.leases).toHaveLength(0);
    expect(breaker.stats.totals).toMatchObject({ calls: 0, rejected: 1 });
  });
});

describe('fleet — a call that waits for a probe lease', () => {
  function probing(options: Parameters<typeof makeBreaker>[0] = {}) {
    const made = fleetBreaker({ timeout: false, ...options });
    made.member.ticket = FLEET_CHECK;
    made.member.verdict = FLEET_PROBE;
    made.member.state = 'half-open';
    return made;
  }

  it('execute — with the lease granted the call runs, and its success settles the lease', async () => {
    const { breaker, member } = probing();
    let ran = false;
    const call = breaker.execute(() => {
      ran = true;
      return 'probed';
    });
    await Promise.resolve();
    expect(member.leases).toHaveLength(1);
    expect(ran).toBe(false);
    member.leases[0]!.resolve(LEASE);
    await expect(call).resolves.toBe('probed');
    expect(member.settles).toEqual([[LEASE, 'success']]);
    expect(breaker.stats.totals).toMatchObject({ calls: 1, successes: 1, rejected: 0 });
  });

  it('execute — with the lease denied the call is refused as half-open by the fleet, not run', async () => {
    const { breaker, member } = probing();
    let ran = false;
    const call = caught(
      breaker.execute(() => {
        ran = true;
        return 1;
      }),
    );
    await Promise.resolve();
    member.leases[0]!.resolve(undefined);
    const error = await call;
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ state: 'half-open', retryAfterMs: 0, source: 'fleet' });
    expect(ran).toBe(false);
    expect(member.settles).toEqual([]);
    expect(breaker.stats.totals).toMatchObject({ calls: 0, rejected: 1 });
  });

  it('execute — a caller that aborts while waiting gets its reason, and the lease is released unused', async () => {
    const { breaker, member } = probing();
    const controller = new AbortController();
    let ran = false;
    const call = caught(
      breaker.execute(
        () => {
          ran = true;
          return 1;
        },
        { signal: controller.signal },
      ),
    );
    await Promise.resolve();
    const reason = new Error('caller left');
    controller.abort(reason);
    member.leases[0]!.resolve(LEASE);
    expect(await call).toBe(reason);
    expect(ran).toBe(false);
    expect(member.settles).toEqual([[LEASE, 'release']]);
    expect(breaker.stats.totals).toMatchObject({ calls: 0, rejected: 0 });
  });

  it('execute — a lease granted after the local breaker was isolated is released, and the local breaker refuses', async () => {
    const { breaker, member } = probing();
    let ran = false;
    const call = caught(
      breaker.execute(() => {
        ran = true;
        return 1;
      }),
    );
    await Promise.resolve();
    breaker.isolate();
    member.leases[0]!.resolve(LEASE);
    const error = await call;
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ state: 'isolated', retryAfterMs: Infinity, source: 'local' });
    expect(ran).toBe(false);
    expect(member.settles).toEqual([[LEASE, 'release']]);
  });
});

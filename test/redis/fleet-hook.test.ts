// The breaker's fleet hook, driven by a scripted member (no store): admission order, tickets,
// leases, manual states, degraded seeding and fleet events.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, Telemetry, type TelemetryEvent } from '../../src/index.js';
import {
  FLEET_CHECK,
  FLEET_PROBE,
  FLEET_REJECT,
  type Fleet,
  type FleetEvent,
  type FleetHost,
  type FleetLease,
  type FleetMember,
  type FleetState,
} from '../../src/breaker/fleet.js';
import { FakeClock } from '../../src/testing/index.js';

class ScriptedMember implements FleetMember {
  healthy = true;
  state: FleetState = 'closed';
  generation = 4;
  verdict = 4;
  grant: FleetLease | undefined = { id: 'lease-1', generation: 4 };
  readonly records: [number, boolean, boolean][] = [];
  readonly settled: [string, string][] = [];
  acquires = 0;
  closed = 0;
  constructor(readonly host: FleetHost) {}
  admit(): number {
    return this.verdict;
  }
  get ticket(): number {
    return this.verdict >= -1 ? this.verdict : FLEET_CHECK;
  }
  retryAfterMs(): number {
    return 1234;
  }
  acquire(): Promise<FleetLease | undefined> {
    this.acquires++;
    return Promise.resolve(this.grant);
  }
  record(ticket: number, failure: boolean, slow: boolean): void {
    this.records.push([ticket, failure, slow]);
  }
  settle(lease: FleetLease, outcome: 'success' | 'failure' | 'release'): void {
    this.settled.push([lease.id, outcome]);
  }
  close(): Promise<void> {
    this.closed++;
    return Promise.resolve();
  }
}

function setup(options: ConstructorParameters<typeof CircuitBreaker>[0] = {}) {
  const clock = new FakeClock();
  let member!: ScriptedMember;
  const fleet: Fleet = {
    attach(host) {
      member = new ScriptedMember(host);
      return member;
    },
  };
  const breaker = new CircuitBreaker({ name: 'dep', clock, timeout: false, fleet, ...options });
  return { breaker, member, clock };
}

describe('fleet hook', () => {
  it('admit — a closed fleet runs the call and counts its outcome with the ticket', async () => {
    const { breaker, member, clock } = setup({ slowCallDuration: 50 });
    await breaker.execute(async () => 'ok');
    await breaker
      .execute(async () => {
        clock.advance(60);
        throw new Error('down');
      })
      .catch(() => undefined);
    expect(member.records).toEqual([
      [4, false, false],
      [4, true, true],
    ]);
    expect(breaker.fleet).toBe(member);
  });

  it('admit — a closed fleet keeps the untimed closed lane: as few clock reads as a plain breaker', async () => {
    const counting = (clock: FakeClock) => {
      const counter = { reads: 0 };
      const now = clock.now.bind(clock);
      clock.now = () => {
        counter.reads++;
        return now();
      };
      return counter;
    };
    const { breaker, member, clock } = setup();
    const plainClock = new FakeClock();
    const plain = new CircuitBreaker({ name: 'plain', clock: plainClock, timeout: false });
    const withFleet = counting(clock);
    const without = counting(plainClock);
    for (let i = 0; i < 20; i++) {
      await breaker.execute(async () => 'ok');
      await plain.execute(async () => 'ok');
    }
    expect(withFleet.reads).toBe(without.reads);
    expect(withFleet.reads).toBeLessThan(3);
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(member.records.at(-1)).toEqual([4, true, false]);
  });

  it('admit — an open fleet rejects without running the call; the local breaker stays closed', async () => {
    const { breaker, member } = setup();
    member.verdict = FLEET_REJECT;
    member.state = 'open';
    let ran = 0;
    const error = await breaker.execute(async () => ran++).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect((error as CircuitOpenError).state).toBe('open');
    expect((error as CircuitOpenError).source).toBe('fleet');
    expect((error as CircuitOpenError).retryAfterMs).toBe(1234);
    expect(ran).toBe(0);
    expect(breaker.localState).toBe('closed');
    expect(breaker.stats.totals.rejected).toBe(1);
  });

  it('state — the effective state: an open fleet makes a locally closed breaker open everywhere it is read', async () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe((e) => seen.push(e));
    const { breaker, member, clock } = setup({ telemetry });
    const changes: string[] = [];
    breaker.on('stateChange', (e) => changes.push(`${e.from}>${e.to}:${e.reason}`));
    expect(breaker.state).toBe('closed');
    member.verdict = FLEET_REJECT;
    member.state = 'open';
    member.host.report({ kind: 'transition', state: 'open', generation: 5, healthy: true });
    clock.advance(100);
    expect(breaker.state).toBe('open');
    expect(breaker.localState).toBe('closed');
    expect(breaker.stats).toMatchObject({
      state: 'open',
      localState: 'closed',
      retryAfterMs: 1234,
      timeInStateMs: 100,
    });
    expect(breaker.toJSON()).toMatchObject({ state: 'open', openRemainingMs: 1234 });
    // In the order of a plain breaker's snapshot, so the saved text reads the same.
    const plain = new CircuitBreaker({ failureThreshold: 1, timeout: false });
    await plain.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(Object.keys(breaker.toJSON())).toEqual(Object.keys(plain.toJSON()));
    expect(changes).toEqual(['closed>open:fleet']);
    expect(seen.filter((e) => e.type === 'transition')).toMatchObject([
      { type: 'transition', policy: 'dep', from: 'closed', to: 'open', reason: 'fleet' },
    ]);
    // The fleet admits probes: half-open; then it closes: closed again, each once.
    member.verdict = FLEET_PROBE;
    member.state = 'half-open';
    expect(breaker.state).toBe('half-open');
    expect(Object.keys(breaker.toJSON())).toEqual(['version', 'name', 'state', 'generation', 'reopens']);
    member.verdict = 4;
    member.state = 'closed';
    member.host.report({ kind: 'transition', state: 'closed', generation: 6, healthy: true });
    expect(breaker.state).toBe('closed');
    expect(breaker.toJSON()).toMatchObject({ state: 'closed' });
    expect(changes).toEqual(['closed>open:fleet', 'open>half-open:fleet', 'half-open>closed:fleet']);
  });

  it('state — a rejection by the fleet is reported as a transition even when nobody read the state', async () => {
    const { breaker, member } = setup();
    const changes: string[] = [];
    breaker.on('stateChange', (e) => changes.push(`${e.from}>${e.to}:${e.reason}`));
    member.verdict = FLEET_REJECT;
    member.state = 'isolated';
    const error = (await breaker.execute(async () => 'ok').catch((e: unknown) => e)) as CircuitOpenError;
    expect(error).toMatchObject({ state: 'isolated', source: 'fleet' });
    expect(changes).toEqual(['closed>isolated:fleet']);
  });

  it('state — a degraded member leaves the local state in charge', () => {
    const { breaker, member } = setup();
    member.verdict = FLEET_REJECT;
    member.state = 'open';
    member.healthy = false;
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.retryAfterMs).toBe(0);
  });

  it('state — a local transition under an open fleet is not reported as a change it is not', async () => {
    const { breaker, member } = setup({ failureThreshold: 1, recoveryTimeout: 10 });
    const changes: string[] = [];
    breaker.on('stateChange', (e) => changes.push(`${e.from}>${e.to}:${e.reason}`));
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(changes).toEqual(['closed>open:failure-threshold']);
    member.verdict = FLEET_REJECT;
    member.state = 'open';
    breaker.reset(); // locally closed again, but the fleet is open: still open
    expect(breaker.state).toBe('open');
    expect(changes).toEqual(['closed>open:failure-threshold']);
    const local = (await breaker.execute(async () => 'ok').catch((e: unknown) => e)) as CircuitOpenError;
    expect(local.source).toBe('fleet');
  });

  it('rejection — a locally open breaker says the rejection is its own', async () => {
    const { breaker } = setup({ failureThreshold: 1 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const error = (await breaker.execute(async () => 'ok').catch((e: unknown) => e)) as CircuitOpenError;
    expect(error).toMatchObject({ state: 'open', source: 'local' });
  });

  it('acquire — a granted lease runs the call as a fleet probe and reports its result', async () => {
    const { breaker, member } = setup({ isFailure: (e) => (e as Error).message !== 'ignore' });
    member.verdict = FLEET_PROBE;
    member.state = 'half-open';
    await breaker.execute(async () => 'ok');
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await breaker.execute(() => Promise.reject(new Error('ignore'))).catch(() => undefined);
    expect(member.settled).toEqual([
      ['lease-1', 'success'],
      ['lease-1', 'failure'],
      ['lease-1', 'release'],
    ]);
    expect(member.records).toEqual([]);
  });

  it('acquire — a denied lease rejects with the fleet state half-open', async () => {
    const { breaker, member } = setup();
    member.verdict = FLEET_PROBE;
    member.state = 'half-open';
    member.grant = undefined;
    const error = (await breaker.execute(async () => 'ok').catch((e: unknown) => e)) as CircuitOpenError;
    expect(error.state).toBe('half-open');
    expect(member.acquires).toBe(1);
  });

  it('admit — a locally open breaker rejects without asking the fleet', async () => {
    const { breaker, member } = setup({ failureThreshold: 1 });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    member.verdict = FLEET_PROBE;
    const error = (await breaker.execute(async () => 'ok').catch((e: unknown) => e)) as CircuitOpenError;
    expect(error.state).toBe('open');
    expect(member.acquires).toBe(0);
  });

  it('admit — manual states ignore the fleet', async () => {
    const { breaker, member } = setup();
    member.verdict = FLEET_REJECT;
    breaker.disable();
    await expect(breaker.execute(async () => 'through')).resolves.toBe('through');
    breaker.metricsOnly();
    await expect(breaker.execute(async () => 'counted')).resolves.toBe('counted');
  });

  it('openLocally — seeds an open local breaker that probes after the given time', async () => {
    const { breaker, member, clock } = setup({ recoveryTimeout: 10 });
    const changes: string[] = [];
    breaker.on('stateChange', (e) => changes.push(`${e.to}:${e.reason}`));
    member.host.openLocally(500);
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(500);
    clock.advance(500);
    expect(breaker.state).toBe('half-open');
    expect(changes).toEqual(['open:fleet', 'half-open:recovery-timeout']);
  });

  it('report — fleet events reach listeners and the telemetry stream', () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe((e) => seen.push(e));
    const { breaker, member } = setup({ telemetry });
    const events: FleetEvent[] = [];
    breaker.on('fleet', (e) => events.push(e));
    member.host.report({ kind: 'degraded', state: 'open', generation: 7, healthy: false });
    expect(events).toEqual([{ kind: 'degraded', state: 'open', generation: 7, healthy: false }]);
    expect(seen.filter((e) => e.type === 'fleet')).toEqual([
      {
        type: 'fleet',
        policy: 'dep',
        kind: 'breaker',
        event: 'degraded',
        state: 'open',
        generation: 7,
        healthy: false,
      },
    ]);
  });

  it('constructor — a fleet option that is not a Fleet is reported by name', () => {
    expect(() => new CircuitBreaker({ fleet: {} as Fleet })).toThrow(/fleet must be a Fleet/);
    expect(new CircuitBreaker().fleet).toBeUndefined();
  });

  it('close — the handle closes the attachment', async () => {
    const { breaker, member } = setup();
    await breaker.fleet?.close();
    expect(member.closed).toBe(1);
  });
});

// The fleet admission hook (FleetAdmission) on its own terms, with a scripted member and no store:
// which calls reach the member and how, the effective state and its timing, and the refusals.
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
import { caught, deferred } from './helpers.js';

/** A member whose answers the test sets; it records what the breaker hands it. */
class ScriptedMember implements FleetMember {
  healthy = true;
  state: FleetState = 'closed';
  generation = 4;
  verdict = 4;
  grant: FleetLease | undefined = { id: 'lease-1', generation: 4 };
  retryAfter = 1234;
  /** True: the member's answer depends on the time (`ticket` is FLEET_CHECK) whatever `verdict` is. */
  timeDependent = false;
  readonly records: [number, boolean, boolean][] = [];
  readonly settled: [unknown, string][] = [];
  constructor(readonly host: FleetHost) {}
  admit(): number {
    return this.verdict;
  }
  get ticket(): number {
    return this.verdict >= -1 && !this.timeDependent ? this.verdict : FLEET_CHECK;
  }
  retryAfterMs(): number {
    return this.retryAfter;
  }
  acquire(): Promise<FleetLease | undefined> {
    return Promise.resolve(this.grant);
  }
  record(ticket: number, failure: boolean, slow: boolean): void {
    this.records.push([ticket, failure, slow]);
  }
  settle(lease: FleetLease, outcome: 'success' | 'failure' | 'release'): void {
    this.settled.push([lease, outcome]);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  /** The fleet changes state and tells the breaker, as a store subscription would. */
  become(state: FleetState, verdict: number): void {
    this.state = state;
    this.verdict = verdict;
    this.host.report({ kind: 'transition', state, generation: 5, healthy: this.healthy });
  }
}

function setup(
  options: ConstructorParameters<typeof CircuitBreaker>[0] = {},
  onAttach?: (member: ScriptedMember) => void,
) {
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock();
  let member!: ScriptedMember;
  const fleet: Fleet = {
    attach(host) {
      member = new ScriptedMember(host);
      onAttach?.(member);
      return member;
    },
  };
  const breaker = new CircuitBreaker({ name: 'dep', timeout: false, fleet, ...options, clock });
  const changes: string[] = [];
  breaker.on('stateChange', (e) => changes.push(`${e.from}>${e.to}:${e.reason}#${e.generation}`));
  return { breaker, member, clock, changes };
}

const down = (): Promise<never> => Promise.reject(new Error('down'));

describe('FleetAdmission — what reaches the member', () => {
  it('settle — a success that moves no rule stays local; failures reach the member with their ticket', async () => {
    const { breaker, member } = setup({ window: { type: 'count', size: 10 } });
    await breaker.execute(async () => 'ok');
    await caught(breaker.execute(down));
    await breaker.execute(async () => 'ok');
    expect(breaker.stats.window).toMatchObject({ calls: 3, failures: 1 });
    expect(member.records).toEqual([[4, true, false]]);
    expect(member.settled).toEqual([]);
  });

  it('settle — a late success of an older local generation stays local too', async () => {
    const { breaker, member } = setup({ failureThreshold: 1 });
    const late = deferred<string>();
    const call = breaker.execute(() => late.promise);
    await caught(breaker.execute(down)); // locally open
    late.resolve('late');
    await expect(call).resolves.toBe('late');
    expect(member.records).toEqual([[4, true, false]]);
    expect(breaker.stats.totals.successes).toBe(1);
  });

  it('settle — an ignored error releases its ticket: nothing is recorded', async () => {
    const { breaker, member } = setup({ isFailure: () => false, slowCallDuration: 10 });
    await caught(breaker.execute(down));
    await breaker.execute(async () => 'ok');
    expect(member.records).toEqual([[4, false, false]]);
  });

  it('settle — a probe lease is settled for every outcome, a success without a clock read included', async () => {
    const { breaker, member } = setup({ isFailure: (e) => (e as Error).message !== 'ignore' });
    member.become('half-open', FLEET_PROBE);
    await breaker.execute(async () => 'ok');
    await caught(breaker.execute(down));
    await caught(breaker.execute(() => Promise.reject(new Error('ignore'))));
    const lease = member.grant;
    expect(member.settled).toEqual([
      [lease, 'success'],
      [lease, 'failure'],
      [lease, 'release'],
    ]);
    expect(member.records).toEqual([]);
  });

  it('standing — an operator state runs calls without asking the fleet or telling it the outcome', async () => {
    const { breaker, member } = setup();
    breaker.metricsOnly();
    member.become('open', FLEET_REJECT);
    await expect(breaker.execute(async () => 'counted')).resolves.toBe('counted');
    await caught(breaker.execute(down));
    expect(breaker.stats.totals).toMatchObject({ successes: 1, failures: 1, rejected: 0 });
    expect(member.records).toEqual([]);
    expect(member.settled).toEqual([]);
    expect(breaker.state).toBe('metrics-only');
  });

  it('settle — a late success of a call run in metrics-only is only counted: a due probe deadline waits for the next look', async () => {
    // Without a timeout, the probes' deadline is recoveryTimeout. It falls due while nobody looks;
    // the late success, of an older generation and told to no fleet, finds no state (as a late
    // success of a breaker on its own), and the next read reports the re-open.
    const { breaker, member, clock, changes } = setup({
      failureThreshold: 1,
      recoveryTimeout: 100,
      halfOpenRequests: 1,
    });
    breaker.metricsOnly();
    const late = deferred<string>();
    const call = breaker.execute(() => late.promise);
    breaker.reset();
    await caught(breaker.execute(down));
    clock.advance(100);
    void breaker.execute(() => new Promise<never>(() => undefined)); // a probe that never settles
    clock.advance(100);
    changes.length = 0;
    late.resolve('late');
    await expect(call).resolves.toBe('late');
    expect(changes).toEqual([]);
    expect(breaker.stats.totals.successes).toBe(1);
    expect(changes).toEqual(['half-open>open:probe-deadline#5']);
    expect(member.records).toEqual([[4, true, false]]);
    expect(member.settled).toEqual([]);
  });

  it('standing — an unknown fleet (ticket -1) admits without the clock, and counts with ticket -1', async () => {
    const { breaker, member } = setup();
    member.state = 'unknown';
    member.verdict = -1;
    await caught(breaker.execute(down));
    expect(member.records).toEqual([[-1, true, false]]);
  });
});

describe('FleetAdmission — a call waiting for a lease', () => {
  it('admit — a breaker disabled while the call waited runs it, and the lease is settled with its outcome', async () => {
    const { breaker, member } = setup();
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    const lease = deferred<FleetLease | undefined>();
    member.acquire = () => lease.promise;
    let ran = 0;
    const call = breaker.execute(async () => ++ran);
    breaker.disable();
    lease.resolve(member.grant);
    await expect(call).resolves.toBe(1);
    expect(member.settled).toEqual([[member.grant, 'success']]);
  });

  it('admit — a breaker isolated while the call waited rejects it locally and releases the lease', async () => {
    const { breaker, member } = setup();
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    const lease = deferred<FleetLease | undefined>();
    member.acquire = () => lease.promise;
    let ran = 0;
    const call = breaker.execute(async () => ++ran);
    breaker.isolate();
    lease.resolve(member.grant);
    expect(await caught(call)).toMatchObject({ state: 'isolated', source: 'local' });
    expect(ran).toBe(0);
    expect(member.settled).toEqual([[member.grant, 'release']]);
  });
});

describe('FleetAdmission — tickets never share a space with verdicts', () => {
  for (const generation of [2, 3, 4]) {
    it(`admit — fleet generation ${generation} is a ticket, asked with the time or not`, async () => {
      const { breaker, member } = setup();
      member.verdict = generation;
      await caught(breaker.execute(down));
      member.timeDependent = true;
      await caught(breaker.execute(down));
      expect(member.records).toEqual([
        [generation, true, false],
        [generation, true, false],
      ]);
      expect(member.settled).toEqual([]);
      expect(breaker.state).toBe('closed');
    });
  }

  it('standing — a closed fleet with ticket 4 admits without reading the clock', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const now = clock.now.bind(clock);
    clock.now = () => {
      reads++;
      return now();
    };
    const { breaker } = setup({ clock, window: { type: 'count', size: 10 } });
    reads = 0;
    await breaker.execute(async () => 'ok');
    await breaker.execute(async () => 'ok');
    expect(reads).toBe(0);
  });

  it('constructor — a fleet option that is null or a function is not a Fleet', () => {
    const attach = (): never => {
      throw new Error('not attached');
    };
    for (const fleet of [null, Object.assign(() => undefined, { attach })]) {
      expect(() => new CircuitBreaker({ fleet: fleet as unknown as Fleet })).toThrow(
        /fleet must be a Fleet \(for example redisFleet\(\) from breakwater\/redis\)/,
      );
    }
  });
});

describe('FleetAdmission — refusals', () => {
  const cases: [FleetState, string][] = [
    ['open', 'open'],
    ['isolated', 'isolated'],
    ['half-open', 'half-open'],
    ['unknown', 'open'],
  ];
  for (const [fleetState, errorState] of cases) {
    it(`refusal — a fleet ${fleetState} that rejects refuses with state ${errorState}, its retry-after and source fleet`, async () => {
      const { breaker, member } = setup();
      member.state = fleetState;
      member.verdict = FLEET_REJECT;
      member.retryAfter = 777;
      let ran = 0;
      const error = await caught(breaker.execute(async () => ran++));
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(error).toMatchObject({ state: errorState, retryAfterMs: 777, source: 'fleet' });
      expect(ran).toBe(0);
    });
  }

  it('refusal — a denied lease refuses with the fleet state and reports the change it made', async () => {
    const { breaker, member, changes } = setup();
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    member.grant = undefined;
    const error = await caught(breaker.execute(async () => 'ok'));
    expect(error).toMatchObject({ state: 'half-open', source: 'fleet' });
    expect(changes).toEqual(['closed>half-open:fleet#0']);
  });

  it('admit — a call that must wait for a lease reports the half-open effective state before it runs', async () => {
    const { breaker, member, changes } = setup();
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    const call = breaker.execute(async () => 'ok');
    expect(changes).toEqual(['closed>half-open:fleet#0']);
    await expect(call).resolves.toBe('ok');
  });

  it('refusal — reports the change of the effective state the rejection reveals, once', async () => {
    const { breaker, member, changes } = setup();
    member.state = 'isolated';
    member.verdict = FLEET_REJECT;
    await caught(breaker.execute(async () => 'ok'));
    await caught(breaker.execute(async () => 'ok'));
    expect(changes).toEqual(['closed>isolated:fleet#0']);
  });
});

describe('FleetAdmission — the effective state', () => {
  it('view — a fleet event shows the change at once, without anyone reading the state', () => {
    const { member, changes } = setup();
    member.become('open', FLEET_REJECT);
    expect(changes).toEqual(['closed>open:fleet#0']);
    member.become('isolated', FLEET_REJECT);
    expect(changes).toEqual(['closed>open:fleet#0', 'open>isolated:fleet#0']);
    member.become('closed', 4);
    expect(changes).toEqual(['closed>open:fleet#0', 'open>isolated:fleet#0', 'isolated>closed:fleet#0']);
  });

  it('view — a fleet event during attach is delivered, and the state is shown once attached', () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe((e) => seen.push(e));
    const events: FleetEvent[] = [];
    const { breaker } = setup({ telemetry }, (member) => {
      member.state = 'open';
      member.verdict = FLEET_REJECT;
      member.host.report({ kind: 'transition', state: 'open', generation: 5, healthy: true });
    });
    breaker.on('fleet', (e) => events.push(e));
    expect(seen.filter((e) => e.type === 'fleet')).toMatchObject([{ event: 'transition', state: 'open' }]);
    expect(breaker.state).toBe('open');
    expect(seen.filter((e) => e.type === 'transition')).toMatchObject([
      { from: 'closed', to: 'open', reason: 'fleet' },
    ]);
    expect(events).toEqual([]);
  });

  it('report — a fleet event reaches fleet listeners and the telemetry stream, whole', () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe((e) => seen.push(e));
    const { breaker, member } = setup({ telemetry });
    const events: FleetEvent[] = [];
    breaker.on('fleet', (e) => events.push(e));
    const error = new Error('store down');
    member.host.report({ kind: 'degraded', state: 'open', generation: 7, healthy: false, error });
    expect(events).toEqual([{ kind: 'degraded', state: 'open', generation: 7, healthy: false, error }]);
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

  it('view — a local open during attach is reported once, as a local transition', () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe((e) => seen.push(e));
    const { breaker, changes } = setup({ telemetry }, (member) => member.host.openLocally(500));
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(500);
    expect(changes).toEqual([]);
    expect(seen.filter((e) => e.type === 'transition')).toMatchObject([
      { from: 'closed', to: 'open', reason: 'fleet', generation: 1 },
    ]);
  });

  it('openLocally — opens a closed local breaker for the given time, at the time it is asked', () => {
    const { breaker, member, clock, changes } = setup({ recoveryTimeout: 10 });
    clock.advance(100);
    member.host.openLocally(500);
    expect(changes).toEqual(['closed>open:fleet#1']);
    clock.advance(499);
    expect(breaker.state).toBe('open');
    expect(breaker.stats.timeInStateMs).toBe(499);
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('combine — the fleet overrides only a local closed or half-open state', async () => {
    const { breaker, member, clock } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    expect(breaker.state).toBe('half-open'); // local closed, fleet half-open
    member.state = 'open';
    member.verdict = FLEET_REJECT;
    expect(breaker.state).toBe('open');
    member.state = 'closed';
    member.verdict = 4;
    await caught(breaker.execute(down)); // local open
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    expect(breaker.state).toBe('open'); // local open wins over a fleet admitting probes
    expect(breaker.stats.retryAfterMs).toBe(100);
    member.state = 'isolated';
    member.verdict = FLEET_REJECT;
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(100);
    clock.advance(100); // local half-open
    expect(breaker.localState).toBe('half-open');
    expect(breaker.state).toBe('isolated');
    expect(breaker.stats.retryAfterMs).toBe(1234);
    member.state = 'half-open';
    member.verdict = FLEET_PROBE;
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats.retryAfterMs).toBe(0); // both half-open: the local answer
    breaker.isolate();
    member.state = 'open';
    member.verdict = FLEET_REJECT;
    expect(breaker.state).toBe('isolated');
    expect(breaker.stats.retryAfterMs).toBe(Infinity);
  });

  it('fleetSays — a degraded member says nothing: local state and local retry-after', () => {
    const { breaker, member } = setup();
    member.state = 'open';
    member.verdict = FLEET_REJECT;
    member.healthy = false;
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.retryAfterMs).toBe(0);
    member.healthy = true;
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(1234);
  });

  it('transitioned — a local transition the fleet does not hide is reported with its reason and generation', async () => {
    const { breaker, changes } = setup({ failureThreshold: 1 });
    await caught(breaker.execute(down));
    expect(changes).toEqual(['closed>open:failure-threshold#1']);
  });

  it('transitioned — a local reset under an open fleet shows the fleet state, timed from the reset', async () => {
    const { breaker, member, clock, changes } = setup({ failureThreshold: 1, recoveryTimeout: 100 });
    await caught(breaker.execute(down)); // local open at 0
    clock.advance(100);
    expect(breaker.state).toBe('half-open');
    member.state = 'open';
    member.verdict = FLEET_REJECT;
    clock.advance(50);
    breaker.reset(); // local closed at 150; the fleet shows open
    expect(changes).toEqual([
      'closed>open:failure-threshold#1',
      'open>half-open:recovery-timeout#2',
      'half-open>open:reset#3',
    ]);
    clock.advance(30);
    expect(breaker.stats).toMatchObject({ state: 'open', localState: 'closed', timeInStateMs: 30 });
  });

  it('viewSince — a state the fleet imposes is timed from when it was shown', () => {
    const { breaker, member, clock } = setup();
    clock.advance(100);
    member.become('open', FLEET_REJECT);
    clock.advance(50);
    expect(breaker.stats).toMatchObject({ state: 'open', localState: 'closed', timeInStateMs: 50 });
  });

  it('viewSince — the local state shown again when the fleet closes is timed from the fleet closing', () => {
    const { breaker, member, clock, changes } = setup();
    clock.advance(100);
    member.become('open', FLEET_REJECT);
    clock.advance(100);
    member.become('closed', 4);
    clock.advance(50);
    expect(changes).toEqual(['closed>open:fleet#0', 'open>closed:fleet#0']);
    expect(breaker.stats).toMatchObject({ state: 'closed', localState: 'closed', timeInStateMs: 50 });
  });

  it('viewSince — a local reset hidden by an open fleet leaves the fleet state timed from when it was shown', () => {
    const { breaker, member, clock, changes } = setup();
    clock.advance(100);
    member.become('open', FLEET_REJECT);
    clock.advance(50);
    breaker.reset(); // locally closed → closed at 150; the fleet still shows open
    clock.advance(30);
    expect(changes).toEqual(['closed>open:fleet#0']);
    expect(breaker.stats).toMatchObject({ state: 'open', localState: 'closed', timeInStateMs: 80 });
  });

  it('viewSince — a state the fleet does not change is timed from the local transition', () => {
    const { breaker, clock } = setup();
    clock.advance(100);
    breaker.reset(); // closed again at 100, with the fleet closed
    clock.advance(50);
    expect(breaker.stats).toMatchObject({ state: 'closed', timeInStateMs: 50 });
  });
});

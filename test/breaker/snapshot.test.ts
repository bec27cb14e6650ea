// toJSON() / initialState: a snapshot restores each state; a bad snapshot is rejected.
import { describe, expect, it } from 'vitest';
import { type BreakerSnapshot, CircuitBreaker, type StateName } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { MAX_TIMER_MS } from '../../src/breaker/options.js';
import { caught, deferred, failTimes, makeBreaker, ok, succeedTimes } from './helpers.js';

/** Serialises through JSON as a persisted snapshot would be. */
function persisted(breaker: CircuitBreaker): BreakerSnapshot {
  return JSON.parse(JSON.stringify(breaker)) as BreakerSnapshot;
}

describe('toJSON', () => {
  it('toJSON — a closed breaker', () => {
    const { breaker } = makeBreaker({ name: 'inventory' });
    expect(breaker.toJSON()).toEqual({
      version: 1,
      name: 'inventory',
      state: 'closed',
      generation: 0,
      reopens: 0,
    });
  });

  it('toJSON — an open breaker stores the time it still has to stay open', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(300);
    expect(breaker.toJSON()).toEqual({
      version: 1,
      name: 'breaker',
      state: 'open',
      generation: 1,
      openRemainingMs: 700,
      reopens: 0,
    });
  });

  it('toJSON — the persisted text lists the fields in the order BreakerSnapshot declares them', async () => {
    const { breaker, clock } = makeBreaker({
      name: 'inventory',
      failureThreshold: 1,
      recoveryTimeout: 1_000,
    });
    expect(JSON.stringify(breaker)).toBe(
      '{"version":1,"name":"inventory","state":"closed","generation":0,"reopens":0}',
    );
    await failTimes(breaker, 1);
    clock.advance(300);
    expect(JSON.stringify(breaker)).toBe(
      '{"version":1,"name":"inventory","state":"open","generation":1,"openRemainingMs":700,"reopens":0}',
    );
  });

  it('toJSON — an open breaker past its deadline is snapshotted as half-open', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    expect(breaker.toJSON()).toMatchObject({ state: 'half-open', generation: 2 });
  });
});

describe('initialState', () => {
  it('initialState — round trip of an open breaker keeps the remaining time, generation and reopens', async () => {
    const source = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { jitter: 0 },
    });
    await failTimes(source.breaker, 1);
    source.clock.advance(1_000);
    await failTimes(source.breaker, 1); // re-open from half-open: 2 000 ms
    source.clock.advance(500);
    const snapshot = persisted(source.breaker);
    expect(snapshot).toMatchObject({ state: 'open', openRemainingMs: 1_500, reopens: 1, generation: 3 });

    const clock = new FakeClock(123_456);
    const restored = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { jitter: 0 },
      initialState: snapshot,
    });
    expect(restored.state).toBe('open');
    expect(restored.stats.generation).toBe(3);
    expect(await caught(restored.execute(ok(1)))).toMatchObject({ state: 'open', retryAfterMs: 1_500 });
    clock.advance(1_499);
    expect(restored.state).toBe('open');
    clock.advance(1);
    expect(restored.state).toBe('half-open');
    await failTimes(restored, 1); // the backoff continues where it was: 1 000 * 2 ** 2
    expect(restored.stats.retryAfterMs).toBe(4_000);
  });

  const reach: Record<Exclude<StateName, 'open'>, (made: ReturnType<typeof makeBreaker>) => Promise<void>> = {
    closed: async ({ breaker }) => {
      await failTimes(breaker, 1);
    },
    'half-open': async ({ breaker, clock }) => {
      await failTimes(breaker, 2);
      clock.advance(1_000);
      await succeedTimes(breaker, 1);
    },
    isolated: async ({ breaker }) => {
      breaker.isolate();
    },
    disabled: async ({ breaker }) => {
      breaker.disable();
    },
    'metrics-only': async ({ breaker }) => {
      breaker.metricsOnly();
    },
  };

  for (const [state, go] of Object.entries(reach)) {
    it(`initialState — round trip of a ${state} breaker`, async () => {
      const source = makeBreaker({ failureThreshold: 2, recoveryTimeout: 1_000 });
      await go(source);
      const snapshot = persisted(source.breaker);
      expect(snapshot.state).toBe(state);
      const restored = new CircuitBreaker({
        clock: new FakeClock(),
        failureThreshold: 2,
        recoveryTimeout: 1_000,
        initialState: snapshot,
      });
      expect(restored.state).toBe(state);
      expect(restored.stats.generation).toBe(source.breaker.stats.generation);
      expect(restored.toJSON()).toEqual(snapshot);
      // Window counts are not carried over; a restored half-open starts with no probes in flight.
      expect(restored.stats.window.calls).toBe(0);
      expect(restored.stats.probesInFlight).toBe(0);
    });
  }

  it('initialState — a restored half-open breaker needs successThreshold fresh probe successes', async () => {
    const restored = new CircuitBreaker({
      clock: new FakeClock(),
      initialState: { version: 1, name: 'x', state: 'half-open', generation: 4, reopens: 0 },
    });
    await succeedTimes(restored, 1);
    expect(restored.state).toBe('half-open');
    await succeedTimes(restored, 1);
    expect(restored.state).toBe('closed');
    expect(restored.stats.generation).toBe(5);
  });

  it('initialState — is not mutated', () => {
    const snapshot = Object.freeze({
      version: 1,
      name: 'x',
      state: 'open',
      generation: 1,
      openRemainingMs: 5,
      reopens: 0,
    } as const);
    const restored = new CircuitBreaker({ clock: new FakeClock(), initialState: snapshot });
    expect(restored.state).toBe('open');
    expect(snapshot.openRemainingMs).toBe(5);
  });

  const bad: readonly [string, unknown, 'TypeError' | 'RangeError', string][] = [
    ['a string', 'open', 'TypeError', 'initialState must be'],
    [
      'an unknown version',
      { version: 2, name: 'x', state: 'closed', generation: 0, reopens: 0 },
      'TypeError',
      'initialState.version',
    ],
    [
      'no version',
      { name: 'x', state: 'closed', generation: 0, reopens: 0 },
      'TypeError',
      'initialState.version',
    ],
    [
      'an unknown state',
      { version: 1, name: 'x', state: 'tripped', generation: 0, reopens: 0 },
      'RangeError',
      'initialState.state',
    ],
    [
      'a state that is not a string',
      { version: 1, name: 'x', state: 3, generation: 0, reopens: 0 },
      'TypeError',
      'initialState.state',
    ],
    [
      'a name that is not a string',
      { version: 1, name: 42, state: 'closed', generation: 0, reopens: 0 },
      'TypeError',
      'initialState.name',
    ],
    [
      'an unknown field',
      { version: 1, name: 'x', state: 'open', generation: 1, openRemaining: 5, reopens: 0 },
      'TypeError',
      'initialState.openRemaining',
    ],
    [
      'a generation that cannot grow (2 ** 53)',
      { version: 1, name: 'x', state: 'half-open', generation: 2 ** 53, reopens: 0 },
      'RangeError',
      'initialState.generation',
    ],
    [
      'a NaN generation',
      { version: 1, name: 'x', state: 'closed', generation: NaN, reopens: 0 },
      'RangeError',
      'initialState.generation',
    ],
    [
      'a fractional generation',
      { version: 1, name: 'x', state: 'closed', generation: 1.5, reopens: 0 },
      'RangeError',
      'initialState.generation',
    ],
    [
      'a NaN reopens',
      { version: 1, name: 'x', state: 'closed', generation: 0, reopens: NaN },
      'RangeError',
      'initialState.reopens',
    ],
    [
      'an unsafe reopens',
      { version: 1, name: 'x', state: 'closed', generation: 0, reopens: 2 ** 60 },
      'RangeError',
      'initialState.reopens',
    ],
    [
      'an open period longer than any the breaker can produce (31,000 years)',
      { version: 1, name: 'x', state: 'open', generation: 1, openRemainingMs: 1e15, reopens: 0 },
      'RangeError',
      'initialState.openRemainingMs',
    ],
    [
      'an infinite openRemainingMs',
      { version: 1, name: 'x', state: 'open', generation: 1, openRemainingMs: Infinity, reopens: 0 },
      'RangeError',
      'initialState.openRemainingMs',
    ],
    [
      'an openRemainingMs on a state that is not open',
      { version: 1, name: 'x', state: 'closed', generation: 1, openRemainingMs: 5, reopens: 0 },
      'RangeError',
      'initialState.openRemainingMs',
    ],
    [
      'a negative generation',
      { version: 1, name: 'x', state: 'closed', generation: -1, reopens: 0 },
      'RangeError',
      'initialState.generation',
    ],
    [
      'a fractional reopens',
      { version: 1, name: 'x', state: 'closed', generation: 0, reopens: 0.5 },
      'RangeError',
      'initialState.reopens',
    ],
    [
      'a NaN openRemainingMs',
      { version: 1, name: 'x', state: 'open', generation: 1, openRemainingMs: NaN, reopens: 0 },
      'RangeError',
      'initialState.openRemainingMs',
    ],
    [
      'a negative openRemainingMs',
      { version: 1, name: 'x', state: 'open', generation: 1, openRemainingMs: -5, reopens: 0 },
      'RangeError',
      'initialState.openRemainingMs',
    ],
  ];
  for (const [label, initialState, name, mention] of bad) {
    it(`initialState — rejects ${label} with a ${name} naming it`, () => {
      expect(
        () => new CircuitBreaker({ clock: new FakeClock(), initialState: initialState as BreakerSnapshot }),
      ).toThrow(expect.objectContaining({ name, message: expect.stringContaining(mention) }));
    });
  }

  it('initialState — a bad snapshot is reported together with other bad options', () => {
    expect(
      () =>
        new CircuitBreaker({
          clock: new FakeClock(),
          failureThreshold: 0,
          initialState: {
            version: 1,
            name: 'x',
            state: 'open',
            generation: 1,
            openRemainingMs: NaN,
            reopens: 0,
          },
        }),
    ).toThrow(/failureThreshold.*initialState\.openRemainingMs/);
  });

  it('initialState — the longest open period extendOpen can make survives a round trip', async () => {
    const source = makeBreaker({ failureThreshold: 1 });
    await failTimes(source.breaker, 1);
    source.breaker.extendOpen(MAX_TIMER_MS);
    const snapshot = persisted(source.breaker);
    expect(snapshot.openRemainingMs).toBe(MAX_TIMER_MS);
    const restored = new CircuitBreaker({ clock: new FakeClock(), initialState: snapshot });
    expect(restored.stats.retryAfterMs).toBe(MAX_TIMER_MS);
  });

  it('initialState — the largest generation still grows (it starts again at 0), so a late success stays late', async () => {
    const clock = new FakeClock();
    const restored = new CircuitBreaker({
      clock,
      timeout: false,
      recoveryTimeout: 100,
      halfOpenRequests: 1,
      successThreshold: 1,
      initialState: {
        version: 1,
        name: 'x',
        state: 'half-open',
        generation: Number.MAX_SAFE_INTEGER,
        reopens: 0,
      },
    });
    const late = deferred<string>();
    const probe = restored.execute(() => late.promise);
    clock.advance(100); // the probe's deadline: a failure, the circuit re-opens
    expect(restored.state).toBe('open');
    expect(restored.stats.generation).toBe(0);
    clock.advance(100);
    expect(restored.state).toBe('half-open');
    expect(restored.stats.generation).toBe(1);
    late.resolve('late');
    expect(await probe).toBe('late');
    expect(restored.state).toBe('half-open');
    expect(restored.stats.generation).toBe(1);
  });

  it('initialState — an open snapshot without openRemainingMs stays open for recoveryTimeout', () => {
    const clock = new FakeClock();
    const restored = new CircuitBreaker({
      clock,
      recoveryTimeout: 2_000,
      initialState: { version: 1, name: 'x', state: 'open', generation: 1, reopens: 0 },
    });
    expect(restored.stats.retryAfterMs).toBe(2_000);
  });
});

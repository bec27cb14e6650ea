// docs/contract.md §1.1, §1.3, §5, §6: each row of the state table, lazily driven by time.
import { describe, expect, it, vi } from 'vitest';
import { CircuitOpenError, type StateName } from '../../src/index.js';
import { EventRecorder } from '../../src/testing/index.js';
import { boom, caught, deferred, failTimes, makeBreaker, ok, succeedTimes } from './helpers.js';

describe('closed', () => {
  it('execute — passes the call through and returns its result', async () => {
    const { breaker } = makeBreaker();
    const fn = vi.fn(ok({ id: 7 }));
    await expect(breaker.execute(fn)).resolves.toEqual({ id: 7 });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(breaker.state).toBe('closed');
  });

  it('execute — records every counted outcome in the window', async () => {
    const { breaker } = makeBreaker();
    await succeedTimes(breaker, 3);
    await failTimes(breaker, 2);
    const { window, totals } = breaker.stats;
    expect(window).toEqual({ calls: 5, failures: 2, slowCalls: 0, failureRate: 0.4, slowCallRate: 0 });
    expect(totals).toMatchObject({ calls: 5, successes: 3, failures: 2, rejected: 0 });
  });

  it('execute — a trip rule holding opens the circuit', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 2 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });
});

describe('open', () => {
  it('execute — rejects at once with CircuitOpenError without calling fn', async () => {
    const { breaker, clock } = makeBreaker({ name: 'db', failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(400);
    const fn = vi.fn(ok(1));
    const error = await caught(breaker.execute(fn));
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      breaker: 'db',
      state: 'open',
      retryAfterMs: 600,
    });
    expect(breaker.stats.totals.rejected).toBe(1);
    expect(breaker.stats.retryAfterMs).toBe(600);
  });

  it('state — stays open until the deadline and turns half-open exactly at it', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(999);
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(1);
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats.retryAfterMs).toBe(0);
  });

  it('state — open → half-open happens on reading state, with no timer involved', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000, timeout: false });
    const recorder = new EventRecorder(breaker);
    await failTimes(breaker, 1);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5_000);
    expect(recorder.transitions()).toEqual(['closed->open']); // nothing happened in the background
    expect(breaker.state).toBe('half-open');
    expect(recorder.of('stateChange').at(-1)).toMatchObject({ to: 'half-open', reason: 'recovery-timeout' });
  });

  it('stats — reading stats at the deadline performs the transition', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    const recorder = new EventRecorder(breaker);
    expect(breaker.stats.state).toBe('half-open');
    expect(recorder.transitions()).toEqual(['open->half-open']);
  });

  it('execute — the first call at the deadline turns the circuit half-open and runs as a probe', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    const recorder = new EventRecorder(breaker);
    await failTimes(breaker, 1);
    clock.advance(1_000);
    const fn = vi.fn(ok('probe'));
    await expect(breaker.execute(fn)).resolves.toBe('probe');
    expect(fn).toHaveBeenCalledTimes(1);
    expect(recorder.transitions()).toEqual(['closed->open', 'open->half-open']);
    expect(breaker.state).toBe('half-open'); // one success of the two needed
  });
});

describe('half-open', () => {
  async function halfOpen(options: Parameters<typeof makeBreaker>[0] = {}) {
    const made = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000, ...options });
    await failTimes(made.breaker, 1);
    made.clock.advance(1_000);
    expect(made.breaker.state).toBe('half-open');
    return made;
  }

  it('execute — admits at most halfOpenRequests probes; others are rejected, never queued', async () => {
    const { breaker } = await halfOpen({ halfOpenRequests: 2 });
    const probes = [deferred(), deferred()];
    const running = probes.map((d) => breaker.execute(() => d.promise));
    expect(breaker.stats.probesInFlight).toBe(2);
    const extra = vi.fn(ok('extra'));
    const error = await caught(breaker.execute(extra));
    expect(extra).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
    // A freed permit admits the next call; the rejected one never ran later.
    probes[0]!.resolve('a');
    await running[0];
    expect(breaker.stats.probesInFlight).toBe(1);
    await expect(breaker.execute(ok('next'))).resolves.toBe('next');
    expect(extra).not.toHaveBeenCalled();
    probes[1]!.resolve('b');
    await running[1];
  });

  it('execute — the default admits 3 probes at once', async () => {
    const { breaker } = await halfOpen();
    const probes = [deferred(), deferred(), deferred()];
    const running = probes.map((d) => breaker.execute(() => d.promise));
    await expect(caught(breaker.execute(ok(4)))).resolves.toMatchObject({ state: 'half-open' });
    for (const d of probes) d.reject(new Error('down'));
    await Promise.all(running.map((p) => caught(p)));
  });

  it('execute — successThreshold probe successes close the circuit', async () => {
    const { breaker } = await halfOpen({ successThreshold: 3 });
    await succeedTimes(breaker, 2);
    expect(breaker.state).toBe('half-open');
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.window.calls).toBe(0); // the window is emptied on close
  });

  it('execute — any probe failure re-opens, and successes do not carry over', async () => {
    const { breaker, clock } = await halfOpen({ successThreshold: 2 });
    const recorder = new EventRecorder(breaker);
    await succeedTimes(breaker, 1);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(recorder.of('stateChange')[0]).toMatchObject({
      from: 'half-open',
      to: 'open',
      reason: 'probe-failure',
    });
    clock.advance(1_000);
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('half-open');
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('execute — with a timeout, a hanging probe times out and re-opens the circuit', async () => {
    const { breaker, clock } = await halfOpen({ timeout: 500 });
    const recorder = new EventRecorder(breaker);
    const probe = caught(breaker.execute(() => new Promise(() => undefined)));
    await clock.advanceAsync(499);
    expect(breaker.state).toBe('half-open');
    await clock.advanceAsync(1);
    expect(await probe).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(breaker.state).toBe('open');
    expect(recorder.of('stateChange')).toEqual([
      { from: 'half-open', to: 'open', reason: 'probe-deadline', generation: 3 },
    ]);
  });

  it('state — with timeout:false, a probe still running at recoveryTimeout re-opens lazily', async () => {
    const { breaker, clock } = await halfOpen({ timeout: false });
    const recorder = new EventRecorder(breaker);
    const d = deferred<string>();
    const probe = breaker.execute(() => d.promise);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(999);
    expect(breaker.state).toBe('half-open');
    clock.advance(1);
    expect(breaker.state).toBe('open');
    expect(recorder.of('stateChange')).toEqual([
      { from: 'half-open', to: 'open', reason: 'probe-deadline', generation: 3 },
    ]);
    // The probe's own caller still gets its late result; the breaker ignores it.
    d.resolve('late');
    await expect(probe).resolves.toBe('late');
    expect(breaker.state).toBe('open');
    expect(breaker.stats.totals.successes).toBe(1);
  });

  it('execute — with timeout:false, a call at the probe deadline re-opens instead of being admitted', async () => {
    const { breaker, clock } = await halfOpen({ timeout: false, halfOpenRequests: 2 });
    const d = deferred();
    const probe = breaker.execute(() => d.promise);
    clock.advance(1_000);
    const fn = vi.fn(ok(1));
    await expect(caught(breaker.execute(fn))).resolves.toMatchObject({ state: 'open', retryAfterMs: 1_000 });
    expect(fn).not.toHaveBeenCalled();
    d.resolve(0);
    await probe;
  });
});

describe('isolated', () => {
  it('execute — rejects with state isolated, and time never recovers it', async () => {
    const { breaker, clock } = makeBreaker({ name: 'pay' });
    breaker.isolate();
    const fn = vi.fn(ok(1));
    const error = await caught(breaker.execute(fn));
    expect(fn).not.toHaveBeenCalled();
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ state: 'isolated', retryAfterMs: Infinity, breaker: 'pay' });
    clock.advance(10 * 365 * 24 * 3_600_000);
    expect(breaker.state).toBe('isolated');
    expect(breaker.stats.retryAfterMs).toBe(Infinity);
    breaker.reset();
    await expect(breaker.execute(fn)).resolves.toBe(1);
  });

  it('isolate — from open, the circuit stays isolated past the recovery deadline', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 100 });
    await failTimes(breaker, 1);
    breaker.isolate();
    clock.advance(100);
    expect(breaker.state).toBe('isolated');
  });
});

describe('disabled', () => {
  it('execute — passes calls through untouched, records nothing and never trips', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, timeout: 10 });
    const recorder = new EventRecorder(breaker);
    breaker.disable();
    recorder.events.length = 0;
    const original = new Error('kept');
    for (let i = 0; i < 20; i++)
      expect(await caught(breaker.execute(() => Promise.reject(original)))).toBe(original);
    const result = { same: true };
    await expect(breaker.execute(ok(result))).resolves.toBe(result);
    // No timeout applies either: a slow call is left alone.
    const d = deferred<string>();
    const slow = breaker.execute(() => d.promise);
    await clock.advanceAsync(1_000);
    d.resolve('slow but fine');
    await expect(slow).resolves.toBe('slow but fine');
    expect(breaker.state).toBe('disabled');
    expect(recorder.events).toEqual([]);
    expect(breaker.stats.window.calls).toBe(0);
    expect(breaker.stats.totals).toMatchObject({ calls: 0, failures: 0, successes: 0, timeouts: 0 });
  });
});

describe('metrics-only', () => {
  it('execute — records and reports outcomes but never trips', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1, failureRateThreshold: 0.1, minimumCalls: 1 });
    breaker.metricsOnly();
    const recorder = new EventRecorder(breaker);
    await failTimes(breaker, 50);
    await succeedTimes(breaker, 2);
    expect(breaker.state).toBe('metrics-only');
    expect(breaker.stats.window).toMatchObject({ calls: 52, failures: 50 });
    expect(breaker.stats.totals).toMatchObject({ failures: 50, successes: 2 });
    expect(recorder.of('failure')).toHaveLength(50);
    expect(recorder.of('success')).toHaveLength(2);
    expect(recorder.transitions()).toEqual([]);
  });
});

describe('reset', () => {
  const reach: Record<StateName, (b: ReturnType<typeof makeBreaker>) => Promise<void>> = {
    closed: async ({ breaker }) => {
      await failTimes(breaker, 2);
    },
    open: async ({ breaker }) => {
      await failTimes(breaker, 3);
    },
    'half-open': async ({ breaker, clock }) => {
      await failTimes(breaker, 3);
      clock.advance(1_000);
      await succeedTimes(breaker, 1);
    },
    isolated: async ({ breaker }) => {
      await failTimes(breaker, 2);
      breaker.isolate();
    },
    disabled: async ({ breaker }) => {
      await failTimes(breaker, 2);
      breaker.disable();
    },
    'metrics-only': async ({ breaker }) => {
      breaker.metricsOnly();
      await failTimes(breaker, 7);
    },
  };

  for (const [state, go] of Object.entries(reach)) {
    it(`reset — from ${state} gives a fresh closed breaker (new generation, empty window)`, async () => {
      const made = makeBreaker({ failureThreshold: 3, recoveryTimeout: 1_000 });
      const { breaker } = made;
      await go(made);
      expect(breaker.state).toBe(state);
      const before = breaker.stats.generation;
      const recorder = new EventRecorder(breaker);
      breaker.reset();
      expect(breaker.state).toBe('closed');
      expect(breaker.stats.generation).toBe(before + 1);
      expect(breaker.stats.window).toEqual({
        calls: 0,
        failures: 0,
        slowCalls: 0,
        failureRate: 0,
        slowCallRate: 0,
      });
      expect(recorder.of('stateChange')).toEqual([
        { from: state, to: 'closed', reason: 'reset', generation: before + 1 },
      ]);
      // Fresh: the full failureThreshold is needed again.
      await failTimes(breaker, 2);
      expect(breaker.state).toBe('closed');
      await failTimes(breaker, 1);
      expect(breaker.state).toBe('open');
    });
  }

  it('reset — an outcome of a call admitted before the reset is not recorded', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1 });
    const d = deferred();
    const call = caught(breaker.execute(() => d.promise));
    breaker.reset();
    d.reject(new Error('late'));
    await call;
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.window.calls).toBe(0);
    expect(breaker.stats.totals.failures).toBe(1);
  });
});

describe('generations', () => {
  it('execute — a closed-generation success finishing during half-open does not count as a probe', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, timeout: false });
    const slow = deferred<string>();
    const old = breaker.execute(() => slow.promise);
    await failTimes(breaker, 2);
    clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
    const generation = breaker.stats.generation;
    slow.resolve('late');
    await expect(old).resolves.toBe('late');
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('half-open'); // the late success did not make it two
    expect(breaker.stats.generation).toBe(generation);
    expect(breaker.stats.totals.successes).toBe(2);
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('execute — a late failure from an older generation neither re-opens nor fills the new window', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 2, recoveryTimeout: 1_000, timeout: false });
    const slow = deferred();
    const old = caught(breaker.execute(() => slow.promise));
    await failTimes(breaker, 2);
    clock.advance(1_000);
    await succeedTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    slow.reject(new Error('late'));
    await old;
    expect(breaker.stats.window.failures).toBe(0);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.totals.failures).toBe(4);
  });

  it('stats — generation increments on every transition', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 10 });
    expect(breaker.stats.generation).toBe(0);
    await failTimes(breaker, 1);
    expect(breaker.stats.generation).toBe(1);
    clock.advance(10);
    expect(breaker.stats.generation).toBe(2);
    await succeedTimes(breaker, 2);
    expect(breaker.stats.generation).toBe(3);
    breaker.isolate();
    breaker.isolate(); // already isolated: no transition
    expect(breaker.stats.generation).toBe(4);
  });

  it('stats — reports in-flight calls, time in state and lifetime totals', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1 });
    const d = deferred();
    const call = breaker.execute(() => d.promise);
    expect(breaker.stats.inFlight).toBe(1);
    clock.advance(250);
    expect(breaker.stats.timeInStateMs).toBe(250);
    d.resolve(1);
    await call;
    expect(breaker.stats.inFlight).toBe(0);
    await caught(breaker.execute(boom()));
    await caught(breaker.execute(boom()));
    expect(breaker.stats).toMatchObject({
      name: 'breaker',
      state: 'open',
      timeInStateMs: 0,
      totals: { calls: 2, successes: 1, failures: 1, rejected: 1, timeouts: 0, ignored: 0, fallbacks: 0 },
    });
  });
});

describe('open — edges', () => {
  it('extendOpen — asking for exactly the time left lengthens nothing and says so', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000, timeout: false });
    await failTimes(breaker, 1);
    clock.advance(400);
    expect(breaker.extendOpen(600)).toBe(false);
    expect(breaker.extendOpen(601)).toBe(true);
    expect(breaker.stats.retryAfterMs).toBe(601);
  });

  for (const [label, settle] of [
    ['success', (d: { resolve(v: unknown): void }) => d.resolve(1)],
    ['ignored error', (d: { reject(e: unknown): void }) => d.reject(new Error('ignore'))],
  ] as const) {
    it(`state — a late ${label} of an older generation does not move a due open circuit to half-open`, async () => {
      const { breaker, clock } = makeBreaker({
        failureThreshold: 1,
        recoveryTimeout: 100,
        timeout: false,
        isFailure: (error) => (error as Error).message !== 'ignore',
      });
      const recorder = new EventRecorder(breaker);
      const late = deferred();
      const call = breaker.execute(() => late.promise).catch(() => undefined);
      await failTimes(breaker, 1); // open at 0
      clock.advance(150); // due, but nobody looked
      settle(late);
      await call;
      expect(recorder.transitions()).toEqual(['closed->open']);
      clock.advance(50);
      expect(breaker.state).toBe('half-open');
      expect(breaker.stats.timeInStateMs).toBe(0); // half-open from this read, at 200
    });
  }
});

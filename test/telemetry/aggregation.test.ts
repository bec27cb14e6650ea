import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { sourceOf } from '../../src/breaker/circuit-breaker.js';
import { ActivityTracker } from '../../src/telemetry/activity.js';
import { LatencyHistogram } from '../../src/telemetry/latency-histogram.js';
import { SecondSeries } from '../../src/telemetry/second-series.js';
import { breakerStats } from '../../src/telemetry/sources.js';
import { FakeClock } from '../../src/testing/index.js';

describe('SecondSeries', () => {
  it('counts — per second, oldest first, failures and timeouts together, rejections apart', () => {
    const s = new SecondSeries(4);
    s.record(10, 'success');
    s.record(10, 'failure');
    s.record(11, 'timeout');
    s.record(13, 'rejected');
    s.record(13, 'ignored');
    expect(s.counts(13)).toEqual({
      until: 13,
      calls: [2, 1, 0, 2],
      failures: [1, 1, 0, 0],
      rejected: [0, 0, 0, 1],
    });
  });

  it('counts — forgets seconds that fell out of the ring, and skipped seconds read 0', () => {
    const s = new SecondSeries(3);
    s.record(1, 'success');
    s.record(2, 'success');
    s.record(9, 'success');
    expect(s.counts(9).calls).toEqual([0, 0, 1]);
    expect(s.counts(12).calls).toEqual([0, 0, 0]);
    expect(s.counts(10).calls).toEqual([0, 1, 0]);
  });

  it('counts — matches a plain map of every call (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 40 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 10 }),
        (gaps, length) => {
          const s = new SecondSeries(length);
          const all = new Map<number, number>();
          let second = 0;
          for (const gap of gaps) {
            second += gap % 3 === 0 ? gap : 0;
            s.record(second, 'success');
            all.set(second, (all.get(second) ?? 0) + 1);
          }
          const expected = Array.from({ length }, (_, i) => all.get(second - length + 1 + i) ?? 0);
          expect(s.counts(second).calls).toEqual(expected);
        },
      ),
    );
  });

  it('constructor — rejects a bad length', () => {
    expect(() => new SecondSeries(0)).toThrow(RangeError);
  });
});

describe('LatencyHistogram', () => {
  it('percentiles — null without samples', () => {
    expect(new LatencyHistogram().percentiles(0)).toEqual({
      count: 0,
      p50: null,
      p90: null,
      p99: null,
      max: null,
    });
  });

  it('percentiles — within 19 % above the exact value, never below it (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.2, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (xs) => {
          const h = new LatencyHistogram();
          for (const x of xs) h.record(1_000, x);
          const sorted = [...xs].sort((a, b) => a - b);
          const exact = (q: number) => sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
          const p = h.percentiles(1_000);
          expect(p.count).toBe(xs.length);
          for (const [q, got] of [
            [0.5, p.p50],
            [0.9, p.p90],
            [0.99, p.p99],
          ] as const) {
            expect(got).not.toBeNull();
            expect(got!).toBeGreaterThanOrEqual(exact(q) * (1 - 1e-9));
            expect(got!).toBeLessThanOrEqual(exact(q) * 1.19 + 1e-9);
          }
          expect(p.max).toBe(sorted.at(-1));
        },
      ),
    );
  });

  it('percentiles — cover the last minute only, in 10 s sub-windows', () => {
    const h = new LatencyHistogram(60_000, 10_000);
    h.record(0, 1_000);
    h.record(55_000, 10);
    expect(h.percentiles(59_000)).toMatchObject({ count: 2, max: 1_000 });
    // At 70 s the sub-window [0, 10 s) is more than a minute old.
    expect(h.percentiles(70_000)).toMatchObject({ count: 1, p99: 10, max: 10 });
    expect(h.percentiles(200_000).count).toBe(0);
  });

  it('record — ignores NaN and negative durations', () => {
    const h = new LatencyHistogram();
    h.record(0, NaN);
    h.record(0, -1);
    expect(h.percentiles(0).count).toBe(0);
  });
});

describe('ActivityTracker', () => {
  function setup(options = {}) {
    const clock = new FakeClock(5_000);
    const telemetry = new Telemetry();
    const tracker = new ActivityTracker(telemetry, { clock, ...options });
    const breaker = (name: string) =>
      new CircuitBreaker({
        name,
        telemetry,
        clock,
        timeout: false,
        failureThreshold: 1,
        recoveryTimeout: 5_000,
      });
    return { clock, telemetry, tracker, breaker };
  }

  it('snapshot — every live breaker with its stats, series and latency', async () => {
    const { clock, tracker, breaker } = setup({ seconds: 5 });
    const a = breaker('a');
    await a.execute(async () => 1);
    await a.execute(() => Promise.reject(new Error('x'))).catch(() => 0);
    await a.execute(async () => 1).catch(() => 0);
    clock.advance(1_000);
    const snap = tracker.snapshot();
    expect(snap.now).toBe(6_000);
    expect(snap.breakers).toHaveLength(1);
    expect(snap.breakers[0]).toMatchObject({
      name: 'a',
      state: 'open',
      totals: { successes: 1, failures: 1, rejected: 1 },
      series: { until: 5, calls: [0, 0, 0, 0, 3], failures: [0, 0, 0, 0, 1], rejected: [0, 0, 0, 0, 1] },
      latency: { count: 2 },
    });
    expect(snap.transitions).toEqual([
      { at: 5_000, breaker: 'a', from: 'closed', to: 'open', reason: 'failure-threshold', generation: 1 },
    ]);
  });

  it('snapshot — keeps a bounded list of transitions, newest first', async () => {
    const { clock, tracker, breaker } = setup({ transitions: 3 });
    const a = breaker('a');
    for (let i = 0; i < 4; i++) {
      await a.execute(() => Promise.reject(new Error('x'))).catch(() => 0);
      clock.advance(5_000);
      expect(a.state).toBe('half-open');
      a.reset();
    }
    const t = tracker.snapshot().transitions;
    expect(t).toHaveLength(3);
    expect(t[0]!.at).toBeGreaterThan(t[2]!.at);
  });

  it('snapshot — a state entered before the tracker started, or restored, is a prior state until a transition', async () => {
    const clock = new FakeClock(1_000);
    const telemetry = new Telemetry();
    const options = { telemetry, clock, failureThreshold: 1, recoveryTimeout: 60_000 };
    const early = new CircuitBreaker({ name: 'early', ...options });
    await early.execute(() => Promise.reject(new Error('x'))).catch(() => 0);
    clock.advance(4_000);
    const tracker = new ActivityTracker(telemetry, { clock });
    clock.advance(2_000);
    const restored = new CircuitBreaker({ name: 'restored', ...options, initialState: early.toJSON() });
    const fresh = new CircuitBreaker({ name: 'fresh', ...options });
    clock.advance(1_000);
    const snap = tracker.snapshot();
    expect(snap).toMatchObject({ now: 8_000, since: 5_000, transitions: [], transitionCount: 0 });
    expect(snap.priorStates).toEqual([
      { at: 7_000, breaker: 'restored', state: 'open', generation: 1 },
      { at: 1_000, breaker: 'early', state: 'open', generation: 1 },
    ]);
    early.isolate();
    expect(tracker.snapshot().priorStates.map((p) => p.breaker)).toEqual(['restored']);
    expect(tracker.snapshot().transitionCount).toBe(1);
    expect([restored.state, fresh.state]).toEqual(['open', 'closed']);
    tracker.dispose();
  });

  it('snapshot — forgets unregistered breakers at once, and collected ones once their history is stale', async () => {
    const { clock, telemetry, tracker, breaker } = setup({ seconds: 10 });
    const a = breaker('a');
    await a.execute(async () => 1);
    telemetry.unregister(sourceOf(a)!);
    expect(tracker.size).toBe(0);
    // Calls reported for a name no source backs (as from a breaker that was collected).
    telemetry.emit({
      type: 'call',
      policy: 'ghost',
      kind: 'breaker',
      outcome: 'success',
      durationMs: 1,
      slow: false,
    });
    expect(tracker.snapshot().breakers).toEqual([]);
    expect(tracker.size).toBe(1);
    clock.advance(10_001);
    tracker.snapshot();
    expect(tracker.size).toBe(0);
  });

  it('dispose — stops listening', () => {
    const { telemetry, tracker } = setup();
    expect(telemetry.active).toBe(true);
    tracker.dispose();
    expect(telemetry.active).toBe(false);
  });

  it('constructor — validates its options', () => {
    expect(() => new ActivityTracker(new Telemetry(), { seconds: 0, transitions: -1 })).toThrow(
      /seconds must be an integer >= 1 <= 3600.*transitions must be an integer >= 0/,
    );
    expect(() => new ActivityTracker(new Telemetry(), { policies: 0 })).toThrow(
      /policies must be an integer >= 1/,
    );
  });
});

describe('PolicyCounts', () => {
  const at = (telemetry: Telemetry) => ({
    cache: (policy: string, result: 'fresh' | 'stale' | 'miss') =>
      telemetry.emit({ type: 'cache', policy, kind: 'staleCache', result }),
  });

  it('record — counts each policy by what it reported, every key present from its first event', () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const tracker = new ActivityTracker(telemetry, { clock });
    at(telemetry).cache('prices', 'stale');
    at(telemetry).cache('prices', 'stale');
    telemetry.emit({ type: 'timeout', policy: 'db', kind: 'timeout', timeoutMs: 10 });
    telemetry.emit({
      type: 'queue',
      policy: 'mail',
      kind: 'queueForLater',
      action: 'dead-lettered',
      id: '1',
    });
    telemetry.emit({ type: 'retry', policy: 'r', kind: 'retry', attempt: 1, delayMs: 5 });
    telemetry.emit({
      type: 'bulkhead',
      policy: 'pool',
      kind: 'bulkhead',
      action: 'rejected',
      running: 1,
      queued: 0,
    });
    telemetry.emit({ type: 'fallback', policy: 'default', kind: 'fallback' });
    // A breaker's own fallback is on its card (totals.fallbacks), not among the policies.
    telemetry.emit({ type: 'fallback', policy: 'payments', kind: 'breaker' });
    clock.advance(5);
    at(telemetry).cache('prices', 'fresh');
    const counts = Object.fromEntries(
      tracker.snapshot().policies.map((p) => [`${p.kind}:${p.name}`, p.counts]),
    );
    expect(counts).toEqual({
      'timeout:db': { timeouts: 1 },
      'fallback:default': { fallbacks: 1 },
      'queueForLater:mail': { queued: 0, refused: 0, replayed: 0, 'replay-failed': 0, 'dead-lettered': 1 },
      'bulkhead:pool': { rejected: 1, queued: 0, dequeued: 0 },
      'staleCache:prices': { fresh: 1, stale: 2, miss: 0 },
      'retry:r': { retries: 1 },
    });
    expect(tracker.snapshot().policies.map((p) => p.name)).toEqual([
      'db',
      'default',
      'mail',
      'pool',
      'prices',
      'r',
    ]);
    expect(tracker.snapshot().policies.find((p) => p.name === 'prices')?.lastEventAt).toBe(5);
  });

  it('record — keeps at most `policies` policies, forgetting the least recently active', () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const tracker = new ActivityTracker(telemetry, { clock, policies: 2 });
    for (const name of ['a', 'b', 'a', 'c']) {
      at(telemetry).cache(name, 'stale');
      clock.advance(1);
    }
    expect(tracker.snapshot().policies.map((p) => [p.name, p.counts.stale])).toEqual([
      ['a', 2],
      ['c', 1],
    ]);
  });
});

describe('breakerStats', () => {
  it('breakerStats — skips a source whose snapshot throws', () => {
    const telemetry = new Telemetry();
    const ok = new CircuitBreaker({ name: 'ok', telemetry });
    const broken = {
      name: 'broken',
      kind: 'breaker',
      snapshot: () => {
        throw new Error('no');
      },
    };
    telemetry.register(broken);
    expect(breakerStats(telemetry).map((s) => s.name)).toEqual([ok.name]);
  });
});

// docs/contract.md §12.1, §4, §5: every option with its default, trip rules, backoff.
import { describe, expect, it, vi } from 'vitest';
import { CallTimeoutError, CircuitBreaker, CircuitOpenError } from '../../src/index.js';
import { EventRecorder, FakeClock, seededRandom } from '../../src/testing/index.js';
import { boom, caught, deferred, failTimes, makeBreaker, ok, succeedTimes, timedCall } from './helpers.js';

describe('defaults', () => {
  it('name — defaults to "breaker"', () => {
    expect(new CircuitBreaker({ clock: new FakeClock() }).name).toBe('breaker');
  });

  it('failureThreshold — 5 failures open the circuit by default', async () => {
    const { breaker } = makeBreaker();
    await failTimes(breaker, 4);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('window — defaults to 10 s in 10 buckets: failures in the oldest bucket drop out at 10 s', async () => {
    const { breaker, clock } = makeBreaker();
    await failTimes(breaker, 4); // at t = 0, bucket [0, 1000)
    clock.advance(9_999);
    expect(breaker.stats.window.failures).toBe(4);
    clock.advance(1);
    expect(breaker.stats.window.failures).toBe(0);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('window — a failure late in the oldest default bucket still counts until the bucket drops out', async () => {
    const { breaker, clock } = makeBreaker();
    await failTimes(breaker, 4);
    clock.advance(9_999);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('recoveryTimeout — defaults to 30 s', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1 });
    await failTimes(breaker, 1);
    expect(breaker.stats.retryAfterMs).toBe(30_000);
    clock.advance(29_999);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half-open');
  });

  it('successThreshold — defaults to 2 probe successes', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1 });
    await failTimes(breaker, 1);
    clock.advance(30_000);
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('half-open');
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
  });

  it('timeout — defaults to 10 s and fails the call with CallTimeoutError', async () => {
    const { breaker, clock } = makeBreaker();
    const call = caught(breaker.execute(() => new Promise(() => undefined)));
    await clock.advanceAsync(9_999);
    expect(breaker.stats.inFlight).toBe(1);
    await clock.advanceAsync(1);
    const error = await call;
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ timeoutMs: 10_000, policy: 'breaker' });
    expect(breaker.stats.totals.timeouts).toBe(1);
    expect(breaker.stats.window.failures).toBe(1); // a timeout is a failure
  });

  it('minimumCalls — defaults to 10 before a rate rule may trip', async () => {
    const { breaker } = makeBreaker({ failureThreshold: Infinity, failureRateThreshold: 0.5 });
    await failTimes(breaker, 9);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
    expect(breaker.stats.window.calls).toBe(10);
  });
});

describe('windows', () => {
  it('window — a count window counts only the last size calls', async () => {
    const { breaker } = makeBreaker({ window: { type: 'count', size: 3 }, failureThreshold: 3 });
    await failTimes(breaker, 2);
    await succeedTimes(breaker, 1);
    await failTimes(breaker, 2); // last 3: S F F
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.window).toMatchObject({ calls: 3, failures: 2 });
    await failTimes(breaker, 1); // last 3: F F F
    expect(breaker.state).toBe('open');
  });

  it('window — a count window never forgets by age', async () => {
    const { breaker, clock } = makeBreaker({ window: { type: 'count', size: 5 }, failureThreshold: 2 });
    await failTimes(breaker, 1);
    clock.advance(24 * 3_600_000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('window — a consecutive window is reset by any success', async () => {
    const { breaker, clock } = makeBreaker({ window: { type: 'consecutive' }, failureThreshold: 3 });
    await failTimes(breaker, 2);
    await succeedTimes(breaker, 1);
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.window).toMatchObject({ calls: 2, failures: 2 });
    clock.advance(3_600_000);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('window — a time window forgets by whole buckets', async () => {
    // 1 s in 4 buckets of 250 ms.
    const { breaker, clock } = makeBreaker({
      window: { type: 'time', duration: 1_000, buckets: 4 },
      failureThreshold: 2,
    });
    clock.advance(249);
    await failTimes(breaker, 1); // bucket [0, 250)
    clock.advance(1); // t = 250
    await succeedTimes(breaker, 1); // bucket [250, 500)
    clock.advance(750); // t = 1000: the first bucket is out, after only 751 ms
    expect(breaker.stats.window).toMatchObject({ calls: 1, failures: 0 });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    clock.advance(249); // t = 1249: the success at 250 is still in
    expect(breaker.stats.window.calls).toBe(2);
    clock.advance(1);
    expect(breaker.stats.window).toMatchObject({ calls: 1, failures: 1 });
  });

  it('window — a time window without buckets uses 10', async () => {
    const { breaker, clock } = makeBreaker({ window: { type: 'time', duration: 100 } });
    await failTimes(breaker, 1);
    clock.advance(99);
    expect(breaker.stats.window.failures).toBe(1);
    clock.advance(1);
    expect(breaker.stats.window.failures).toBe(0);
  });
});

describe('trip rules', () => {
  it('failureRateThreshold — opens at exactly the threshold (≥)', async () => {
    const { breaker } = makeBreaker({
      failureThreshold: Infinity,
      failureRateThreshold: 0.5,
      minimumCalls: 4,
    });
    const recorder = new EventRecorder(breaker);
    await succeedTimes(breaker, 3);
    await failTimes(breaker, 1); // 1/4
    await failTimes(breaker, 1); // 2/5
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // 3/6 = 0.5
    expect(breaker.state).toBe('open');
    expect(recorder.of('stateChange')[0]).toMatchObject({ reason: 'failure-rate' });
  });

  it('failureRateThreshold — waits for minimumCalls (≥) even at a 100 % failure rate', async () => {
    const { breaker } = makeBreaker({ failureThreshold: Infinity, failureRateThreshold: 1, minimumCalls: 3 });
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('failureRateThreshold — 1 opens only when every call in the window failed', async () => {
    const { breaker } = makeBreaker({
      failureThreshold: Infinity,
      failureRateThreshold: 1,
      minimumCalls: 2,
      window: { type: 'count', size: 3 },
    });
    await succeedTimes(breaker, 1);
    await failTimes(breaker, 2); // S F F
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // F F F
    expect(breaker.state).toBe('open');
  });

  it('minimumCalls — on a count window is capped at the window size', async () => {
    const { breaker } = makeBreaker({
      failureThreshold: Infinity,
      failureRateThreshold: 0.5,
      window: { type: 'count', size: 4 },
    });
    await succeedTimes(breaker, 2);
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1); // 4 calls (the whole window), 2 failures
    expect(breaker.state).toBe('open');
  });

  it('failureThreshold — with a rate rule, whichever holds first opens', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 2, failureRateThreshold: 0.9, minimumCalls: 10 });
    const recorder = new EventRecorder(breaker);
    await failTimes(breaker, 2);
    expect(recorder.of('stateChange')[0]).toMatchObject({ reason: 'failure-threshold' });
  });

  it('failureRateThreshold — replaces the count rule: 5 failures out of 200 do not open', async () => {
    const { breaker } = makeBreaker({ failureRateThreshold: 0.5, minimumCalls: 20 });
    for (let i = 0; i < 39; i++) await succeedTimes(breaker, 5);
    await failTimes(breaker, 5);
    expect(breaker.stats.window).toMatchObject({ calls: 200, failures: 5 });
    expect(breaker.state).toBe('closed');
  });

  it('failureRateThreshold — alone, opens only by the rate once minimumCalls is reached', async () => {
    const { breaker } = makeBreaker({ failureRateThreshold: 0.5, minimumCalls: 20 });
    await failTimes(breaker, 19);
    expect(breaker.state).toBe('closed'); // 19 < minimumCalls: no rule holds
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('slowCallRateThreshold — alone, also replaces the count rule', async () => {
    const { breaker } = makeBreaker({ slowCallDuration: 100, slowCallRateThreshold: 0.5, minimumCalls: 20 });
    await failTimes(breaker, 6);
    expect(breaker.state).toBe('closed');
  });

  it('failureThreshold — given explicitly beside a rate rule, both apply', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 5, failureRateThreshold: 0.5, minimumCalls: 20 });
    for (let i = 0; i < 39; i++) await succeedTimes(breaker, 5);
    await failTimes(breaker, 5);
    expect(breaker.state).toBe('open');
  });

  it('slowCallDuration — a call taking at least the duration is slow; a slow success is a success and slow', async () => {
    const { breaker, clock } = makeBreaker({ slowCallDuration: 100 });
    const recorder = new EventRecorder(breaker);
    await timedCall(breaker, clock, 99);
    expect(breaker.stats.window.slowCalls).toBe(0);
    await timedCall(breaker, clock, 100);
    expect(breaker.stats.window).toMatchObject({ calls: 2, failures: 0, slowCalls: 1, slowCallRate: 0.5 });
    expect(breaker.stats.totals.successes).toBe(2);
    expect(recorder.of('success').map((e) => e.slow)).toEqual([false, true]);
    expect(recorder.of('success').map((e) => e.durationMs)).toEqual([99, 100]);
  });

  it('slowCallDuration — a slow failure is a failure and slow', async () => {
    const { breaker, clock } = makeBreaker({ slowCallDuration: 100 });
    const recorder = new EventRecorder(breaker);
    await timedCall(breaker, clock, 150, 'failure');
    expect(breaker.stats.window).toMatchObject({ calls: 1, failures: 1, slowCalls: 1 });
    expect(recorder.of('failure')[0]).toMatchObject({ slow: true, durationMs: 150 });
  });

  it('slowCallDuration — alone never opens the circuit', async () => {
    const { breaker, clock } = makeBreaker({ slowCallDuration: 10, minimumCalls: 1 });
    for (let i = 0; i < 20; i++) await timedCall(breaker, clock, 50);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.window.slowCallRate).toBe(1);
  });

  it('slowCallRateThreshold — opens when slow calls / calls reach the threshold', async () => {
    const { breaker, clock } = makeBreaker({
      slowCallDuration: 100,
      slowCallRateThreshold: 0.5,
      minimumCalls: 4,
      window: { type: 'count', size: 10 },
    });
    const recorder = new EventRecorder(breaker);
    await succeedTimes(breaker, 2);
    await timedCall(breaker, clock, 100); // 1/3 slow, below minimumCalls
    expect(breaker.state).toBe('closed');
    await timedCall(breaker, clock, 200); // 2/4 slow
    expect(breaker.state).toBe('open');
    expect(recorder.of('stateChange')[0]).toMatchObject({ reason: 'slow-call-rate' });
    expect(breaker.stats.totals).toMatchObject({ successes: 4, failures: 0 });
  });
});

describe('recoveryBackoff', () => {
  /** Trips a breaker with failureThreshold 1 and returns the open duration after each probe failure. */
  async function openDurations(
    breaker: CircuitBreaker,
    clock: FakeClock,
    reopens: number,
  ): Promise<number[]> {
    await failTimes(breaker, 1);
    const durations = [breaker.stats.retryAfterMs];
    for (let i = 0; i < reopens; i++) {
      clock.advance(breaker.stats.retryAfterMs);
      expect(breaker.state).toBe('half-open');
      await failTimes(breaker, 1);
      durations.push(breaker.stats.retryAfterMs);
    }
    return durations;
  }

  it('recoveryBackoff — multiplies the open duration on each re-open from half-open, capped at max', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { multiplier: 2, max: 5_000, jitter: 0 },
    });
    expect(await openDurations(breaker, clock, 4)).toEqual([1_000, 2_000, 4_000, 5_000, 5_000]);
  });

  it('recoveryBackoff — true uses multiplier 2, max 300 s and ±10 % jitter', async () => {
    // random() = 0.5 puts the jitter at its midpoint (factor 1); 0 and ~1 hit its bounds.
    const midpoint = makeBreaker({ failureThreshold: 1, recoveryBackoff: true, random: () => 0.5 });
    expect(await openDurations(midpoint.breaker, midpoint.clock, 5)).toEqual([
      30_000, 60_000, 120_000, 240_000, 300_000, 300_000,
    ]);
    const low = makeBreaker({ failureThreshold: 1, recoveryBackoff: true, random: () => 0 });
    expect(await openDurations(low.breaker, low.clock, 1)).toEqual([27_000, 54_000]);
  });

  it('recoveryBackoff — jitter spreads the duration by the seeded random source', async () => {
    const jitter = 0.25;
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { multiplier: 3, max: 100_000, jitter },
      random: seededRandom(42),
    });
    const draws = seededRandom(42);
    const expected = [1_000, 3_000, 9_000, 27_000].map((base) => base * (1 + jitter * (2 * draws() - 1)));
    const actual = await openDurations(breaker, clock, 3);
    expect(actual).toEqual(expected);
    for (const [i, d] of actual.entries()) {
      const base = [1_000, 3_000, 9_000, 27_000][i]!;
      expect(d).toBeGreaterThanOrEqual(base * (1 - jitter));
      expect(d).toBeLessThanOrEqual(base * (1 + jitter));
    }
    expect(new Set(actual.map((d, i) => d / 3 ** i)).size).toBeGreaterThan(1); // really jittered
  });

  it('recoveryBackoff — max bounds the open duration, jitter included', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 4_000,
      recoveryBackoff: { multiplier: 2, max: 5_000, jitter: 0.5 },
      random: () => 0.999,
    });
    // 4 000 ms jittered up by almost 50 % would be 5 996 ms, beyond max.
    expect(await openDurations(breaker, clock, 2)).toEqual([5_000, 5_000, 5_000]);
  });

  it('recoveryBackoff — full jitter at its low bound opens for 0 ms; a random source outside [0, 1) adds no jitter below 0', async () => {
    const zero = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { jitter: 1 },
      random: () => 0,
    });
    await failTimes(zero.breaker, 1);
    expect(zero.breaker.stats.retryAfterMs).toBe(0);
    expect(zero.breaker.state).toBe('half-open');
    const negative = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { jitter: 1, max: 3_000 },
      random: () => -1,
    });
    expect(await openDurations(negative.breaker, negative.clock, 2)).toEqual([1_000, 2_000, 3_000]);
    const high = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      recoveryBackoff: { jitter: 1, max: 3_000 },
      random: () => 2,
    });
    expect(await openDurations(high.breaker, high.clock, 1)).toEqual([3_000, 3_000]);
  });

  it('recoveryBackoff — is reset when the circuit closes', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      successThreshold: 1,
      recoveryBackoff: { jitter: 0 },
    });
    expect(await openDurations(breaker, clock, 2)).toEqual([1_000, 2_000, 4_000]);
    clock.advance(4_000);
    await succeedTimes(breaker, 1);
    expect(breaker.state).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.stats.retryAfterMs).toBe(1_000);
  });

  it('recoveryBackoff — a probe-deadline re-open grows the duration too', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      timeout: false,
      recoveryBackoff: { jitter: 0 },
    });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    const d = deferred();
    const probe = breaker.execute(() => d.promise);
    clock.advance(1_000);
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(2_000);
    d.resolve(0);
    await probe;
  });

  it('recoveryBackoff — off by default: every re-open uses recoveryTimeout', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 700 });
    expect(await openDurations(breaker, clock, 3)).toEqual([700, 700, 700, 700]);
  });
});

describe('classification', () => {
  it('isFailure — false marks the error ignored: rethrown untouched and not counted', async () => {
    class NotFound extends Error {}
    const notFound = new NotFound('404');
    const { breaker } = makeBreaker({ failureThreshold: 1, isFailure: (e) => !(e instanceof NotFound) });
    const recorder = new EventRecorder(breaker);
    for (let i = 0; i < 3; i++)
      expect(await caught(breaker.execute(() => Promise.reject(notFound)))).toBe(notFound);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.window.calls).toBe(0);
    expect(breaker.stats.totals).toMatchObject({ ignored: 3, failures: 0, calls: 3 });
    expect(recorder.of('ignored')).toHaveLength(3);
    expect(recorder.of('ignored')[0]).toMatchObject({ error: notFound, aborted: false });
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('open');
  });

  it('isFailure — an ignored probe releases its half-open permit', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 100,
      halfOpenRequests: 1,
      isFailure: (e) => e !== 'ignored',
    });
    await failTimes(breaker, 1);
    clock.advance(100);
    expect(await caught(breaker.execute(() => Promise.reject('ignored')))).toBe('ignored');
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats.probesInFlight).toBe(0);
    await expect(breaker.execute(ok('admitted'))).resolves.toBe('admitted');
  });

  it('isFailure — is given the thrown value', async () => {
    const isFailure = vi.fn(() => true);
    const { breaker } = makeBreaker({ isFailure });
    await caught(breaker.execute(() => Promise.reject('raw')));
    expect(isFailure).toHaveBeenCalledWith('raw');
  });

  it('isFailure — a classifier that throws counts the call as a failure and warns', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { breaker } = makeBreaker({
        failureThreshold: 1,
        isFailure: () => {
          throw new Error('classifier bug');
        },
      });
      const original = new Error('original');
      expect(await caught(breaker.execute(() => Promise.reject(original)))).toBe(original);
      expect(breaker.state).toBe('open');
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.map((w) => w.message).join('\n')).toContain('classifier bug');
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('isResultFailure — records a failure but the caller still receives the result', async () => {
    const result = { status: 503 };
    const { breaker } = makeBreaker({
      failureThreshold: 2,
      isResultFailure: (r) => (r as { status: number }).status >= 500,
    });
    const recorder = new EventRecorder(breaker);
    await expect(breaker.execute(ok(result))).resolves.toBe(result);
    await expect(breaker.execute(ok({ status: 200 }))).resolves.toEqual({ status: 200 });
    expect(breaker.stats.window).toMatchObject({ calls: 2, failures: 1 });
    expect(recorder.of('failure')[0]).toMatchObject({ error: undefined, result });
    await expect(breaker.execute(ok(result))).resolves.toBe(result);
    expect(breaker.state).toBe('open');
  });

  it('isResultFailure — a classifier that throws counts the call as a failure, as its warning says', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { breaker } = makeBreaker({
        failureThreshold: 1,
        isResultFailure: () => {
          throw new Error('result classifier bug');
        },
      });
      await expect(breaker.execute(ok('value'))).resolves.toBe('value');
      await new Promise((resolve) => setImmediate(resolve));
      const warning = warnings.map((w) => w.message).join('\n');
      expect(warning).toContain('result classifier bug');
      expect(warning).toContain('counts as a failure');
      expect(breaker.stats.totals.failures).toBe(1);
      expect(breaker.state).toBe('open');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('fallback', () => {
  it('fallback — answers a rejection in the open state, given the CircuitOpenError', async () => {
    const fallback = vi.fn((error: unknown) => (error instanceof CircuitOpenError ? 'cached' : 'other'));
    const { breaker } = makeBreaker({ failureThreshold: 1, fallback });
    await breaker.execute(boom());
    const fn = vi.fn(ok('live'));
    await expect(breaker.execute(fn)).resolves.toBe('cached');
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.stats.totals).toMatchObject({ rejected: 1, fallbacks: 2 });
  });

  it('fallback — answers a counted failure, which is still recorded', async () => {
    const failure = new Error('down');
    const fallback = vi.fn(() => 'default');
    const { breaker } = makeBreaker({ failureThreshold: 2, fallback });
    await expect(breaker.execute(() => Promise.reject(failure))).resolves.toBe('default');
    expect(fallback).toHaveBeenCalledWith(failure);
    expect(breaker.stats.window.failures).toBe(1);
    await breaker.execute(() => Promise.reject(failure));
    expect(breaker.state).toBe('open');
  });

  it('fallback — answers a timeout, given the CallTimeoutError', async () => {
    const fallback = vi.fn((error: unknown) => (error instanceof CallTimeoutError ? error.timeoutMs : -1));
    const { breaker, clock } = makeBreaker({ timeout: 50, fallback });
    const call = breaker.execute(() => new Promise<number>(() => undefined));
    await clock.advanceAsync(50);
    await expect(call).resolves.toBe(50);
  });

  it('fallback — may be async', async () => {
    const { breaker } = makeBreaker({ fallback: async () => 'later' });
    await expect(breaker.execute(boom())).resolves.toBe('later');
  });

  it('fallback — is never used for ignored errors', async () => {
    const fallback = vi.fn(() => 'default');
    const ignored = new Error('bad request');
    const { breaker } = makeBreaker({ fallback, isFailure: (e) => e !== ignored });
    expect(await caught(breaker.execute(() => Promise.reject(ignored)))).toBe(ignored);
    expect(fallback).not.toHaveBeenCalled();
  });

  it('fallback — is never used for a caller abort, before or during the call', async () => {
    const fallback = vi.fn(() => 'default');
    const { breaker } = makeBreaker({ fallback });
    const before = AbortSignal.abort('gone');
    expect(await caught(breaker.execute(ok(1), { signal: before }))).toBe('gone');
    const controller = new AbortController();
    const during = caught(breaker.execute(() => new Promise(() => undefined), { signal: controller.signal }));
    controller.abort('left');
    expect(await during).toBe('left');
    expect(fallback).not.toHaveBeenCalled();
  });

  it('fallback — a fallback that throws rejects the call with its error', async () => {
    const fallbackError = new Error('no cache either');
    const { breaker } = makeBreaker({
      failureThreshold: 1,
      fallback: () => {
        throw fallbackError;
      },
    });
    expect(await caught(breaker.execute(boom()))).toBe(fallbackError);
    expect(await caught(breaker.execute(ok(1)))).toBe(fallbackError); // open-state rejection
  });

  it('fallback — receives the wrapped function’s arguments after the error', async () => {
    const fallback = vi.fn((_error: unknown, ...args: unknown[]) => `fallback for ${args.join(',')}`);
    const { breaker } = makeBreaker({ failureThreshold: 1, fallback });
    const charge = breaker.wrap((order: string, amount: number) =>
      Promise.reject(new Error(`${order}:${amount}`)),
    );
    await expect(charge('o-1', 5)).resolves.toBe('fallback for o-1,5');
    expect(fallback).toHaveBeenLastCalledWith(expect.objectContaining({ message: 'o-1:5' }), 'o-1', 5);
    await expect(charge('o-2', 9)).resolves.toBe('fallback for o-2,9'); // rejected while open
    expect(fallback).toHaveBeenLastCalledWith(expect.any(CircuitOpenError), 'o-2', 9);
  });
});

describe('thrown values', () => {
  for (const [label, value] of [
    ['a string', 'plain string'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
  ] as const) {
    it(`execute — ${label} thrown is counted and rethrown as it was`, async () => {
      const { breaker } = makeBreaker({ failureThreshold: 2 });
      expect(await caught(breaker.execute(() => Promise.reject(value)))).toBe(value);
      expect(
        await caught(
          breaker.execute(() => {
            throw value;
          }),
        ),
      ).toBe(value);
      expect(breaker.stats.totals.failures).toBe(2);
      expect(breaker.state).toBe('open');
    });
  }

  for (const timeout of [10_000, false] as const) {
    it(`execute — a synchronous throw becomes a rejection (timeout ${String(timeout)})`, async () => {
      const { breaker } = makeBreaker({ timeout });
      const error = new Error('sync');
      let promise: Promise<unknown> | undefined;
      expect(() => {
        promise = breaker.execute(() => {
          throw error;
        });
      }).not.toThrow();
      expect(await caught(promise!)).toBe(error);
      expect(breaker.stats.totals.failures).toBe(1);
    });
  }

  it('wrap — a synchronous throw becomes a rejection', async () => {
    const { breaker } = makeBreaker();
    const wrapped = breaker.wrap((): number => {
      throw new Error('sync');
    });
    let promise: Promise<number> | undefined;
    expect(() => (promise = wrapped())).not.toThrow();
    await expect(promise).rejects.toThrow('sync');
  });

  it('execute — a non-function is rejected with a TypeError naming the breaker', async () => {
    const { breaker } = makeBreaker({ name: 'db' });
    const error = await caught(breaker.execute(42 as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toContain('"db"');
  });
});

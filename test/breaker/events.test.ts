// docs/contract.md §9 (events): payloads, order, disposal, and listeners that throw.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CallTimeoutError, CircuitOpenError } from '../../src/index.js';
import { EventRecorder } from '../../src/testing/index.js';
import { boom, caught, deferred, failTimes, makeBreaker, ok, succeedTimes, timedCall } from './helpers.js';

describe('event payloads', () => {
  it('on — stateChange carries from, to, reason and the new generation', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 100,
      successThreshold: 1,
    });
    const recorder = new EventRecorder(breaker);
    await failTimes(breaker, 1);
    clock.advance(100);
    await succeedTimes(breaker, 1);
    breaker.isolate();
    breaker.disable();
    breaker.metricsOnly();
    breaker.reset();
    expect(recorder.of('stateChange')).toEqual([
      { from: 'closed', to: 'open', reason: 'failure-threshold', generation: 1 },
      { from: 'open', to: 'half-open', reason: 'recovery-timeout', generation: 2 },
      { from: 'half-open', to: 'closed', reason: 'probe-success', generation: 3 },
      { from: 'closed', to: 'isolated', reason: 'isolate', generation: 4 },
      { from: 'isolated', to: 'disabled', reason: 'disable', generation: 5 },
      { from: 'disabled', to: 'metrics-only', reason: 'metrics-only', generation: 6 },
      { from: 'metrics-only', to: 'closed', reason: 'reset', generation: 7 },
    ]);
  });

  it('on — success and failure carry duration, slowness and the call’s generation', async () => {
    const { breaker, clock } = makeBreaker({ slowCallDuration: 50 });
    const recorder = new EventRecorder(breaker);
    await timedCall(breaker, clock, 20);
    const error = await timedCall(breaker, clock, 70, 'failure');
    expect(recorder.events).toEqual([
      { type: 'success', event: { durationMs: 20, slow: false, generation: 0 } },
      { type: 'failure', event: { durationMs: 70, slow: true, generation: 0, error } },
    ]);
  });

  it('on — timeout carries duration and timeoutMs, followed by fallback with the error', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 30, fallback: () => 'fb' });
    const recorder = new EventRecorder(breaker);
    const call = breaker.execute(() => new Promise(() => undefined));
    await clock.advanceAsync(30);
    await expect(call).resolves.toBe('fb');
    expect(recorder.types()).toEqual(['timeout', 'fallback']);
    expect(recorder.of('timeout')[0]).toEqual({ durationMs: 30, timeoutMs: 30, generation: 0 });
    expect(recorder.of('fallback')[0]?.error).toBeInstanceOf(CallTimeoutError);
  });

  it('on — rejected carries the rejecting state and retryAfterMs', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      halfOpenRequests: 1,
    });
    await failTimes(breaker, 1);
    const recorder = new EventRecorder(breaker);
    clock.advance(300);
    await caught(breaker.execute(ok(1)));
    clock.advance(700);
    const probe = deferred();
    const running = breaker.execute(() => probe.promise);
    await caught(breaker.execute(ok(1)));
    breaker.isolate();
    await caught(breaker.execute(ok(1)));
    expect(recorder.of('rejected')).toEqual([
      { state: 'open', retryAfterMs: 700 },
      { state: 'half-open', retryAfterMs: 0 },
      { state: 'isolated', retryAfterMs: Infinity },
    ]);
    probe.resolve(0);
    await running;
  });

  it('on — a rejection answered by the fallback reports rejected, then fallback', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1, fallback: () => 'fb' });
    await breaker.execute(() => Promise.reject(new Error('x')));
    const recorder = new EventRecorder(breaker);
    await breaker.execute(ok(1));
    expect(recorder.types()).toEqual(['rejected', 'fallback']);
    expect(recorder.of('fallback')[0]?.error).toBeInstanceOf(CircuitOpenError);
  });

  it('on — ignored carries the error and whether it was a caller abort', async () => {
    const ignored = new Error('4xx');
    const { breaker } = makeBreaker({ isFailure: (e) => e !== ignored });
    const recorder = new EventRecorder(breaker);
    await caught(breaker.execute(() => Promise.reject(ignored)));
    const controller = new AbortController();
    const call = caught(breaker.execute(() => new Promise(() => undefined), { signal: controller.signal }));
    controller.abort('bye');
    await call;
    expect(recorder.of('ignored')).toEqual([
      { durationMs: 0, error: ignored, aborted: false, generation: 0 },
      { durationMs: 0, error: 'bye', aborted: true, generation: 0 },
    ]);
  });
});

describe('event order', () => {
  it('on — the failure that trips the circuit is reported before the stateChange it causes', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 2, fallback: () => 'fb' });
    const recorder = new EventRecorder(breaker);
    const generationsSeen: [number, number][] = [];
    breaker.on('failure', (e) => generationsSeen.push([e.generation, breaker.stats.generation]));
    for (let i = 0; i < 2; i++) expect(await breaker.execute(boom())).toBe('fb'); // the fallback answers
    expect(recorder.types()).toEqual(['failure', 'fallback', 'failure', 'stateChange', 'fallback']);
    // When a failure is reported, its generation is still the breaker's: it is not a late outcome.
    expect(generationsSeen).toEqual([
      [0, 0],
      [0, 0],
    ]);
  });

  it('on — the probe success that closes the circuit is reported before the stateChange', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 10, successThreshold: 1 });
    await failTimes(breaker, 1);
    clock.advance(10);
    const recorder = new EventRecorder(breaker);
    await succeedTimes(breaker, 1);
    expect(recorder.types()).toEqual(['stateChange', 'success', 'stateChange']);
    expect(recorder.transitions()).toEqual(['open->half-open', 'half-open->closed']);
  });

  it('on — a timeout that re-opens a half-open circuit is reported before the stateChange', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 10, timeout: 5 });
    await failTimes(breaker, 1);
    clock.advance(10);
    expect(breaker.state).toBe('half-open');
    const recorder = new EventRecorder(breaker);
    const call = caught(breaker.execute(() => new Promise(() => undefined)));
    await clock.advanceAsync(5);
    await call;
    expect(recorder.types()).toEqual(['timeout', 'stateChange']);
  });

  it('on — a late outcome is reported with its old generation', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1 });
    const recorder = new EventRecorder(breaker);
    const d = deferred();
    const call = breaker.execute(() => d.promise);
    breaker.reset();
    d.resolve(1);
    await call;
    expect(recorder.of('success')[0]?.generation).toBe(0);
    expect(breaker.stats.generation).toBe(1);
  });
});

describe('subscriptions', () => {
  it('dispose — unsubscribes the listener', async () => {
    const { breaker } = makeBreaker();
    const seen: number[] = [];
    const subscription = breaker.on('success', (e) => seen.push(e.generation));
    await succeedTimes(breaker, 1);
    subscription.dispose();
    subscription.dispose(); // twice is harmless
    await succeedTimes(breaker, 1);
    expect(seen).toHaveLength(1);
  });

  it('Symbol.dispose — unsubscribes at the end of a using block', async () => {
    const { breaker } = makeBreaker();
    let count = 0;
    {
      using subscription = breaker.on('failure', () => count++);
      await failTimes(breaker, 1);
      expect(count).toBe(1); // subscribed inside the block
      expect(subscription[Symbol.dispose]).toBeInstanceOf(Function);
    }
    await failTimes(breaker, 1);
    expect(count).toBe(1);
  });

  it('dispose — removes only its own listener', async () => {
    const { breaker } = makeBreaker();
    const listener = (): void => void seen.push('shared');
    const seen: string[] = [];
    const first = breaker.on('success', listener);
    breaker.on('success', listener);
    first.dispose();
    await succeedTimes(breaker, 1);
    expect(seen).toEqual(['shared']);
  });

  it('on — a listener that is not a function is a TypeError', () => {
    const { breaker } = makeBreaker();
    expect(() => breaker.on('success', 'nope' as never)).toThrow(TypeError);
  });
});

describe('throwing listeners', () => {
  let warnings: Error[];
  const onWarning = (warning: Error): void => void warnings.push(warning);
  beforeEach(() => {
    warnings = [];
    process.on('warning', onWarning);
  });
  afterEach(() => {
    process.off('warning', onWarning);
  });

  it('on — a throwing listener affects neither the call nor the breaker, and is reported as a warning', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 2, recoveryTimeout: 10 });
    for (const event of ['success', 'failure', 'stateChange', 'rejected'] as const) {
      breaker.on(event, () => {
        throw new Error(`listener of ${event} broke`);
      });
    }
    const later: string[] = [];
    breaker.on('failure', () => later.push('still called'));
    await expect(breaker.execute(ok('fine'))).resolves.toBe('fine');
    await failTimes(breaker, 2);
    expect(breaker.state).toBe('open');
    expect(await caught(breaker.execute(ok(1)))).toBeInstanceOf(CircuitOpenError);
    clock.advance(10);
    expect(breaker.state).toBe('half-open');
    expect(later).toEqual(['still called', 'still called']);
    await new Promise((resolve) => setImmediate(resolve));
    const messages = warnings.map((w) => w.message).join('\n');
    for (const event of ['success', 'failure', 'stateChange', 'rejected'])
      expect(messages).toContain(`listener of ${event} broke`);
    expect(warnings.every((w) => w.name === 'BreakwaterListenerWarning')).toBe(true);
  });

  it('on — a listener throwing a non-Error is reported too', async () => {
    const { breaker } = makeBreaker();
    breaker.on('success', () => {
      throw 'just a string';
    });
    await expect(breaker.execute(ok(1))).resolves.toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    expect(warnings.map((w) => w.message).join('\n')).toContain('just a string');
  });
});

describe('outcome listeners time the calls they hear about', () => {
  for (const event of ['failure', 'ignored'] as const) {
    it(`on — a ${event} listener alone, without call timeouts, gets the call's real duration`, async () => {
      const { breaker, clock } = makeBreaker({
        timeout: false,
        isFailure: (error) => (error as Error).message !== 'ignore',
      });
      const durations: number[] = [];
      breaker.on(event, (e) => durations.push(e.durationMs));
      const d = deferred();
      const call = breaker.execute(() => d.promise);
      clock.advance(5);
      d.reject(new Error(event === 'failure' ? 'down' : 'ignore'));
      await caught(call);
      expect(durations).toEqual([5]);
    });
  }
});

describe('a timeout listener times the calls too', () => {
  it('on — with a timeout listener alone, a success is counted in the bucket where it settled', async () => {
    // Window buckets of 1,000 ms. A call started at 500 and settled at 1,500 is timed (someone
    // listens for outcomes), so it is counted at 1,500; at 10,500 the bucket of 0–1,000 has left
    // the window, the one of 1,000–2,000 has not.
    const { breaker, clock } = makeBreaker({
      timeout: 5_000,
      window: { type: 'time', duration: 10_000, buckets: 10 },
    });
    const timeouts: number[] = [];
    breaker.on('timeout', (e) => timeouts.push(e.durationMs));
    clock.advance(500);
    const d = deferred<string>();
    const call = breaker.execute(() => d.promise);
    clock.advance(1_000);
    d.resolve('done');
    await expect(call).resolves.toBe('done');
    expect(breaker.stats.window.calls).toBe(1);
    clock.advance(9_000);
    expect(breaker.stats.window.calls).toBe(1);
    clock.advance(1_000);
    expect(breaker.stats.window.calls).toBe(0);
    expect(timeouts).toEqual([]);
  });
});

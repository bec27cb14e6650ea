// recoveryTimeout: 0 — straight from open to half-open. With call timeouts it works with every trip
// rule; without them it is refused, because recoveryTimeout is then the probes' deadline.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { caught, failTimes, makeBreaker, succeedTimes } from './helpers.js';

describe('CircuitBreaker — recoveryTimeout: 0', () => {
  it('constructor — refuses recoveryTimeout: 0 with timeout: false, naming recoveryTimeout', () => {
    // Every probe was past its deadline (0 ms) when admitted: 200 healthy calls left it half-open.
    expect(() => new CircuitBreaker({ clock: new FakeClock(), recoveryTimeout: 0, timeout: false })).toThrow(
      expect.objectContaining({
        name: 'RangeError',
        message: expect.stringMatching(/recoveryTimeout must be > 0 when timeout is false.*\(got 0\)/),
      }),
    );
  });

  it('constructor — accepts the smallest recoveryTimeout with timeout: false, and probes then close the circuit', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1, timeout: false });
    await failTimes(breaker, 1);
    clock.advance(1);
    await succeedTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });

  const rules: Record<string, CircuitBreakerOptions> = {
    'the failure count': { failureThreshold: 1 },
    'a consecutive window': { failureThreshold: 1, window: { type: 'consecutive' } },
    'the failure rate': { failureRateThreshold: 0.5, minimumCalls: 1, window: { type: 'count', size: 4 } },
    'the slow-call rate': {
      failureThreshold: 1,
      slowCallDuration: 5,
      slowCallRateThreshold: 0.5,
      minimumCalls: 1,
    },
    recoveryBackoff: { failureThreshold: 1, recoveryBackoff: true },
  };
  for (const [label, options] of Object.entries(rules)) {
    it(`execute — with the default timeout and ${label}: open, at once half-open, closed by probe successes`, async () => {
      const { breaker } = makeBreaker({ ...options, recoveryTimeout: 0 });
      await failTimes(breaker, 1);
      expect(breaker.stats.totals.failures).toBe(1);
      expect(breaker.state).toBe('half-open');
      expect(breaker.stats.retryAfterMs).toBe(0);
      await succeedTimes(breaker, 1);
      expect(breaker.state).toBe('half-open');
      await succeedTimes(breaker, 1); // successThreshold: 2
      expect(breaker.state).toBe('closed');
      await succeedTimes(breaker, 200);
      expect(breaker.state).toBe('closed');
      expect(breaker.stats.totals).toMatchObject({ successes: 202, failures: 1 });
    });
  }

  it('execute — a probe failure re-opens for 0 ms, and half-open still bounds the probes', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 0, halfOpenRequests: 1 });
    await failTimes(breaker, 2); // the second is a probe: open again, and at once half-open
    expect(breaker.state).toBe('half-open');
    let release!: () => void;
    const probe = breaker.execute(() => new Promise<void>((resolve) => (release = resolve)));
    expect(await caught(breaker.execute(() => Promise.resolve(1)))).toMatchObject({ state: 'half-open' });
    release();
    await probe;
  });

  it('execute — an ignored error of a closed-state call started at the same instant as a probe leaves the probe its permit', async () => {
    const { breaker } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 0,
      halfOpenRequests: 1,
      isFailure: (error) => (error as Error).message !== 'ignore',
    });
    let ignore!: () => void;
    const early = breaker.execute(
      () => new Promise<never>((_, reject) => (ignore = () => reject(new Error('ignore')))),
    );
    await failTimes(breaker, 1); // open, and at once half-open: all at t = 0
    let release!: () => void;
    const probe = breaker.execute(() => new Promise<void>((resolve) => (release = resolve)));
    expect(breaker.stats.probesInFlight).toBe(1);
    ignore(); // started at t = 0 too, in an older generation: not a probe
    expect(await caught(early)).toMatchObject({ message: 'ignore' });
    expect(breaker.stats.probesInFlight).toBe(1);
    expect(await caught(breaker.execute(() => Promise.resolve(1)))).toMatchObject({ state: 'half-open' });
    release();
    await probe;
    expect(breaker.stats.probesInFlight).toBe(0);
  });

  it('execute — recoveryBackoff on 0 ms stays 0 ms after more re-opens than the factor can count (never NaN)', async () => {
    // 2 ** 1024 is Infinity and 0 × Infinity is NaN: an open period of NaN never ends.
    const { breaker } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 0, recoveryBackoff: true });
    await failTimes(breaker, 1_100);
    expect(breaker.stats.retryAfterMs).toBe(0);
    expect(breaker.state).toBe('half-open');
    await succeedTimes(breaker, 2);
    expect(breaker.state).toBe('closed');
  });
});

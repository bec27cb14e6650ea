// Minimal reproductions of the disagreements the reference model found (see docs/contract.md §5.2 and §6.4).
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

describe('CircuitBreaker — recoveryBackoff.max', () => {
  it('execute — the open duration never exceeds max, jitter included', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      recoveryTimeout: 96,
      recoveryBackoff: { multiplier: 1, max: 100, jitter: 0.05 },
      random: () => 0.99, // the largest spread: 96 × 1.049 > 100
    });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(breaker.stats.retryAfterMs).toBe(100);
  });
});

describe('CircuitBreaker — probe deadline without timeouts', () => {
  function halfOpenWithProbe(isFailure?: (e: unknown) => boolean) {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      recoveryTimeout: 100,
      successThreshold: 1,
      timeout: false,
      ...(isFailure === undefined ? {} : { isFailure }),
    });
    let succeed!: () => void;
    let fail!: (e: unknown) => void;
    const start = async () => {
      await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
      clock.advance(100);
      expect(breaker.state).toBe('half-open');
      const probe = breaker
        .execute(
          () => new Promise<string>((resolve, reject) => ((succeed = () => resolve('ok')), (fail = reject))),
        )
        .catch((e: unknown) => e);
      return { generation: breaker.stats.generation, probe };
    };
    return { clock, breaker, start, succeed: () => succeed(), fail: (e: unknown) => fail(e) };
  }

  it('state — the re-open counts from the probe deadline, so a late read shows half-open, not a stale open', async () => {
    const h = halfOpenWithProbe();
    const { generation } = await h.start();
    h.clock.advance(210); // deadline at 200, open until 300, read at 310
    expect(h.breaker.state).toBe('half-open');
    expect(h.breaker.stats.generation).toBe(generation + 2);
  });

  it('execute — a probe success arriving after its unobserved deadline does not close the circuit', async () => {
    const h = halfOpenWithProbe();
    const { generation } = await h.start();
    h.clock.advance(150); // deadline at 200 passed, nobody looked
    h.succeed();
    await settle();
    expect(h.breaker.stats).toMatchObject({ state: 'open', generation: generation + 1, retryAfterMs: 50 });
  });

  it('execute — an ignored error after an unobserved probe deadline does not undo the re-open', async () => {
    const h = halfOpenWithProbe((e) => !(e instanceof TypeError));
    const { generation } = await h.start();
    h.clock.advance(150);
    h.fail(new TypeError('ignored'));
    await settle();
    expect(h.breaker.stats).toMatchObject({ state: 'open', generation: generation + 1 });
  });
});

describe('CircuitBreaker — manual actions after an unread open period', () => {
  const actions = ['isolate', 'disable', 'metricsOnly', 'reset'] as const;
  const reached = { isolate: 'isolated', disable: 'disabled', metricsOnly: 'metrics-only', reset: 'closed' };
  for (const action of actions) {
    it(`${action} — the due open → half-open happens first: no stale "from: open", no generation skipped`, async () => {
      const clock = new FakeClock();
      const breaker = new CircuitBreaker({
        clock,
        failureThreshold: 1,
        recoveryTimeout: 100,
        timeout: false,
      });
      const changes: string[] = [];
      breaker.on('stateChange', (e) => changes.push(`${e.from}>${e.to}:${e.reason}:${e.generation}`));
      await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
      clock.advance(100); // the open period ends; nobody reads the breaker
      breaker[action]();
      expect(changes).toEqual([
        'closed>open:failure-threshold:1',
        'open>half-open:recovery-timeout:2',
        `half-open>${reached[action]}:${action === 'metricsOnly' ? 'metrics-only' : action}:3`,
      ]);
      expect(breaker.stats.generation).toBe(3);
    });
  }
});

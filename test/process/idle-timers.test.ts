import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

const TIMEOUT = 1_000;

function setup(timeout: number | false = TIMEOUT) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ clock, timeout, failureThreshold: 3, recoveryTimeout: 5_000 });
  return { clock, breaker };
}

describe('CircuitBreaker — timers while idle (docs/contract.md §1.3, §18.2)', () => {
  it('constructor — a breaker never used holds no timer, even after its state and stats are read', () => {
    const { clock, breaker } = setup();
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.inFlight).toBe(0);
    breaker.toJSON();
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — no timer is left once calls have settled and one timeout period has passed', async () => {
    const { clock, breaker } = setup();
    await breaker.execute(async () => 'ok');
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const caller = new AbortController();
    const aborted = breaker
      .execute(() => new Promise(() => {}), { signal: caller.signal })
      .catch(() => undefined);
    caller.abort(new Error('gave up'));
    await aborted;
    const hung = breaker.execute(() => new Promise(() => {})).catch((e: unknown) => e);
    expect(clock.pendingTimers).toBeGreaterThan(0); // the deadline of the hung call
    await clock.advanceAsync(TIMEOUT);
    expect(await hung).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(breaker.stats.inFlight).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — many calls in flight share one deadline timer', async () => {
    const { clock, breaker } = setup();
    const releases: (() => void)[] = [];
    const calls = Array.from({ length: 100 }, () =>
      breaker.execute(() => new Promise<void>((resolve) => releases.push(resolve))),
    );
    expect(clock.pendingTimers).toBe(1);
    for (const release of releases) release();
    await Promise.all(calls);
    await clock.advanceAsync(TIMEOUT);
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — breakers on one clock share one timer: none is held per breaker', async () => {
    const clock = new FakeClock();
    const breakers = Array.from(
      { length: 200 },
      (_, i) => new CircuitBreaker({ clock, name: `b${String(i)}`, timeout: 1_000 + i }),
    );
    const hung = breakers.map((b) => b.execute(() => new Promise(() => {})).catch((e: unknown) => e));
    expect(clock.pendingTimers).toBe(1);
    for (const b of breakers) await b.execute(async () => 'ok');
    expect(clock.pendingTimers).toBe(1);
    await clock.advanceAsync(1_000);
    expect(await hung[0]).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(breakers[1]?.stats.inFlight).toBe(1); // its deadline is 1 ms later
    await clock.advanceAsync(199);
    for (const answer of await Promise.all(hung)) expect(answer).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(clock.pendingTimers).toBe(0);
  });

  it('state — an open circuit waits for its recovery without any timer', async () => {
    const { clock, breaker } = setup(false);
    for (let i = 0; i < 3; i++)
      await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5_000);
    expect(breaker.state).toBe('half-open');
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — a timer left armed by settled calls lapses without re-arming', async () => {
    const { clock, breaker } = setup();
    for (let i = 0; i < 10; i++) await breaker.execute(async () => i);
    expect(clock.pendingTimers).toBeLessThanOrEqual(1);
    expect(await clock.advanceAsync(TIMEOUT * 10)).toBeLessThanOrEqual(1); // at most one firing
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('CircuitBreaker — late rejections (docs/contract.md §18.1)', () => {
  it('execute — functions that reject after their timeout or a caller abort leave no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      const { clock, breaker } = setup();
      const rejecters: ((e: unknown) => void)[] = [];
      const hang = () => new Promise<never>((_, reject) => rejecters.push(reject));
      const timedOut = [breaker.execute(hang), breaker.execute(hang)].map((p) => p.catch((e: unknown) => e));
      const caller = new AbortController();
      const aborted = breaker.execute(hang, { signal: caller.signal }).catch((e: unknown) => e);
      caller.abort(new Error('gave up'));
      await clock.advanceAsync(TIMEOUT);
      for (const answer of await Promise.all(timedOut))
        expect(answer).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
      expect(await aborted).toMatchObject({ message: 'gave up' });
      rejecters.forEach((reject, i) => reject(i === 0 ? 'a string' : new Error(`late ${i}`)));
      await settle();
      // Node reports unhandled rejections when a tick's microtasks are done: by the next
      // macrotask every late rejection above has been either handled or reported.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      expect(breaker.stats.totals).toMatchObject({ calls: 3, timeouts: 2, ignored: 1, failures: 0 });
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});

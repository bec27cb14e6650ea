import util from 'node:util';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, isCircuitOpenError, type Clock } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** A FakeClock that counts its readings. */
function countingClock(): { clock: Clock; readings: () => number } {
  const inner = new FakeClock();
  let readings = 0;
  const clock: Clock = {
    now: () => {
      readings++;
      return inner.now();
    },
    setTimeout: (fn, ms) => inner.setTimeout(fn, ms),
    clearTimeout: (handle) => {
      inner.clearTimeout(handle);
    },
  };
  return { clock, readings: () => readings };
}

describe('hot path mechanisms', () => {
  it('execute — closed successes without rate or slow rules read the clock once every 64 calls: no more, no less', async () => {
    const { clock, readings } = countingClock();
    const breaker = new CircuitBreaker({ clock, timeout: false });
    const before = readings();
    const gaps: number[] = [];
    let last = readings();
    for (let i = 0; i < 640; i++) {
      await breaker.execute(async () => i);
      if (readings() !== last) {
        gaps.push(i);
        last = readings();
      }
    }
    expect(readings() - before).toBeLessThanOrEqual(640 / 64 + 1);
    expect(readings() - before).toBeGreaterThanOrEqual(640 / 64 - 1);
    // At least every 64 calls (README): no run of more than 64 calls without a reading.
    for (let k = 1; k < gaps.length; k++) expect(gaps[k]! - gaps[k - 1]!).toBeLessThanOrEqual(64);
    expect(gaps[0]!).toBeLessThan(64);
    expect(640 - 1 - gaps.at(-1)!).toBeLessThan(64);
    expect(breaker.stats.window.calls).toBe(640);
  });

  for (const window of [{ type: 'count', size: 10 }, { type: 'consecutive' }] as const) {
    it(`execute — a ${window.type} window counts untimed successes without a clock reading but every 64th`, async () => {
      const { clock, readings } = countingClock();
      const breaker = new CircuitBreaker({ clock, timeout: false, window });
      const before = readings();
      for (let i = 0; i < 63; i++) await breaker.execute(async () => i);
      expect(readings() - before).toBe(0);
      await breaker.execute(async () => 63);
      expect(readings() - before).toBe(1);
    });
  }

  it('execute — a stateChange listener leaves calls untimed; an outcome listener times them', async () => {
    const { clock, readings } = countingClock();
    const breaker = new CircuitBreaker({ clock, timeout: false });
    breaker.on('stateChange', () => undefined);
    let before = readings();
    for (let i = 0; i < 64; i++) await breaker.execute(async () => i);
    expect(readings() - before).toBeLessThanOrEqual(2);
    const durations: number[] = [];
    breaker.on('success', ({ durationMs }) => durations.push(durationMs));
    before = readings();
    for (let i = 0; i < 10; i++) await breaker.execute(async () => i);
    expect(readings() - before).toBe(20); // start and end of each call
    expect(durations).toHaveLength(10);
    expect(durations.every((d) => d === 0)).toBe(true);
  });

  it('execute — a timed call (timeout on) reads the clock once when it succeeds in closed', async () => {
    const { clock, readings } = countingClock();
    const breaker = new CircuitBreaker({ clock });
    const before = readings();
    for (let i = 0; i < 10; i++) await breaker.execute(async () => i);
    expect(readings() - before).toBe(11); // one per call, and one to arm the shared deadline timer once
    expect(breaker.stats.window.calls).toBe(10);
  });

  it('execute — without a timeout or fallback the caller gets the function’s own promise, already observed', async () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock(), timeout: false, failureThreshold: 1 });
    const value = Promise.resolve('v');
    expect(breaker.execute(() => value)).toBe(value);
    const failure = Promise.reject(new Error('down'));
    const returned = breaker.execute(() => failure);
    expect(returned).toBe(failure);
    await expect(returned).rejects.toThrow('down');
    expect(breaker.state).toBe('open');
  });

  it('execute — a timed call that settled leaves nothing queued: the deadline timer lapses at the first deadline', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, timeout: 1_000 });
    await breaker.execute(async () => 1);
    clock.advance(500);
    await breaker.execute(async () => 2);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(500);
    expect(clock.pendingTimers).toBe(0);
    expect(breaker.stats.totals).toMatchObject({ successes: 2, timeouts: 0 });
  });

  it('CircuitOpenError — a rejection is a full CircuitOpenError without a captured stack', async () => {
    const breaker = new CircuitBreaker({ name: 'db', clock: new FakeClock() });
    breaker.isolate();
    const error: unknown = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(Error);
    expect(isCircuitOpenError(error)).toBe(true);
    const e = error as CircuitOpenError;
    expect(e.message).toBe('circuit "db" is isolated');
    expect(e.name).toBe('CircuitOpenError');
    expect(e.stack).toBe('CircuitOpenError: circuit "db" is isolated');
    expect(String(e)).toBe('CircuitOpenError: circuit "db" is isolated');
    expect(util.inspect(e)).toContain('circuit "db" is isolated');
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      breaker: 'db',
      state: 'isolated',
    });
  });
});

import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError, isCircuitOpenError } from '../../src/index.js';
import { EventRecorder, FakeClock } from '../../src/testing/index.js';

describe('CircuitBreaker — smoke', () => {
  it('opens after 5 failures, fails fast, probes and closes', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, name: 'db' });
    const rec = new EventRecorder(breaker);
    const boom = () => Promise.reject(new Error('boom'));
    for (let i = 0; i < 5; i++) await expect(breaker.execute(boom)).rejects.toThrow('boom');
    expect(breaker.state).toBe('open');
    const err: unknown = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(err)).toBe(true);
    clock.advance(30_000);
    expect(breaker.state).toBe('half-open');
    await expect(breaker.execute(async () => 1)).resolves.toBe(1);
    await expect(breaker.execute(async () => 2)).resolves.toBe(2);
    expect(breaker.state).toBe('closed');
    expect(rec.transitions()).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
  });

  it('times out a hanging call', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, timeout: 100 });
    let aborted = false;
    const p = breaker.execute(
      ({ signal }) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          }),
        ),
    );
    const caught = p.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await caught).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(aborted).toBe(true);
    expect(clock.pendingTimers).toBe(0);
  });
});

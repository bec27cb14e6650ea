import { describe, expect, it } from 'vitest';
import { CircuitBreaker, isCircuitOpenError } from '../../src/index.js';
import { EventRecorder, FakeClock } from '../../src/testing/index.js';
import { breakerIn } from '../support/breakers.js';

async function tripped(clock: FakeClock): Promise<CircuitBreaker> {
  return (await breakerIn('open', { clock })).breaker;
}

describe('CircuitBreaker.extendOpen', () => {
  it('extendOpen — lengthens the open period without a transition', async () => {
    const clock = new FakeClock();
    const breaker = await tripped(clock);
    const rec = new EventRecorder(breaker);
    const generation = breaker.stats.generation;
    expect(breaker.extendOpen(5_000)).toBe(true);
    expect(breaker.stats.retryAfterMs).toBe(5_000);
    expect(breaker.stats.generation).toBe(generation);
    clock.advance(1_000);
    expect(breaker.state).toBe('open');
    const error: unknown = await breaker.execute(async () => 1).catch((e: unknown) => e);
    expect(isCircuitOpenError(error) && error.retryAfterMs).toBe(4_000);
    clock.advance(4_000);
    expect(breaker.state).toBe('half-open');
    expect(rec.transitions()).toEqual(['open->half-open']);
  });

  it('extendOpen — never shortens the open period', async () => {
    const clock = new FakeClock();
    const breaker = await tripped(clock);
    expect(breaker.extendOpen(500)).toBe(false);
    expect(breaker.stats.retryAfterMs).toBe(1_000);
  });

  it('extendOpen — does nothing unless open', async () => {
    const clock = new FakeClock();
    const closed = new CircuitBreaker({ clock });
    expect(closed.extendOpen(5_000)).toBe(false);
    expect(closed.state).toBe('closed');
    const breaker = await tripped(clock);
    clock.advance(1_000); // due: the read inside extendOpen turns it half-open first
    expect(breaker.extendOpen(5_000)).toBe(false);
    expect(breaker.state).toBe('half-open');
  });

  it('extendOpen — rejects a bad duration', () => {
    const breaker = new CircuitBreaker({ name: 'db' });
    for (const bad of [-1, Number.NaN, Infinity, '5' as unknown as number]) {
      expect(() => breaker.extendOpen(bad)).toThrow(/breaker "db": extendOpen\(ms\)/);
    }
  });

  it('extendOpen — survives a snapshot', async () => {
    const clock = new FakeClock();
    const breaker = await tripped(clock);
    breaker.extendOpen(9_000);
    expect(breaker.toJSON()).toMatchObject({ state: 'open', openRemainingMs: 9_000 });
  });
});

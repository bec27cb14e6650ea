/**
 * Breakers in each state, on a fake clock, for tests that need one as a starting point.
 * `breakerIn('half-open')` is a breaker that tripped and whose recovery timeout has passed.
 */
import { expect } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

export type BreakerState = 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled' | 'metrics-only';

const down = (): Promise<never> => Promise.reject(new Error('down'));

/** Fails calls through `breaker` until it leaves `closed`; fails the test unless it is then open. */
export async function trip(breaker: CircuitBreaker, limit = 10_000): Promise<void> {
  for (let i = 0; i < limit && breaker.state === 'closed'; i++)
    await breaker.execute(down).catch(() => undefined);
  expect(breaker.state).toBe('open');
}

/**
 * A breaker in `state` on a fresh FakeClock (or `options.clock`): by default failureThreshold 1,
 * recoveryTimeout 1,000 ms and no call timeout, so tests can state its numbers.
 */
export async function breakerIn(
  state: BreakerState,
  options: CircuitBreakerOptions = {},
): Promise<{ breaker: CircuitBreaker; clock: FakeClock }> {
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock();
  const breaker = new CircuitBreaker({
    failureThreshold: 1,
    recoveryTimeout: 1_000,
    timeout: false,
    ...options,
    clock,
  });
  if (state === 'open' || state === 'half-open') await trip(breaker);
  if (state === 'half-open') clock.advance(breaker.stats.retryAfterMs);
  if (state === 'isolated') breaker.isolate();
  if (state === 'disabled') breaker.disable();
  if (state === 'metrics-only') breaker.metricsOnly();
  expect(breaker.state).toBe(state);
  return { breaker, clock };
}

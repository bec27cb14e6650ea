import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index.js';
import { breakerIn, type BreakerState, trip } from './breakers.js';

describe('breaker fixtures', () => {
  it.each<BreakerState>(['closed', 'open', 'half-open', 'isolated', 'disabled', 'metrics-only'])(
    'breakerIn — %s',
    async (state) => {
      const { breaker } = await breakerIn(state);
      expect(breaker.state).toBe(state);
    },
  );

  it('trip — fails the test when the breaker does not open', async () => {
    const breaker = new CircuitBreaker({
      failureThreshold: Infinity,
      failureRateThreshold: 0.5,
      minimumCalls: 1_000_000,
    });
    await expect(trip(breaker, 5)).rejects.toThrow(/expected 'closed' to be 'open'/);
  });
});

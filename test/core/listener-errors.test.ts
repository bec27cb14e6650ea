// docs/contract.md §9.3, "Listeners never hurt the caller": a listener that throws or returns a rejected
// promise produces a process warning; nothing escapes as an uncaught exception or an unhandled
// rejection.
/* eslint-disable @typescript-eslint/no-misused-promises -- async listeners are what is tested here */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/events.js';
import { BreakerRegistry, CircuitBreaker, staleCache, Telemetry } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/**
 * Resolves with the first warning of `type`, or with the first unhandled rejection (which
 * the fix must prevent), whichever comes first.
 */
function firstReport(type = 'BreakwaterListenerWarning'): Promise<{ warning?: Error; unhandled?: unknown }> {
  return new Promise((resolve) => {
    const onWarning = (warning: Error): void => {
      if (warning.name !== type) return;
      done();
      resolve({ warning });
    };
    const onUnhandled = (reason: unknown): void => {
      done();
      resolve({ unhandled: reason });
    };
    const done = (): void => {
      process.off('warning', onWarning);
      process.off('unhandledRejection', onUnhandled);
    };
    process.on('warning', onWarning);
    process.on('unhandledRejection', onUnhandled);
  });
}

const rejecting = async (): Promise<void> => {
  await Promise.resolve();
  throw new Error('async listener broke');
};

/** A thenable whose `then` throws. */
const badThenable = (): PromiseLike<void> => ({
  then() {
    throw new Error('then broke');
  },
});

describe('listeners that reject', () => {
  // vitest reports unhandled rejections as errors of the run; the tests below catch them first.
  let swallowed: unknown[];
  const swallow = (reason: unknown): void => void swallowed.push(reason);
  beforeEach(() => {
    swallowed = [];
    process.on('unhandledRejection', swallow);
  });
  afterEach(() => {
    process.off('unhandledRejection', swallow);
    expect(swallowed).toEqual([]);
  });

  it('Emitter emit — an async listener that rejects is reported as a BreakwaterListenerWarning', async () => {
    const emitter = new Emitter<{ tick: number }>('src');
    emitter.on('tick', rejecting);
    const report = firstReport();
    emitter.emit('tick', 1);
    const { warning, unhandled } = await report;
    expect(unhandled).toBeUndefined();
    expect(warning?.message).toMatch(/a "tick" listener of "src" returned a rejected promise/);
    expect(warning?.message).toContain('async listener broke');
  });

  it('Emitter emit — a listener returning a thenable whose then throws is reported', async () => {
    const emitter = new Emitter<{ tick: number }>('src');
    emitter.on('tick', badThenable);
    const report = firstReport();
    expect(() => emitter.emit('tick', 1)).not.toThrow();
    expect((await report).warning?.message).toContain('then broke');
  });

  it('on — an async breaker listener that rejects leaves the call untouched and is reported', async () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock() });
    breaker.on('success', rejecting);
    const report = firstReport();
    await expect(breaker.execute(() => Promise.resolve('fine'))).resolves.toBe('fine');
    const { warning, unhandled } = await report;
    expect(unhandled).toBeUndefined();
    expect(warning?.message).toContain('async listener broke');
  });

  it('Telemetry subscribe — an async subscriber that rejects is reported as a BreakwaterListenerWarning', async () => {
    const telemetry = new Telemetry();
    telemetry.subscribe(rejecting);
    const report = firstReport();
    const breaker = new CircuitBreaker({ clock: new FakeClock(), telemetry });
    await expect(breaker.execute(() => Promise.resolve('fine'))).resolves.toBe('fine');
    const { warning, unhandled } = await report;
    expect(unhandled).toBeUndefined();
    expect(warning?.message).toMatch(/a telemetry subscriber returned a rejected promise/);
  });

  it('BreakerRegistry on — an async registry listener that rejects is reported', async () => {
    const registry = new BreakerRegistry({ clock: new FakeClock() });
    registry.on('added', rejecting);
    const report = firstReport();
    registry.get('tenant-1');
    const { warning, unhandled } = await report;
    expect(unhandled).toBeUndefined();
    expect(warning?.message).toMatch(/an? "added" listener of "BreakerRegistry" returned a rejected promise/);
  });

  it('staleCache onStale — an async callback that rejects is reported as a BreakwaterWarning', async () => {
    const cache = staleCache({ ttl: 1_000, clock: new FakeClock(), onStale: rejecting });
    await cache.execute(() => Promise.resolve('fresh'), { key: 'k' });
    const report = firstReport('BreakwaterWarning');
    await expect(cache.execute(() => Promise.reject(new Error('down')), { key: 'k' })).resolves.toBe('fresh');
    const { warning, unhandled } = await report;
    expect(unhandled).toBeUndefined();
    expect(warning?.message).toMatch(/onStale of "staleCache" returned a rejected promise/);
  });
});

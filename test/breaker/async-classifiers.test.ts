// docs/contract.md §2.4, "Classifiers are synchronous": a classifier that returns a thenable gets one process
// warning per breaker naming the option, and the option's default decides (an error is a
// failure, a result is not).
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { caught, makeBreaker } from './helpers.js';

describe('async classifiers', () => {
  let emitWarning: MockInstance<typeof process.emitWarning>;
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    emitWarning.mockRestore();
    process.off('unhandledRejection', onUnhandled);
  });

  const classifierWarnings = (): string[] =>
    emitWarning.mock.calls
      .filter(
        ([, options]) => (options as { type?: string } | undefined)?.type === 'BreakwaterClassifierWarning',
      )
      .map(([message]) => String(message));

  for (const timeout of [1_000, false] as const) {
    it(`isResultFailure — an async classifier leaves results successes, with one warning per breaker (timeout ${String(timeout)})`, async () => {
      const { breaker } = makeBreaker({
        timeout,
        failureThreshold: 3,

        isResultFailure: (async (r: { status: number }) => r.status >= 500) as never,
      });
      for (let i = 0; i < 3; i++) await breaker.execute(() => Promise.resolve({ status: 200 }));
      expect(breaker.state).toBe('closed');
      expect(breaker.stats.totals).toMatchObject({ successes: 3, failures: 0 });
      expect(breaker.stats.inFlight).toBe(0);
      const warnings = classifierWarnings();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/isResultFailure of breaker "breaker" returned a promise/);
    });

    it(`isFailure — an async classifier counts every error as a failure, with one warning per breaker (timeout ${String(timeout)})`, async () => {
      const { breaker } = makeBreaker({
        timeout,
        failureThreshold: 2,

        isFailure: (async () => false) as never,
      });
      for (let i = 0; i < 2; i++) await caught(breaker.execute(() => Promise.reject(new Error('down'))));
      expect(breaker.state).toBe('open');
      expect(breaker.stats.totals).toMatchObject({ failures: 2, ignored: 0 });
      const warnings = classifierWarnings();
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/isFailure of breaker "breaker" returned a promise/);
    });
  }

  it('isFailure — an async classifier that rejects leaves no unhandled rejection', async () => {
    const { breaker } = makeBreaker({
      isFailure: (() => Promise.reject(new Error('classifier broke'))) as never,
    });
    const error = await caught(breaker.execute(() => Promise.reject(new Error('down'))));
    expect((error as Error).message).toBe('down');
    expect(breaker.stats.totals.failures).toBe(1);
    await new Promise((resolve) => setImmediate(resolve)); // an unhandled rejection is reported by now
    expect(unhandled).toEqual([]);
  });

  for (const timeout of [1_000, false] as const) {
    it(`isFailure — a classifier answering undefined or null declines the error, without a warning (timeout ${String(timeout)})`, async () => {
      const verdicts: unknown[] = [undefined, null];
      const { breaker } = makeBreaker({ timeout, isFailure: (() => verdicts.shift()) as never });
      const down = new Error('down');
      expect(await caught(breaker.execute(() => Promise.reject(down)))).toBe(down);
      expect(await caught(breaker.execute(() => Promise.reject(down)))).toBe(down);
      expect(breaker.stats.totals).toMatchObject({ ignored: 2, failures: 0 });
      expect(breaker.stats.inFlight).toBe(0);
      expect(classifierWarnings()).toEqual([]);
    });
  }

  it('isResultFailure — an object verdict without a then method counts as a failure, without a warning', async () => {
    const { breaker } = makeBreaker({ isResultFailure: ((r: object) => r) as never });
    await breaker.execute(() => Promise.resolve({ then: 'not a method' }));
    await breaker.execute(() => Promise.resolve([]));
    expect(breaker.stats.totals).toMatchObject({ failures: 2, successes: 0 });
    expect(classifierWarnings()).toEqual([]);
  });

  it('isResultFailure — a function verdict with a then method is a thenable: the default decides, with a warning', async () => {
    const thenable = Object.assign(() => true, {
      then: (resolve: (value: boolean) => void) => {
        resolve(true);
      },
    });
    const { breaker } = makeBreaker({ isResultFailure: (() => thenable) as never });
    await breaker.execute(() => Promise.resolve('fine'));
    expect(breaker.stats.totals).toMatchObject({ failures: 0, successes: 1 });
    expect(classifierWarnings()).toHaveLength(1);
  });

  it('isResultFailure — a function verdict without a then method counts as a failure', async () => {
    const { breaker } = makeBreaker({ isResultFailure: (() => () => false) as never });
    await breaker.execute(() => Promise.resolve('fine'));
    expect(breaker.stats.totals).toMatchObject({ failures: 1, successes: 0 });
    expect(classifierWarnings()).toEqual([]);
  });

  it('isResultFailure — a truthy non-boolean, non-thenable verdict still counts as a failure', async () => {
    const { breaker } = makeBreaker({ isResultFailure: ((r: { error?: string }) => r.error) as never });
    await breaker.execute(() => Promise.resolve({ error: 'quota' }));
    expect(breaker.stats.totals.failures).toBe(1);
    expect(classifierWarnings()).toEqual([]);
  });
});

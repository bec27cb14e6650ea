// The breaker's call paths (docs/contract.md §2.4 and the signals sections): the disabled
// pass-through, the signal handed to the function, and the once-per-
// option warning of asynchronous classifiers (classifiers are synchronous).
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import type { PolicyContext } from '../../src/index.js';
import { caught, deferred, makeBreaker } from './helpers.js';

describe('signals handed to the function', () => {
  it('execute — without a timeout, the function receives the caller’s own signal', async () => {
    const { breaker } = makeBreaker({ timeout: false });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await breaker.execute(
      (ctx: PolicyContext) => {
        seen = ctx.signal;
        return 1;
      },
      { signal: controller.signal },
    );
    expect(seen).toBe(controller.signal);
  });

  it('execute — with a timeout, a signal first read after the caller aborted is aborted with the caller’s reason', async () => {
    const { breaker } = makeBreaker({ timeout: 1_000 });
    const controller = new AbortController();
    const gate = deferred<undefined>();
    let seen: AbortSignal | undefined;
    const call = breaker.execute(
      async (ctx: PolicyContext) => {
        await gate.promise;
        seen = ctx.signal;
        return 'late';
      },
      { signal: controller.signal },
    );
    const reason = new Error('caller left');
    controller.abort(reason);
    expect(await caught(call)).toBe(reason);
    gate.resolve(undefined);
    await vi.waitFor(() => {
      expect(seen).toBeDefined();
    });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(reason);
  });

  it('execute — with a timeout, the function’s signal is its own, not the caller’s, and aborts with the caller', async () => {
    const { breaker } = makeBreaker({ timeout: 1_000 });
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const call = breaker.execute(
      (ctx: PolicyContext) => {
        seen = ctx.signal;
        return new Promise<never>(() => undefined);
      },
      { signal: controller.signal },
    );
    expect(seen).not.toBe(controller.signal);
    expect(seen?.aborted).toBe(false);
    controller.abort('stop');
    expect(await caught(call)).toBe('stop');
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe('stop');
  });
});

describe('disabled breaker', () => {
  it('execute — a disabled breaker hands the caller’s signal to the function and counts nothing', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1 });
    breaker.disable();
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    await expect(
      breaker.execute(
        (ctx: PolicyContext) => {
          seen = ctx.signal;
          return Promise.reject(new Error('down'));
        },
        { signal: controller.signal },
      ),
    ).rejects.toThrow('down');
    expect(seen).toBe(controller.signal);
    expect(breaker.state).toBe('disabled');
    expect(breaker.stats.totals).toMatchObject({ calls: 0, failures: 0 });
  });

  it('execute — a disabled breaker’s plain call gets a signal that never aborts', async () => {
    const { breaker } = makeBreaker();
    breaker.disable();
    const signal = await breaker.execute((ctx: PolicyContext) => ctx.signal);
    expect(signal.aborted).toBe(false);
  });
});

describe('asynchronous classifiers with both options', () => {
  let emitWarning: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    emitWarning.mockRestore();
  });
  const classifierWarnings = (): string[] =>
    emitWarning.mock.calls
      .filter(
        ([, options]) => (options as { type?: string } | undefined)?.type === 'BreakwaterClassifierWarning',
      )
      .map(([message]) => String(message));

  it('execute — each asynchronous classifier is reported once per breaker, however the calls alternate', async () => {
    const { breaker } = makeBreaker({
      name: 'orders',
      failureThreshold: 100,
      timeout: false,
      isFailure: (async () => false) as never,
      isResultFailure: (async () => true) as never,
    });
    for (let i = 0; i < 3; i++) {
      await caught(breaker.execute(() => Promise.reject(new Error('down'))));
      await breaker.execute(() => 'fine');
    }
    expect(classifierWarnings()).toEqual([
      'breakwater: isFailure of breaker "orders" returned a promise, but classifiers must be synchronous; ' +
        'the call is classified as without isFailure (an error is a failure). This is reported once per breaker.',
      'breakwater: isResultFailure of breaker "orders" returned a promise, but classifiers must be synchronous; ' +
        'the call is classified as without isResultFailure (a result is a success). This is reported once per breaker.',
    ]);
    expect(breaker.stats.totals).toMatchObject({ failures: 3, successes: 3, ignored: 0 });
  });

  it('execute — a classifier that throws is reported with what it threw', async () => {
    const { breaker } = makeBreaker({
      isFailure: () => {
        throw new Error('classifier bug');
      },
    });
    await caught(breaker.execute(() => Promise.reject(new Error('down'))));
    expect(classifierWarnings()).toEqual([
      'breakwater: isFailure threw; the call counts as a failure: Error: classifier bug',
    ]);
    expect(breaker.stats.totals.failures).toBe(1);
  });
});

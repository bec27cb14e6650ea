// docs/contract.md §7.3, "Arguments are checked where they enter": a `signal` that is not an AbortSignal is
// answered with a rejected TypeError naming `signal`, never a synchronous throw or a later crash.
import { describe, expect, it, vi } from 'vitest';
import { pipeline, retry } from '../../src/index.js';
import { caught, makeBreaker, noSyncThrow, ok } from './helpers.js';

const NOT_SIGNALS: readonly unknown[] = [null, {}, 'abort', 42, { aborted: 'no' }, () => undefined];

describe('execute — signal argument', () => {
  for (const timeout of [10_000, false] as const) {
    for (const bad of NOT_SIGNALS) {
      it(`execute — signal ${typeof bad === 'function' ? 'a function' : JSON.stringify(bad)} rejects with a TypeError naming signal; nothing runs, nothing left in flight (timeout ${String(timeout)})`, async () => {
        const { breaker, clock } = makeBreaker({ timeout });
        const fn = vi.fn(ok(1));
        const error = await caught(noSyncThrow(() => breaker.execute(fn, { signal: bad as AbortSignal })));
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toMatch(/signal must be an AbortSignal/);
        expect(fn).not.toHaveBeenCalled();
        expect(breaker.stats.inFlight).toBe(0);
        expect(breaker.stats.totals.calls).toBe(0);
        // No deadline was left behind to fire later.
        expect(() => clock.advance(20_000)).not.toThrow();
        expect(breaker.stats.totals.timeouts).toBe(0);
      });
    }
  }

  it('execute — the TypeError for a bad signal names the breaker, the argument and the value', async () => {
    const { breaker } = makeBreaker({ name: 'ledger' });
    const error = await caught(breaker.execute(ok(1), { signal: 42 as unknown as AbortSignal }));
    expect(error).toEqual(
      new TypeError(
        'breaker "ledger": execute(fn, { signal }): signal must be an AbortSignal or undefined (got 42)',
      ),
    );
  });

  it('execute — options whose signal getter throws reject with that error; nothing runs, nothing counted', async () => {
    const { breaker } = makeBreaker();
    const boom = new Error('getter');
    const options = {
      get signal(): AbortSignal {
        throw boom;
      },
    };
    const fn = vi.fn(ok(1));
    expect(await caught(noSyncThrow(() => breaker.execute(fn, options)))).toBe(boom);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.stats.inFlight).toBe(0);
    expect(breaker.stats.totals.calls).toBe(0);
  });

  it('execute — { signal: undefined } and {} mean no signal', async () => {
    const { breaker } = makeBreaker();
    await expect(breaker.execute(ok(1), { signal: undefined })).resolves.toBe(1);
    await expect(breaker.execute(ok(2), {})).resolves.toBe(2);
  });

  it('execute — an abort signal of another realm (aborted, addEventListener, removeEventListener) is accepted', async () => {
    const { breaker } = makeBreaker({ timeout: 1_000 });
    const target = new EventTarget();
    const foreign = {
      aborted: false,
      reason: undefined as unknown,
      addEventListener: target.addEventListener.bind(target),
      removeEventListener: target.removeEventListener.bind(target),
    };
    const call = caught(breaker.execute(() => new Promise(() => undefined), { signal: foreign as never }));
    foreign.aborted = true;
    foreign.reason = new Error('foreign abort');
    target.dispatchEvent(new Event('abort'));
    expect(await call).toBe(foreign.reason);
    expect(breaker.stats.inFlight).toBe(0);
  });

  it('pipeline(retry, breaker) — signal null rejects with a TypeError naming signal', async () => {
    const { breaker } = makeBreaker();
    const fn = vi.fn(ok(1));
    const policy = pipeline(retry({ maxAttempts: 2, backoff: () => 0 }), breaker);
    const error = await caught(
      noSyncThrow(() => policy.execute(fn, { signal: null as unknown as AbortSignal })),
    );
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/signal/);
    expect(fn).not.toHaveBeenCalled();
    expect(breaker.stats.inFlight).toBe(0);
  });
});

// Behaviour the README documents that no other test pinned: throwing classifiers, a disabled
// breaker and the caller's signal, the decorator on setters and accessors.
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { circuitBreaker } from '../../src/index.js';
import { makeBreaker } from './helpers.js';

describe('throwing classifiers (README, "Throwing classifiers")', () => {
  let emitWarning: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    emitWarning.mockRestore();
  });
  const warningTypes = (): unknown[] =>
    emitWarning.mock.calls.map(([, options]) => (options as { type?: string } | undefined)?.type);

  it('isFailure — a classifier that throws counts the call as a failure and emits a BreakwaterClassifierWarning', async () => {
    const { breaker } = makeBreaker({
      failureThreshold: 5,
      isFailure: () => {
        throw new Error('classifier broke');
      },
    });
    const original = new Error('down');
    await expect(breaker.execute(() => Promise.reject(original))).rejects.toBe(original);
    expect(breaker.stats.totals).toMatchObject({ failures: 1, successes: 0 });
    expect(warningTypes()).toEqual(['BreakwaterClassifierWarning']);
    expect(String(emitWarning.mock.calls[0]![0])).toContain('classifier broke');
  });

  it('isResultFailure — a classifier that throws counts a failure, the caller still gets the result, with a BreakwaterClassifierWarning', async () => {
    const { breaker } = makeBreaker({
      failureThreshold: 5,
      isResultFailure: () => {
        throw new Error('classifier broke');
      },
    });
    const result = { status: 200 };
    await expect(breaker.execute(() => Promise.resolve(result))).resolves.toBe(result);
    expect(breaker.stats.totals).toMatchObject({ failures: 1, successes: 0 });
    expect(warningTypes()).toEqual(['BreakwaterClassifierWarning']);
  });
});

describe('disabled (README, "Disabled")', () => {
  it("execute — a disabled breaker hands the caller's signal to the function and does not reject for it", async () => {
    const { breaker } = makeBreaker({ timeout: 1_000 });
    breaker.disable();
    const caller = new AbortController();
    let seen: AbortSignal | undefined;
    let finish!: (value: string) => void;
    const call = breaker.execute(
      ({ signal }) => {
        seen = signal;
        return new Promise<string>((resolve) => (finish = resolve));
      },
      { signal: caller.signal },
    );
    expect(seen).toBe(caller.signal);
    caller.abort(new Error('caller gave up'));
    expect(seen!.aborted).toBe(true);
    finish('finished anyway'); // the function decides; the breaker does not reject the call
    await expect(call).resolves.toBe('finished anyway');
    expect(breaker.stats.totals.calls).toBe(0);
  });
});

describe('decorator types (README, "Decorator types")', () => {
  it('circuitBreaker — decorating a setter is a clear TypeError', () => {
    expect(() => {
      class Bad {
        // @ts-expect-error a setter is not a method
        @circuitBreaker()
        set value(_v: number) {}
      }
      return Bad;
    }).toThrow(
      new TypeError(
        '@circuitBreaker is a method decorator: it decorates methods and functions, not a setter (value)',
      ),
    );
  });

  it('circuitBreaker — decorating an accessor is a clear TypeError', () => {
    expect(() => {
      class Bad {
        // @ts-expect-error an accessor is not a method
        @circuitBreaker()
        accessor handler = (): Promise<number> => Promise.resolve(1);
      }
      return Bad;
    }).toThrow(TypeError);
    expect(() => {
      class Bad {
        // @ts-expect-error an accessor is not a method
        @circuitBreaker()
        accessor handler = (): Promise<number> => Promise.resolve(1);
      }
      return Bad;
    }).toThrow(/decorator/);
  });
});

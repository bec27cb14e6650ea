// circuitBreaker(...) applied to what it accepts (functions, standard and legacy method
// decorators) and to what it refuses, with the error naming the mistake (README "Decorator").
import { describe, expect, it } from 'vitest';
import { breakerOf, CircuitBreaker, circuitBreaker } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

type Apply = (target: unknown, context?: unknown, descriptor?: PropertyDescriptor) => unknown;

const MISUSE =
  'circuitBreaker(...) must be applied to a function, or used as a method decorator (standard or experimentalDecorators)';

function decorator(): Apply {
  return circuitBreaker({ clock: new FakeClock() }) as unknown as Apply;
}

describe('circuitBreaker — targets it refuses', () => {
  it('circuitBreaker — a value that is not a function is refused with a message saying how to use it', () => {
    expect(() => decorator()(42)).toThrow(new TypeError(MISUSE));
    expect(() => decorator()(undefined, { kind: 'field', name: 'handler' })).toThrow(
      new TypeError(
        '@circuitBreaker is a method decorator: it decorates methods and functions, not a field (handler)',
      ),
    );
  });

  it('circuitBreaker — a function with a null or non-object second argument is refused, not wrapped', () => {
    const fn = async (): Promise<number> => Promise.resolve(1);
    expect(() => decorator()(fn, null)).toThrow(new TypeError(MISUSE));
    expect(() => decorator()(fn, 'method')).toThrow(new TypeError(MISUSE));
    expect(() => decorator()(fn, { name: 'no kind' })).toThrow(new TypeError(MISUSE));
  });

  it('circuitBreaker — a legacy call with a null target or a numeric key is refused', () => {
    const descriptor = { value: async (): Promise<number> => Promise.resolve(1) };
    expect(() => decorator()(null, 'method', descriptor)).toThrow(new TypeError(MISUSE));
    expect(() => decorator()({}, 7, descriptor)).toThrow(new TypeError(MISUSE));
    expect(() => decorator()({}, 'method', undefined)).toThrow(new TypeError(MISUSE));
  });
});

describe('circuitBreaker — targets it accepts', () => {
  it('circuitBreaker — a legacy decorator of a symbol-keyed method names the breaker after the symbol', async () => {
    const key = Symbol('lookup');
    const descriptor: PropertyDescriptor = {
      value: async (x: number): Promise<number> => Promise.resolve(x + 1),
      writable: true,
      configurable: true,
    };
    const result = decorator()({}, key, descriptor) as PropertyDescriptor;
    expect(breakerOf(result.value)?.name).toBe('Symbol(lookup)');
    await expect((result.value as (x: number) => Promise<number>)(1)).resolves.toBe(2);
    expect(descriptor.value).not.toBe(result.value); // the caller's descriptor is not changed
  });

  it('circuitBreaker — a legacy decorator of a static method (the class is the target) guards it', async () => {
    class Prices {
      static rate = 2;
      static quote(this: typeof Prices, x: number): Promise<number> {
        return Promise.resolve(x * this.rate);
      }
      readonly kind = 'prices';
    }
    const descriptor = Object.getOwnPropertyDescriptor(Prices, 'quote')!;
    const result = decorator()(Prices, 'quote', descriptor) as PropertyDescriptor;
    Object.defineProperty(Prices, 'quote', result);
    expect(breakerOf(result.value)?.name).toBe('quote');
    await expect(Prices.quote(21)).resolves.toBe(42);
  });

  it('circuitBreaker — the wrapper keeps the function’s name as an ordinary, configurable name', () => {
    function loadProfile(): number {
      return 1;
    }
    const guarded = circuitBreaker({ clock: new FakeClock() })(loadProfile);
    expect(Object.getOwnPropertyDescriptor(guarded, 'name')).toEqual({
      value: 'loadProfile',
      writable: false,
      enumerable: false,
      configurable: true,
    });
  });

  it('circuitBreaker — an existing breaker is used as it is, whatever the wrapped function is named', () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock(), name: 'shared' });
    const guarded = circuitBreaker(breaker)(function other() {
      return 1;
    });
    expect(breakerOf(guarded)).toBe(breaker);
    expect(breakerOf(guarded)?.name).toBe('shared');
  });
});

describe('breakerOf', () => {
  it('breakerOf — the breaker is kept under the key every copy of the library shares', () => {
    const guarded = circuitBreaker({ clock: new FakeClock(), name: 'rates' })(() => 1);
    const kept = (guarded as unknown as Record<symbol, unknown>)[Symbol.for('breakwater.breaker')];
    expect(kept).toBeInstanceOf(CircuitBreaker);
    expect(kept).toBe(breakerOf(guarded));
    expect((kept as CircuitBreaker).name).toBe('rates');
  });

  it('breakerOf — a function carrying something other than a breaker under the brand key has none', () => {
    const fn = (): number => 1;
    Object.defineProperty(fn, Symbol.for('breakwater.breaker'), { value: { name: 'fake' } });
    expect(breakerOf(fn)).toBeUndefined();
  });
});

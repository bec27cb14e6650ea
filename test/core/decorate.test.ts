// The three decorator forms shared by `protect(...)` and `circuitBreaker(...)`: what each form
// accepts, and the exact error for anything else.
import { describe, expect, it } from 'vitest';
import { type AnyFunction, threeFormDecorator } from '../../src/core/decorate.js';

function setup(): { decorator: ReturnType<typeof threeFormDecorator>; guarded: [AnyFunction, string][] } {
  const guarded: [AnyFunction, string][] = [];
  const decorator = threeFormDecorator('guard', (fn, name) => {
    guarded.push([fn, name]);
    return fn;
  });
  return { decorator, guarded };
}

const misuse =
  'guard(...) must be applied to a function, or used as a method decorator (standard or experimentalDecorators)';

describe('threeFormDecorator', () => {
  it('standard form — a kind starting with a vowel is named with "an"', () => {
    const { decorator, guarded } = setup();
    expect(() => decorator({}, { kind: 'accessor', name: 'size' })).toThrow(
      new TypeError(
        '@guard is a method decorator: it decorates methods and functions, not an accessor (size)',
      ),
    );
    expect(() => decorator(undefined, { kind: 'field', name: 'count' })).toThrow(
      new TypeError('@guard is a method decorator: it decorates methods and functions, not a field (count)'),
    );
    expect(guarded).toEqual([]);
  });

  it('standard form — a "method" context with a target that is not a function is refused', () => {
    const { decorator, guarded } = setup();
    expect(() => decorator({ not: 'a function' }, { kind: 'method', name: 'run' })).toThrow(
      new TypeError('@guard is a method decorator: it decorates methods and functions, not a method (run)'),
    );
    expect(guarded).toEqual([]);
  });

  it('legacy form — the target must be an object or a function, not a primitive', () => {
    const { decorator, guarded } = setup();
    const method = (): number => 1;
    for (const target of [42, 'proto', true, undefined, null]) {
      expect(() => decorator(target, 'run', { value: method, writable: true })).toThrow(
        new TypeError(misuse),
      );
    }
    expect(guarded).toEqual([]);
    const proto = {};
    expect(decorator(proto, 'run', { value: method, writable: true })).toEqual({
      value: method,
      writable: true,
    });
    expect(guarded).toEqual([[method, 'run']]);
  });
});

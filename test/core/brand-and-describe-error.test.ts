// Two small guards every module leans on: hasBrand (objects of another copy of the package) and
// describeError (the text of a thrown value in a warning), with the values that break naive code.
import { describe, expect, it } from 'vitest';
import { brand, hasBrand } from '../../src/core/brand.js';
import { describeError } from '../../src/core/describe-error.js';

describe('hasBrand', () => {
  class Branded {
    readonly made = true;
  }
  brand(Branded, 'RetryBudget');
  const key = Symbol.for('breakwater.RetryBudget');

  it('true for an instance of a branded class, of this copy or any other (the key is global)', () => {
    expect(hasBrand(new Branded(), 'RetryBudget')).toBe(true);
    expect(hasBrand({ [key]: true }, 'RetryBudget')).toBe(true);
    expect(hasBrand(new Branded(), 'Telemetry')).toBe(false);
    // The brand is on the prototype, not enumerable: instances carry nothing of their own.
    expect(Object.getOwnPropertySymbols(new Branded())).toEqual([]);
  });

  it('false for primitives, null, functions, a truthy non-true brand and objects whose reads throw', () => {
    for (const value of [undefined, null, 0, 'x', true, Symbol('s'), 1n])
      expect(hasBrand(value, 'RetryBudget')).toBe(false);
    // Only objects are instances: a function carrying the key is not one.
    expect(
      hasBrand(
        Object.assign(() => undefined, { [key]: true }),
        'RetryBudget',
      ),
    ).toBe(false);
    expect(hasBrand({ [key]: 1 }, 'RetryBudget')).toBe(false);
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(hasBrand(proxy, 'RetryBudget')).toBe(false);
    const throwing = new Proxy(
      {},
      {
        get() {
          throw new Error('read');
        },
      },
    );
    expect(hasBrand(throwing, 'RetryBudget')).toBe(false);
  });
});

describe('describeError', () => {
  const error = new RangeError('too big');

  it('named (the default), message or stack', () => {
    expect(describeError(error)).toBe('RangeError: too big');
    expect(describeError(error, 'named')).toBe('RangeError: too big');
    expect(describeError(error, 'message')).toBe('too big');
    expect(describeError(error, 'stack')).toBe(error.stack);
    const noStack = new Error('bare');
    delete (noStack as { stack?: string }).stack;
    expect(describeError(noStack, 'stack')).toBe('bare');
  });

  it('a thrown value that is not an Error is printed; one that cannot be printed gets a placeholder', () => {
    expect(describeError('plain text')).toBe('plain text');
    expect(describeError(42, 'message')).toBe('42');
    expect(describeError(Object.create(null))).toBe('(an unprintable object)');
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(describeError(proxy)).toBe('(an unprintable object)');
  });
});

// OptionChecker: every problem collected, one error, TypeError when any type is wrong.
import { describe, expect, it } from 'vitest';
import { isAbortSignal, OptionChecker, show } from '../../src/core/validate.js';

describe('OptionChecker', () => {
  it('throwIfAny — does nothing when every option is fine', () => {
    const check = new OptionChecker('Thing');
    expect(check.number('n', 3, { integer: true, min: 1 })).toBe(true);
    expect(check.func('f', () => 1)).toBe(true);
    check.knownKeys({ n: 1 }, ['n']);
    expect(() => check.throwIfAny()).not.toThrow();
  });

  it('throwIfAny — one RangeError listing every bad value by name', () => {
    const check = new OptionChecker('Thing');
    check.number('a', -1, { min: 0 });
    check.number('b', 1.5, { integer: true });
    check.number('c', 0, { min: 0, minExclusive: true });
    check.number('d', 2, { max: 1 });
    expect(() => check.throwIfAny()).toThrow(
      new RangeError(
        'invalid Thing options: a must be a finite number >= 0 (got -1); b must be an integer (got 1.5); ' +
          'c must be a finite number > 0 (got 0); d must be a finite number <= 1 (got 2)',
      ),
    );
  });

  it('throwIfAny — a TypeError as soon as one value has the wrong type', () => {
    const check = new OptionChecker('Thing');
    check.number('a', -1, { min: 0 });
    check.number('b', '2', {});
    check.knownKeys({ a: 1, typo: 2 }, ['a'], 'x.');
    let error: unknown;
    try {
      check.throwIfAny();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toContain('b must be a finite number (got "2")');
    expect(String(error)).toContain('x.typo is not a known option (known: a)');
    expect(String(error)).toContain('a must be');
  });

  it('number — NaN and infinities fail unless Infinity is allowed', () => {
    const check = new OptionChecker('Thing');
    expect(check.number('a', NaN, {})).toBe(false);
    expect(check.number('b', -Infinity, { allowInfinity: true })).toBe(false);
    expect(check.number('c', Infinity, {})).toBe(false);
    expect(check.number('d', Infinity, { integer: true, allowInfinity: true })).toBe(true);
    expect(() => check.throwIfAny()).toThrow(/a must be .*NaN.*b must be .*-Infinity.*c must be .*Infinity/);
  });

  it('fail — shows functions, objects, bigints and cyclic values readably', () => {
    const check = new OptionChecker('Thing');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    check.fail('f', () => 1, 'x');
    check.fail('o', { a: 1 }, 'x');
    check.fail('n', 10n, 'x');
    check.fail('c', cyclic, 'x');
    expect(() => check.throwIfAny()).toThrow(
      /f must be x \(got a function\); o must be x \(got \{"a":1\}\); n must be x \(got 10n\); c must be x \(got a plain object with keys self\)/,
    );
  });
});

describe('show', () => {
  it('show — an instance is named by its constructor, with the article its first letter takes', () => {
    expect(show(new Map())).toBe('a Map');
    expect(show(new TextEncoder())).toBe('a TextEncoder');
    expect(show(new EventTarget())).toBe('an EventTarget');
  });

  it('show — an instance whose constructor has no usable name is "an object"', () => {
    // The prototype chain holds no constructor at all.
    expect(show(Object.create(Object.create(null) as object))).toBe('an object');
    expect(show(Object.create({ constructor: { name: '' } }))).toBe('an object');
    expect(show(Object.create({ constructor: { name: 5 } }))).toBe('an object');
  });

  it('show — an object without a prototype is shown like a plain object', () => {
    expect(show(Object.create(null))).toBe('an empty object');
    expect(show(Object.assign(Object.create(null) as object, { a: 1 }))).toBe('{"a":1}');
  });

  it('show — JSON up to 60 characters; longer, or holding undefined, named by its keys', () => {
    expect(show({ s: 'x'.repeat(52) })).toBe(`{"s":"${'x'.repeat(52)}"}`);
    expect(show({ s: 'x'.repeat(53) })).toBe('a plain object with keys s');
    expect(show({ a: undefined })).toBe('a plain object with keys a');
  });

  it('show — at most six keys are listed', () => {
    const six = { a: undefined, b: 1, c: 1, d: 1, e: 1, f: 1 };
    expect(show(six)).toBe('a plain object with keys a, b, c, d, e, f');
    expect(show({ ...six, g: 1 })).toBe('a plain object with keys a, b, c, d, e, f, ...');
  });

  it('show — an array is JSON when short, else named by its length', () => {
    expect(show([])).toBe('[]');
    expect(show([1, 2])).toBe('[1,2]');
    expect(show(new Array<number>(30).fill(1000))).toBe('an array of 30');
    expect(show([() => 1])).toBe('an array of 1');
  });
});

describe('OptionChecker results', () => {
  it('number and func — false for a value of the wrong type, recorded as a TypeError', () => {
    const check = new OptionChecker('Thing');
    expect(check.number('n', '2', {})).toBe(false);
    expect(check.func('f', 1)).toBe(false);
    expect(() => check.throwIfAny()).toThrow(
      new TypeError(
        'invalid Thing options: n must be a finite number (got "2"); f must be a function (got 1)',
      ),
    );
  });
});

describe('isAbortSignal', () => {
  it('isAbortSignal — accepts AbortSignals and objects that behave as one, nothing else', () => {
    const target = new EventTarget();
    const foreign = {
      aborted: false,
      addEventListener: target.addEventListener.bind(target),
      removeEventListener: target.removeEventListener.bind(target),
    };
    expect(isAbortSignal(new AbortController().signal)).toBe(true);
    expect(isAbortSignal(AbortSignal.abort())).toBe(true);
    expect(isAbortSignal(foreign)).toBe(true);
    const { addEventListener, removeEventListener } = foreign;
    for (const bad of [
      undefined,
      null,
      {},
      'abort',
      1,
      target,
      { ...foreign, aborted: 'no' },
      { aborted: false, removeEventListener },
      { aborted: false, addEventListener },
    ]) {
      expect(isAbortSignal(bad)).toBe(false);
    }
  });

  it('isAbortSignal — an AbortSignal of this realm is accepted by its class, no property read', () => {
    const reads: PropertyKey[] = [];
    const signal = new Proxy(new AbortController().signal, {
      get(target, key) {
        reads.push(key);
        return Reflect.get(target, key, target) as unknown;
      },
    });
    expect(isAbortSignal(signal)).toBe(true);
    expect(reads).toEqual([]);
  });
});

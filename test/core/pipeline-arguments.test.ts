// pipeline(...) and its calls with hostile arguments: the exact error of each, and what a policy
// without a name is called.
import { describe, expect, it } from 'vitest';
import { pipeline, type AnsweringPolicy } from '../../src/core/pipeline.js';
import type { ExecuteOptions, PolicyContext, Protected } from '../../src/core/policy.js';

/** A minimal policy: runs the function with the options it was given as the context. */
function passThrough(name?: unknown): AnsweringPolicy & { name?: unknown } {
  const p: AnsweringPolicy = {
    execute: async <T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> =>
      fn({ signal: options?.signal } as PolicyContext),
    wrap: () => () => Promise.resolve(undefined as never),
  };
  return name === undefined ? p : Object.assign(p, { name });
}

const notAPolicy = (i: number, got: string) =>
  `pipeline: argument ${i} is not a policy (an object with execute and wrap) (got ${got})`;

describe('pipeline — arguments', () => {
  it('refuses anything but an object with execute and wrap, naming the argument', () => {
    const make = pipeline as (...a: unknown[]) => unknown;
    const execute = () => Promise.resolve();
    const wrap = () => () => Promise.resolve();
    expect(() => make()).toThrow(new TypeError('pipeline(...policies) needs at least one policy'));
    expect(() => make(passThrough(), null)).toThrow(new TypeError(notAPolicy(1, 'null')));
    expect(() => make(undefined)).toThrow(new TypeError(notAPolicy(0, 'undefined')));
    // A function carrying both methods is still not a policy object.
    expect(() => make(Object.assign(() => undefined, { execute, wrap }))).toThrow(
      new TypeError(notAPolicy(0, 'a function')),
    );
    expect(() => make({ wrap })).toThrow(new TypeError(notAPolicy(0, 'a plain object with keys wrap')));
    expect(() => make({ execute })).toThrow(new TypeError(notAPolicy(0, 'a plain object with keys execute')));
    expect(() => make({ execute: 1, wrap })).toThrow(TypeError);
    expect(() => make({ execute, wrap: 'x' })).toThrow(TypeError);
    expect(() => make({ execute, wrap })).not.toThrow();
  });

  it('name — the policies’ names outermost first; a policy without a string name is "policy"', () => {
    expect(pipeline(passThrough('a'), passThrough('b')).name).toBe('a → b');
    expect(pipeline(passThrough('a'), passThrough(), passThrough(7)).name).toBe('a → policy → policy');
  });

  it('execute — a non-function, a bad signal and a throwing signal getter reject with their own error', async () => {
    const p = pipeline(passThrough('a'), passThrough('b'));
    await expect(p.execute(42 as never)).rejects.toThrow(
      new TypeError('pipeline "a → b": execute(fn) needs a function'),
    );
    await expect(p.execute(() => 1, { signal: {} as AbortSignal })).rejects.toThrow(
      new TypeError(
        'pipeline "a → b": execute(fn, { signal }): signal must be an AbortSignal or undefined (got an empty object)',
      ),
    );
    const boom = new Error('getter');
    const options = {
      get signal(): AbortSignal {
        throw boom;
      },
    };
    await expect(p.execute(() => 1, options)).rejects.toBe(boom);
    // Even when the outermost policy reads the signal without guarding (a policy of the user's).
    const unguarded: AnsweringPolicy = {
      execute: <T>(fn: Protected<T>, o?: ExecuteOptions) =>
        Promise.resolve(fn({ signal: o?.signal } as PolicyContext)),
      wrap: () => () => Promise.resolve(undefined as never),
    };
    await expect(pipeline(unguarded).execute(() => 1, options)).rejects.toBe(boom);
    // A good signal reaches the function through every policy.
    const controller = new AbortController();
    await expect(p.execute(({ signal }) => signal, { signal: controller.signal })).resolves.toBe(
      controller.signal,
    );
  });

  it('wrap — a non-function throws at once, naming the pipeline', () => {
    const p = pipeline(passThrough('a'));
    expect(() => p.wrap('x' as never)).toThrow(new TypeError('pipeline "a": wrap(fn) needs a function'));
  });
});

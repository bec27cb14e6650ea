import { describe, expect, it } from 'vitest';
import { CallTimeoutError, CircuitBreaker, isCircuitOpenError } from '../../src/index.js';
import {
  bulkhead,
  constant,
  fallback,
  pipeline,
  policyOf,
  protect,
  retry,
  staleCache,
  timeout,
} from '../../src/policies/index.js';
import { FakeClock } from '../../src/testing/index.js';

describe('pipeline', () => {
  it('execute — runs policies outermost first', async () => {
    const order: string[] = [];
    const tracer = (name: string) => ({
      name,
      execute: async <T>(
        fn: (c: { signal: AbortSignal }) => T | PromiseLike<T>,
        o?: { signal?: AbortSignal | undefined },
      ) => {
        order.push(`${name}>`);
        try {
          return await fn({ signal: o?.signal ?? new AbortController().signal });
        } finally {
          order.push(`<${name}`);
        }
      },
      wrap: () => {
        throw new Error('unused');
      },
    });
    const p = pipeline(tracer('a'), tracer('b'), tracer('c'));
    await expect(p.execute(async () => order.push('fn'))).resolves.toBe(4);
    expect(order).toEqual(['a>', 'b>', 'c>', 'fn', '<c', '<b', '<a']);
    expect(p.name).toBe('a → b → c');
  });

  it('execute — a timeout per attempt inside retry: each attempt gets its own deadline', async () => {
    const clock = new FakeClock();
    let attempts = 0;
    const p = pipeline(retry({ maxAttempts: 3, backoff: constant(10), clock }), timeout(100, { clock }));
    const result = p.execute(({ signal }) => {
      attempts++;
      if (attempts < 3)
        return new Promise<string>((_, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason)),
        );
      return 'third time';
    });
    await clock.advanceAsync(500);
    await expect(result).resolves.toBe('third time');
    expect(attempts).toBe(3);
  });

  it('execute — the caller signal reaches the innermost function through every policy', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const p = pipeline(
      fallback('fb'),
      retry({ clock }),
      bulkhead({ maxConcurrent: 1 }),
      timeout(1_000, { clock }),
    );
    const result = p.execute(
      ({ signal }) => {
        inner = signal;
        return new Promise(() => undefined);
      },
      { signal: controller.signal },
    );
    controller.abort('user left');
    await expect(result).rejects.toBe('user left');
    expect(inner?.aborted).toBe(true);
  });

  it('execute — the recommended order: fallback → retry → breaker → timeout', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 2, timeout: false });
    const p = pipeline(
      fallback((e) => (isCircuitOpenError(e) ? 'circuit open' : 'degraded')),
      retry({ maxAttempts: 3, backoff: constant(0), clock }),
      breaker,
      timeout(100, { clock }),
    );
    let calls = 0;
    const down = () => {
      calls++;
      return Promise.reject(new Error('down'));
    };
    // Two failed attempts open the circuit; the third attempt is rejected and not retried.
    await expect(p.execute(down)).resolves.toBe('circuit open');
    expect(calls).toBe(2);
    expect(breaker.state).toBe('open');
    await expect(p.execute(down)).resolves.toBe('circuit open');
    expect(calls).toBe(2);
  });

  it('execute — a timeout counts as a breaker failure when the timeout is inside the breaker', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, timeout: false });
    const p = pipeline(breaker, timeout(50, { clock }));
    const caught = p.execute(() => new Promise(() => undefined)).catch((e: unknown) => e);
    await clock.advanceAsync(50);
    expect(await caught).toBeInstanceOf(CallTimeoutError);
    expect(breaker.state).toBe('open');
  });

  it('wrap — passes arguments and this; nests', async () => {
    const inner = pipeline(retry({ backoff: constant(0) }));
    const outer = pipeline(fallback(-1), inner);
    const obj = {
      k: 10,
      times: outer.wrap(function (this: { k: number }, n: number) {
        if (n < 0) throw new Error('negative');
        return this.k * n;
      }),
    };
    await expect(obj.times(4)).resolves.toBe(40);
    await expect(obj.times(-4)).resolves.toBe(-1);
  });

  it('pipeline — a stale cache joins through forKey', async () => {
    const cache = staleCache({ ttl: Infinity });
    const p = (key: string) => pipeline(cache.forKey(key), retry({ maxAttempts: 1 }));
    await p('k').execute(async () => 'v');
    await expect(p('k').execute(() => Promise.reject(new Error('x')))).resolves.toBe('v');
  });

  it('pipeline — rejects what is not a policy', () => {
    expect(() => pipeline({} as never)).toThrow(/argument 0 is not a policy/);
    expect(() => (pipeline as (...a: unknown[]) => unknown)()).toThrow(/at least one policy/);
  });
});

describe('protect', () => {
  it('protect — wraps a plain function and keeps its name', async () => {
    const policy = fallback('fb');
    async function load(id: string): Promise<string> {
      if (id === 'bad') throw new Error('x');
      return `item ${id}`;
    }
    const guarded = protect(policy)(load);
    expect(guarded.name).toBe('load');
    expect(policyOf(guarded)).toBe(policy);
    await expect(guarded('1')).resolves.toBe('item 1');
    await expect(guarded('bad')).resolves.toBe('fb');
  });

  it('protect — decorates a method (TC39), one policy shared by every instance, this passed on', async () => {
    const pool = bulkhead({ maxConcurrent: 1 });
    class Service {
      constructor(readonly label: string) {}
      @protect(pipeline(pool))
      async hello(name: string): Promise<string> {
        return `${this.label}: hello ${name}`;
      }
    }
    const a = new Service('a');
    const b = new Service('b');
    await expect(a.hello('x')).resolves.toBe('a: hello x');
    let release!: () => void;
    const busy = pool.execute(() => new Promise<void>((r) => (release = r)));
    await expect(b.hello('y')).rejects.toMatchObject({ code: 'ERR_BULKHEAD_FULL' });
    release();
    await busy;
    await expect(b.hello('y')).resolves.toBe('b: hello y');
  });

  it('protect — supports the legacy experimentalDecorators shape', async () => {
    const target = {
      async get(): Promise<string> {
        throw new Error('x');
      },
    };
    const descriptor = Object.getOwnPropertyDescriptor(target, 'get')!;
    const decorated = protect(fallback('legacy'))(target, 'get', descriptor);
    Object.defineProperty(target, 'get', decorated);
    await expect(target.get()).resolves.toBe('legacy');
  });

  it('protect — rejects fields and non-policies with a clear message', () => {
    expect(() => protect({} as never)).toThrow(/needs a policy or pipeline/);
    const deco = protect(retry()) as unknown as (t: unknown, c: unknown) => unknown;
    expect(() => deco(undefined, { kind: 'field', name: 'x' })).toThrow(
      new TypeError('@protect is a method decorator: it decorates methods and functions, not a field (x)'),
    );
  });

  it('protect — names what it got when it is not a policy: null, a function, an object without wrap', () => {
    const message = (got: string) =>
      new TypeError(`protect(policy) needs a policy or pipeline (an object with a wrap method) (got ${got})`);
    expect(() => protect(null as never)).toThrow(message('null'));
    expect(() => protect(undefined as never)).toThrow(message('undefined'));
    const wrapped = Object.assign(() => 1, { wrap: (fn: unknown) => fn });
    expect(() => protect(wrapped as never)).toThrow(message('a function'));
    expect(() => protect({ wrap: 1 } as never)).toThrow(TypeError);
  });

  it('policyOf — undefined for anything not made by protect; found through the global symbol key', () => {
    for (const value of [undefined, null, 1, 'f', {}, () => 1]) expect(policyOf(value)).toBeUndefined();
    const policy = retry();
    const foreign = Object.assign(() => 1, { [Symbol.for('breakwater.policy')]: policy });
    expect(policyOf(foreign)).toBe(policy);
    expect(policyOf(protect(policy)(() => 1))).toBe(policy);
  });

  it('policyOf — a second copy of the module finds the policy of a function guarded by this one, and back', async () => {
    // A query makes a separate module instance: protect.ts evaluated once more, as when the ES
    // module and the CommonJS build are both loaded (a new query each run: a fresh evaluation).
    const specifier = `../../src/policies/protect.js?copy=${String(process.hrtime.bigint())}`;
    const other = (await import(specifier)) as typeof import('../../src/policies/protect.js');
    expect(other.policyOf).not.toBe(policyOf);
    const policy = retry();
    expect(other.policyOf(protect(policy)(() => 1))).toBe(policy);
    expect(policyOf(other.protect(policy)(() => 1))).toBe(policy);
  });
});

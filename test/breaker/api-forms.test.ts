/* eslint-disable @typescript-eslint/unbound-method -- breakerOf(instance.method) reads a method without calling it */
// docs/contract.md §17: execute, wrap, and circuitBreaker(...) as a TC39 decorator, a wrapper and a legacy decorator.
import { describe, expect, it, vi } from 'vitest';
import { breakerOf, CircuitBreaker, circuitBreaker, CircuitOpenError } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { MAX_TIMER_MS } from '../../src/core/clock.js';
import { caught, failTimes, makeBreaker, ok } from './helpers.js';

describe('execute', () => {
  it('execute — infers and returns the function’s result, sync or async', async () => {
    const { breaker } = makeBreaker();
    await expect(breaker.execute(() => 5)).resolves.toBe(5);
    await expect(breaker.execute(async () => 'a')).resolves.toBe('a');
  });
});

describe('wrap', () => {
  it('wrap — passes arguments and this, and returns a promise of the result', async () => {
    const { breaker } = makeBreaker();
    const service = {
      rate: 3,
      charge(amount: number, currency: string) {
        return `${String(amount * this.rate)} ${currency}`;
      },
    };
    const charge = breaker.wrap(service.charge);
    const bound = { rate: 2, charge };
    await expect(bound.charge(10, 'EUR')).resolves.toBe('20 EUR');
    await expect(breaker.wrap(service.charge.bind(service))(10, 'USD')).resolves.toBe('30 USD');
  });

  it('wrap — every wrapped call goes through the same breaker', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 2 });
    const a = breaker.wrap(() => Promise.reject(new Error('a')));
    const b = breaker.wrap(() => Promise.reject(new Error('b')));
    await caught(a());
    await caught(b());
    expect(breaker.state).toBe('open');
  });

  it('wrap — a non-function is a TypeError naming the breaker and what was given', () => {
    const { breaker } = makeBreaker({ name: 'mailer' });
    expect(() => breaker.wrap(null as never)).toThrow(
      new TypeError('breaker "mailer": wrap(fn) needs a function (got object)'),
    );
  });
});

describe('circuitBreaker as a TC39 method decorator', () => {
  const clock = new FakeClock();

  class Payments {
    calls: string[] = [];
    constructor(readonly region: string) {}

    @circuitBreaker({ clock, failureThreshold: 2, recoveryTimeout: 1_000 })
    async charge(orderId: string, amount: number): Promise<string> {
      this.calls.push(orderId);
      if (amount < 0) throw new Error(`refused ${orderId}`);
      return `${this.region}:${orderId}:${String(amount)}`;
    }

    @circuitBreaker({ clock, name: 'refunds-api', failureThreshold: 1 })
    async refund(orderId: string): Promise<string> {
      return Promise.resolve(`refunded ${orderId}`);
    }
  }

  it('circuitBreaker — preserves this and arguments', async () => {
    const eu = new Payments('eu');
    await expect(eu.charge('o-1', 5)).resolves.toBe('eu:o-1:5');
    expect(eu.calls).toEqual(['o-1']);
  });

  it('circuitBreaker — one breaker per decorated method, shared by all instances', async () => {
    const eu = new Payments('eu');
    const us = new Payments('us');
    const breaker = breakerOf(eu.charge);
    expect(breaker).toBeInstanceOf(CircuitBreaker);
    expect(breakerOf(us.charge)).toBe(breaker);
    expect(breakerOf(eu.refund)).not.toBe(breaker);
    breaker!.reset();
    await caught(eu.charge('o-2', -1));
    await caught(us.charge('o-3', -1)); // the second failure, through another instance, opens it
    expect(breaker!.state).toBe('open');
    expect(await caught(eu.charge('o-4', 1))).toBeInstanceOf(CircuitOpenError);
    expect(eu.calls).not.toContain('o-4');
    clock.advance(1_000);
    breaker!.reset();
  });

  it('circuitBreaker — names the breaker after the method unless a name is given', () => {
    const p = new Payments('eu');
    expect(breakerOf(p.charge)?.name).toBe('charge');
    expect(breakerOf(p.refund)?.name).toBe('refunds-api');
    expect(p.charge.name).toBe('charge');
  });

  it('circuitBreaker — a bad option fails where the decorator is written', () => {
    expect(() => circuitBreaker({ failureThreshold: -1 })).toThrow(/failureThreshold/);
  });

  it('circuitBreaker — decorating a getter is a clear TypeError', () => {
    expect(() => {
      class Bad {
        // @ts-expect-error a getter is not a method
        @circuitBreaker()
        get value(): Promise<number> {
          return Promise.resolve(1);
        }
      }
      return Bad;
    }).toThrow(
      new TypeError(
        '@circuitBreaker is a method decorator: it decorates methods and functions, not a getter (value)',
      ),
    );
  });

  it('circuitBreaker — decorating a field is a clear TypeError', () => {
    // A field decorator receives `undefined` and a context of kind 'field'.
    const decorate = circuitBreaker() as unknown as (value: undefined, context: object) => unknown;
    expect(() => decorate(undefined, { kind: 'field', name: 'handler' })).toThrow(TypeError);
    expect(() => decorate(undefined, { kind: 'field', name: 'handler' })).toThrow(/method/);
  });

  it('circuitBreaker — decorating a class is a clear TypeError naming it', () => {
    const decorate = circuitBreaker() as unknown as (value: unknown, context: object) => unknown;
    expect(() =>
      decorate(
        class Service {
          id = 1;
        },
        { kind: 'class', name: 'Service' },
      ),
    ).toThrow(/not a class \(Service\)/);
  });
});

describe('circuitBreaker as a plain wrapper', () => {
  it('circuitBreaker — wraps a function, named after it, with the same parameters', async () => {
    const clock = new FakeClock();
    async function fetchUser(id: number, verbose: boolean): Promise<string> {
      return Promise.resolve(`${String(id)}${verbose ? '!' : ''}`);
    }
    const guarded = circuitBreaker({ clock })(fetchUser);
    await expect(guarded(7, true)).resolves.toBe('7!');
    expect(breakerOf(guarded)?.name).toBe('fetchUser');
    expect(guarded.name).toBe('fetchUser');
  });

  it('circuitBreaker — an anonymous function gets the default name; an explicit name wins', () => {
    const clock = new FakeClock();
    const fns = [(): number => 1];
    expect(breakerOf(circuitBreaker({ clock })(fns[0]!))?.name).toBe('breaker');
    expect(breakerOf(circuitBreaker({ clock, name: 'x' })(async function named() {}))?.name).toBe('x');
  });

  it('circuitBreaker — with an existing breaker, every wrapped function shares it', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 2 });
    const a = circuitBreaker(breaker)(() => Promise.reject(new Error('a')));
    const b = circuitBreaker(breaker)(() => Promise.reject(new Error('b')));
    expect(breakerOf(a)).toBe(breaker);
    await caught(a());
    await caught(b());
    expect(breaker.state).toBe('open');
  });

  it('circuitBreaker — the fallback receives the wrapper’s arguments', async () => {
    const fallback = vi.fn((_error: unknown, ...args: unknown[]) => args.length);
    const guarded = circuitBreaker({ clock: new FakeClock(), fallback })(
      (a: string, b: number): Promise<number> => Promise.reject(new Error(a + String(b))),
    );
    await expect(guarded('a', 2)).resolves.toBe(2);
    expect(fallback).toHaveBeenCalledWith(expect.any(Error), 'a', 2);
  });

  it('circuitBreaker — something other than a function is a TypeError', () => {
    const decorate = circuitBreaker() as unknown as (value: unknown) => unknown;
    expect(() => decorate(42)).toThrow(TypeError);
  });

  it('breakerOf — undefined for anything not made by circuitBreaker', () => {
    expect(breakerOf(() => 1)).toBeUndefined();
    expect(breakerOf(undefined)).toBeUndefined();
    expect(breakerOf({})).toBeUndefined();
  });
});

describe('circuitBreaker as a legacy (experimentalDecorators) decorator', () => {
  it('circuitBreaker — (target, key, descriptor) returns a descriptor whose method is guarded', async () => {
    const clock = new FakeClock();
    class Legacy {
      factor = 10;
      async scale(x: number): Promise<number> {
        if (x < 0) throw new Error('negative');
        return Promise.resolve(x * this.factor);
      }
    }
    const descriptor = Object.getOwnPropertyDescriptor(Legacy.prototype, 'scale')!;
    const decorate = circuitBreaker({ clock, failureThreshold: 1 }) as unknown as (
      target: object,
      key: string,
      descriptor: PropertyDescriptor,
    ) => PropertyDescriptor;
    const result = decorate(Legacy.prototype, 'scale', descriptor);
    expect(result).toMatchObject({ writable: true, enumerable: false, configurable: true });
    Object.defineProperty(Legacy.prototype, 'scale', result);

    const instance = new Legacy();
    await expect(instance.scale(2)).resolves.toBe(20);
    const breaker = breakerOf(instance.scale);
    expect(breaker?.name).toBe('scale');
    await caught(instance.scale(-1));
    expect(breaker?.state).toBe('open');
    expect(await caught(new Legacy().scale(1))).toBeInstanceOf(CircuitOpenError);
  });

  it('circuitBreaker — a legacy descriptor without a function value is a TypeError', () => {
    const decorate = circuitBreaker() as unknown as (t: object, k: string, d: PropertyDescriptor) => unknown;
    expect(() => decorate({}, 'x', { get: () => 1 })).toThrow(TypeError);
  });
});

describe('manual controls', () => {
  it('isolate / disable / metricsOnly — each is a no-op when already in that state', async () => {
    const { breaker } = makeBreaker();
    for (const action of ['isolate', 'disable', 'metricsOnly'] as const) {
      breaker[action]();
      const generation = breaker.stats.generation;
      breaker[action]();
      expect(breaker.stats.generation).toBe(generation);
    }
    await failTimes(breaker, 1);
    expect(breaker.state).toBe('metrics-only');
    await expect(breaker.execute(ok(1))).resolves.toBe(1);
  });

  it('localState — the breaker’s own state, following each manual action and trip', async () => {
    const { breaker, clock } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    expect(breaker.localState).toBe('closed');
    await failTimes(breaker, 1);
    expect(breaker.localState).toBe('open');
    clock.advance(1_000);
    expect(breaker.localState).toBe('half-open');
    breaker.isolate();
    expect(breaker.localState).toBe('isolated');
    breaker.reset();
    expect(breaker.localState).toBe('closed');
  });

  it('extendOpen — lengthens the open period by ms, and accepts 0 and the timer limit', async () => {
    const { breaker } = makeBreaker({ failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    expect(breaker.extendOpen(0)).toBe(false);
    expect(breaker.extendOpen(5_000)).toBe(true);
    expect(breaker.stats.retryAfterMs).toBe(5_000);
    expect(breaker.extendOpen(MAX_TIMER_MS)).toBe(true);
    expect(breaker.stats.retryAfterMs).toBe(MAX_TIMER_MS);
  });

  it('extendOpen — anything but a number of ms in [0, timer limit] is a RangeError naming the value; the period is unchanged', async () => {
    const { breaker } = makeBreaker({ name: 'search', failureThreshold: 1, recoveryTimeout: 1_000 });
    await failTimes(breaker, 1);
    const bad: [unknown, string][] = [
      [-1, '-1'],
      [MAX_TIMER_MS + 1, String(MAX_TIMER_MS + 1)],
      [Number.NaN, 'NaN'],
      ['5000', '5000'],
      [true, 'true'],
    ];
    for (const [ms, shown] of bad) {
      expect(() => breaker.extendOpen(ms as number)).toThrow(
        new RangeError(
          `breaker "search": extendOpen(ms) needs a number of ms in [0, ${MAX_TIMER_MS}] (got ${shown})`,
        ),
      );
    }
    expect(breaker.stats.retryAfterMs).toBe(1_000);
  });
});

/* eslint-disable @typescript-eslint/unbound-method -- breakerOf(instance.method) reads a method without calling it */
// Type tests of the public generics: wrap, execute, and circuitBreaker in its three forms.
import { describe, expectTypeOf, it } from 'vitest';
import {
  type BreakerEvents,
  CircuitBreaker,
  circuitBreaker,
  type CircuitOpenError,
  isCircuitOpenError,
  type PolicyContext,
  type StateName,
} from '../../src/index.js';

const breaker = new CircuitBreaker();

describe('wrap', () => {
  it('wrap — keeps the parameters and returns a Promise of the awaited result', () => {
    const charge = breaker.wrap((orderId: string, amount: number) => Promise.resolve({ orderId, amount }));
    expectTypeOf(charge).parameters.toEqualTypeOf<[string, number]>();
    expectTypeOf(charge).returns.toEqualTypeOf<Promise<{ orderId: string; amount: number }>>();
    const sync = breaker.wrap((flag: boolean) => (flag ? 1 : 0));
    expectTypeOf(sync).toEqualTypeOf<(flag: boolean) => Promise<0 | 1>>();
    // @ts-expect-error wrong argument type
    void charge(1, 2);
    // @ts-expect-error missing argument
    void charge('o-1');
  });
});

describe('execute', () => {
  it('execute — infers T from the function', () => {
    expectTypeOf(breaker.execute(() => 42)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(breaker.execute(async () => 'x')).toEqualTypeOf<Promise<string>>();
    expectTypeOf(breaker.execute(({ signal }) => signal)).toEqualTypeOf<Promise<AbortSignal>>();
    expectTypeOf<Parameters<Parameters<CircuitBreaker['execute']>[0]>[0]>().toEqualTypeOf<PolicyContext>();
    // @ts-expect-error execute needs a function
    void breaker.execute(42);
  });

  it('execute — accepts an optional signal', () => {
    expectTypeOf(breaker.execute(() => 1, { signal: new AbortController().signal })).toEqualTypeOf<
      Promise<number>
    >();
    // @ts-expect-error unknown execute option
    void breaker.execute(() => 1, { timeout: 5 });
  });
});

describe('circuitBreaker', () => {
  it('circuitBreaker — decorates an async method', () => {
    class Service {
      @circuitBreaker({ failureThreshold: 5 })
      async charge(orderId: string, amount: number): Promise<string> {
        return Promise.resolve(`${orderId}:${String(amount)}`);
      }
    }
    expectTypeOf(new Service().charge).toEqualTypeOf<(orderId: string, amount: number) => Promise<string>>();
  });

  it('circuitBreaker — decorating a sync method returning a non-promise is a type error', () => {
    class Service {
      // @ts-expect-error a decorated method must return a Promise
      @circuitBreaker()
      total(a: number, b: number): number {
        return a + b;
      }
    }
    expectTypeOf(new Service().total).returns.toEqualTypeOf<number>();
  });

  it('circuitBreaker — decorating a getter or a field is a type error', () => {
    class Service {
      // @ts-expect-error only methods can be decorated
      @circuitBreaker()
      get ready(): Promise<boolean> {
        return Promise.resolve(true);
      }

      // @ts-expect-error only methods can be decorated
      @circuitBreaker()
      handler = (): Promise<number> => Promise.resolve(1);
    }
    expectTypeOf<Service['ready']>().toEqualTypeOf<Promise<boolean>>();
  });

  it('circuitBreaker — the legacy (target, key, descriptor) shape type-checks', () => {
    const descriptor: PropertyDescriptor = { value: () => Promise.resolve(1) };
    expectTypeOf(circuitBreaker()({}, 'method', descriptor)).toEqualTypeOf<PropertyDescriptor>();
  });

  it('circuitBreaker — as a plain wrapper keeps the parameter types', () => {
    const fetchUser = (id: number, verbose?: boolean): Promise<{ id: number }> =>
      Promise.resolve({ id: verbose ? id : 0 });
    const guarded = circuitBreaker({ timeout: 500 })(fetchUser);
    expectTypeOf(guarded).parameters.toEqualTypeOf<Parameters<typeof fetchUser>>();
    expectTypeOf(guarded).parameters.toEqualTypeOf<[id: number, verbose?: boolean | undefined]>();
    expectTypeOf(guarded).returns.toEqualTypeOf<Promise<{ id: number }>>();
    const fromSync = circuitBreaker(breaker)((s: string) => s.length);
    expectTypeOf(fromSync).toEqualTypeOf<(s: string) => Promise<number>>();
  });

  it('circuitBreaker — options are type-checked', () => {
    // @ts-expect-error unknown option
    circuitBreaker({ failureTreshold: 3 });
    // @ts-expect-error window type is a closed union
    new CircuitBreaker({ window: { type: 'sliding', size: 3 } });
  });
});

describe('state, events and guards', () => {
  it('state — is a StateName; events are typed by name', () => {
    expectTypeOf(breaker.state).toEqualTypeOf<StateName>();
    breaker.on('stateChange', (e) => {
      expectTypeOf(e).toEqualTypeOf<BreakerEvents['stateChange']>();
      expectTypeOf(e.to).toEqualTypeOf<StateName>();
    });
    breaker.on('rejected', (e) => {
      expectTypeOf(e.state).toEqualTypeOf<'open' | 'half-open' | 'isolated'>();
    });
    // @ts-expect-error unknown event
    breaker.on('opened', () => undefined);
  });

  it('isCircuitOpenError — narrows unknown', () => {
    const e: unknown = undefined;
    if (isCircuitOpenError(e)) expectTypeOf(e).toEqualTypeOf<CircuitOpenError>();
  });
});

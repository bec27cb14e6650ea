import { describe, expectTypeOf, it } from 'vitest';
import { CircuitBreaker, type Policy } from '../../src/index.js';
import {
  bulkhead,
  fallback,
  pipeline,
  protect,
  queueForLater,
  type QueuedReceipt,
  retry,
  staleCache,
  timeout,
} from '../../src/policies/index.js';

declare function fetchUser(id: string, opts: { signal: AbortSignal }): Promise<{ id: string; name: string }>;
type User = Awaited<ReturnType<typeof fetchUser>>;

describe('pipeline types', () => {
  it('pipeline — of plain policies is a Policy and keeps the result type', () => {
    const p = pipeline(retry(), new CircuitBreaker(), timeout(1_000), bulkhead({ maxConcurrent: 1 }));
    expectTypeOf(p).toExtend<Policy>();
    expectTypeOf(p.execute(({ signal }) => fetchUser('1', { signal }))).toEqualTypeOf<Promise<User>>();
    const get = p.wrap((id: string, n: number) => Promise.resolve({ id, n }));
    expectTypeOf(get).toEqualTypeOf<(id: string, n: number) => Promise<{ id: string; n: number }>>();
  });

  it('pipeline — with a fallback adds the fallback type to the result', () => {
    const p = pipeline(fallback(null), retry(), timeout(1_000));
    expectTypeOf(p.execute(({ signal }) => fetchUser('1', { signal }))).toEqualTypeOf<Promise<User | null>>();
    const nested = pipeline(fallback('none' as const), pipeline(fallback(0), retry()));
    expectTypeOf(nested.execute(async () => true)).toEqualTypeOf<Promise<boolean | 'none' | number>>();
    // A pipeline that may answer with something else is not a plain Policy.
    expectTypeOf(p).not.toExtend<Policy>();
  });

  it('pipeline — with a queue receipt adds QueuedReceipt', () => {
    const q = queueForLater<string>({ replay: () => undefined });
    const p = pipeline(q.forPayload('mail'), retry());
    expectTypeOf(p.execute(async () => 1)).toEqualTypeOf<Promise<number | QueuedReceipt>>();
  });

  it('pipeline — rejects non-policies and an empty list', () => {
    // @ts-expect-error not a policy
    pipeline({ execute: 1 });
    // @ts-expect-error at least one policy
    pipeline();
  });

  it('staleCache — forKey is a Policy; wrap uses the key parameters', () => {
    const cache = staleCache({ ttl: 1_000, key: (id: string) => id });
    expectTypeOf(cache.forKey('k')).toExtend<Policy>();
    const get = cache.wrap((id: string) => fetchUser(id, { signal: AbortSignal.timeout(1) }));
    expectTypeOf(get).toEqualTypeOf<(id: string) => Promise<User>>();
    // @ts-expect-error the key function takes a string
    cache.wrap((id: number) => id);
  });
});

describe('protect types', () => {
  it('protect — wraps a function with the same parameters', () => {
    const guarded = protect(pipeline(retry(), timeout(100)))((a: number, b: string) => `${a}${b}`);
    expectTypeOf(guarded).parameters.toEqualTypeOf<[number, string]>();
    expectTypeOf(guarded).returns.toEqualTypeOf<Promise<string>>();
    const withFallback = protect(fallback(0))((s: string) => s.length > 0);
    expectTypeOf(withFallback).returns.toEqualTypeOf<Promise<boolean | number>>();
  });

  it('protect — decorates methods whose result admits the fallback', () => {
    class Service {
      @protect(pipeline(retry(), new CircuitBreaker()))
      async load(id: string): Promise<User> {
        return fetchUser(id, { signal: AbortSignal.timeout(1) });
      }

      @protect(fallback(null))
      async maybe(id: string): Promise<User | null> {
        return fetchUser(id, { signal: AbortSignal.timeout(1) });
      }
    }
    expectTypeOf<Service['load']>().returns.toEqualTypeOf<Promise<User>>();
  });

  it('protect — rejects a fallback the method cannot return', () => {
    class Service {
      // @ts-expect-error a string fallback does not fit Promise<number>
      @protect(fallback('oops'))
      async count(): Promise<number> {
        return 1;
      }
    }
    expectTypeOf(Service).toBeConstructibleWith();
  });

  it('protect — rejects non-policies', () => {
    // @ts-expect-error not a policy
    protect({});
  });
});

/* eslint-disable @typescript-eslint/no-misused-promises -- async listeners are what is tested here */
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, isCircuitOpenError, retry, staleCache, Telemetry } from '../../src/index.js';
import { queueForLater } from '../../src/policies/index.js';

/** Rejection values that break `String(x)`, `x instanceof Error` or a property read. */
const hostile = (): [string, () => unknown][] => {
  const revocable = Proxy.revocable({}, {});
  revocable.revoke();
  return [
    ['a null-prototype object', () => Object.create(null) as unknown],
    ['a revoked Proxy', () => revocable.proxy],
    [
      'a Proxy whose every property read throws',
      () =>
        new Proxy(new Error('x'), {
          get(_target, key) {
            throw new Error(`read of ${String(key)}`);
          },
        }),
    ],
  ];
};

describe('hostile rejection values', () => {
  it.each(hostile())('error guards — answer false for %s instead of throwing', (_label, make) => {
    expect(isCircuitOpenError(make())).toBe(false);
  });

  it.each(hostile())('retry — rejects with the very value it got: %s', async (_label, make) => {
    const value = make();
    const policy = retry({ maxAttempts: 2, backoff: () => 0 });
    let got: unknown;
    await policy
      .execute(() => Promise.reject(value))
      .catch((error: unknown) => {
        got = error;
      });
    expect(Object.is(got, value)).toBe(true);
  });

  it.each(hostile())(
    'queueForLater drain — a replay rejecting with %s requeues and dead-letters the item, nothing is stuck',
    async (_label, make) => {
      const queue = queueForLater<number>({
        replay: () => Promise.reject(make()),
        maxAttempts: 2,
        onDeadLetter: () => undefined,
      });
      for (let i = 0; i < 3; i++) {
        await queue.execute(() => Promise.reject(new Error('down')), { payload: i });
      }
      await expect(queue.drain()).resolves.toEqual({
        replayed: 0,
        requeued: 3,
        deadLettered: 0,
        deferred: 0,
      });
      await expect(queue.drain()).resolves.toEqual({
        replayed: 0,
        requeued: 0,
        deadLettered: 3,
        deferred: 0,
      });
      expect(await queue.size()).toBe(0);
      const dead = await queue.deadLetters();
      expect(dead.map((d) => d.payload)).toEqual([0, 1, 2]);
      expect(typeof dead[0]?.lastError).toBe('string');
      queue.dispose();
    },
  );
});

/** Resolves with the first process warning of `type`. */
function nextWarning(type: string): Promise<Error> {
  return new Promise((resolve) => {
    const onWarning = (warning: Error): void => {
      if (warning.name !== type) return;
      process.off('warning', onWarning);
      resolve(warning);
    };
    process.on('warning', onWarning);
  });
}

describe('listeners and callbacks that throw unprintable values', () => {
  it('Telemetry subscribe — a subscriber throwing a null-prototype object is a warning, the breaker is built', async () => {
    const telemetry = new Telemetry();
    telemetry.subscribe(() => {
      throw Object.create(null) as unknown;
    });
    const warned = nextWarning('BreakwaterListenerWarning');
    const breaker = new CircuitBreaker({ name: 'unprintable-subscriber', telemetry });
    expect((await warned).message).toContain('(an unprintable object)');
    await expect(breaker.execute(async () => 'ok')).resolves.toBe('ok');
  });

  it('CircuitBreaker on — an async listener rejecting with a null-prototype object is a warning', async () => {
    const breaker = new CircuitBreaker({ name: 'unprintable-listener', failureThreshold: 1 });
    breaker.on('stateChange', async () => {
      await Promise.resolve();
      throw Object.create(null) as unknown;
    });
    const warned = nextWarning('BreakwaterListenerWarning');
    await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect((await warned).message).toContain('(an unprintable object)');
  });

  it('CircuitBreaker isFailure — a classifier throwing a null-prototype object counts a failure, with a warning', async () => {
    const breaker = new CircuitBreaker({
      name: 'unprintable-classifier',
      failureThreshold: 1,
      isFailure: () => {
        throw Object.create(null) as unknown;
      },
    });
    const warned = nextWarning('BreakwaterClassifierWarning');
    await expect(breaker.execute(() => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect((await warned).message).toContain('(an unprintable object)');
    expect(breaker.state).toBe('open');
  });

  it('staleCache onStale — a callback throwing a revoked Proxy still serves the stale answer', async () => {
    const revocable = Proxy.revocable({}, {});
    revocable.revoke();
    const cache = staleCache({
      ttl: 60_000,
      onStale: () => {
        throw revocable.proxy;
      },
    });
    await cache.execute(async () => 'fresh', { key: 'k' });
    const warned = nextWarning('BreakwaterWarning');
    await expect(cache.execute(() => Promise.reject(new Error('down')), { key: 'k' })).resolves.toBe('fresh');
    expect((await warned).message).toContain('(an unprintable object)');
  });
});

import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError } from '../../src/index.js';
import { fallback, staleCache } from '../../src/policies/index.js';
import { FakeClock } from '../../src/testing/index.js';

const fail =
  (message = 'down') =>
  async (): Promise<string> => {
    throw new Error(message);
  };

describe('fallback', () => {
  it('execute — answers a failure with the value', async () => {
    await expect(fallback('default').execute(fail())).resolves.toBe('default');
  });

  it('execute — passes a success through untouched', async () => {
    await expect(fallback('default').execute(async () => 'real')).resolves.toBe('real');
  });

  it('execute — a function receives the error and may be async', async () => {
    const policy = fallback(async (error) => `degraded: ${(error as Error).message}`);
    await expect(policy.execute(fail('timeout'))).resolves.toBe('degraded: timeout');
  });

  it('execute — when decides which errors are answered', async () => {
    const policy = fallback(0, { when: (e) => e instanceof CircuitOpenError });
    await expect(policy.execute(fail('bug'))).rejects.toThrow('bug');
    await expect(
      policy.execute(async () => {
        throw new CircuitOpenError('db', 'open', 10);
      }),
    ).resolves.toBe(0);
  });

  it('execute — never answers a caller abort', async () => {
    const controller = new AbortController();
    const p = fallback('x').execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort('gone');
    await expect(p).rejects.toBe('gone');
  });

  it('execute — a throwing fallback function rejects with its error', async () => {
    const policy = fallback(() => {
      throw new Error('no fallback either');
    });
    await expect(policy.execute(fail())).rejects.toThrow('no fallback either');
  });

  it('fallback — validates options', () => {
    expect(() => fallback(1, { when: 3 as never, extra: 1 } as never)).toThrow(
      /extra.*when must be a function/,
    );
  });
});

describe('staleCache', () => {
  it('execute — serves the last good result for the same key when the call fails', async () => {
    const clock = new FakeClock();
    const cache = staleCache({ ttl: 60_000, clock });
    await cache.execute(async () => 'v1', { key: 'a' });
    clock.advance(30_000);
    await expect(cache.execute(fail(), { key: 'a' })).resolves.toBe('v1');
    await expect(cache.execute(fail(), { key: 'b' })).rejects.toThrow('down');
  });

  it('execute — does not serve a result at or past its ttl, and forgets it', async () => {
    const clock = new FakeClock();
    const cache = staleCache({ ttl: 1_000, clock });
    await cache.execute(async () => 'v1', { key: 'a' });
    clock.advance(1_000);
    await expect(cache.execute(fail(), { key: 'a' })).rejects.toThrow('down');
    expect(cache.size).toBe(0);
  });

  it('execute — answers a rejection by an open circuit', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, failureThreshold: 1, timeout: false });
    const cache = staleCache({ ttl: 60_000, clock });
    const call = (fn: () => Promise<string>) => cache.execute(() => breaker.execute(fn), { key: 'k' });
    await expect(call(async () => 'fresh')).resolves.toBe('fresh');
    await expect(call(fail())).resolves.toBe('fresh');
    expect(breaker.state).toBe('open');
    let reached = false;
    const events: unknown[] = [];
    const watched = staleCache({ ttl: 60_000, clock, onStale: (e) => events.push(e) });
    await watched.execute(async () => 'fresh', { key: 'k' });
    await expect(
      watched.execute(
        () =>
          breaker.execute(async () => {
            reached = true;
            return 'x';
          }),
        { key: 'k' },
      ),
    ).resolves.toBe('fresh');
    expect(reached).toBe(false);
    expect(events).toMatchObject([{ key: 'k', ageMs: 0, error: { code: 'ERR_CIRCUIT_OPEN' } }]);
  });

  it('execute — a newer success replaces the remembered result', async () => {
    const cache = staleCache({ ttl: Infinity });
    await cache.execute(async () => 1, { key: 'k' });
    await cache.execute(async () => 2, { key: 'k' });
    await expect(cache.execute(fail() as never, { key: 'k' })).resolves.toBe(2);
  });

  it('execute — keeps at most maxEntries keys, forgetting the least recently used', async () => {
    const cache = staleCache({ ttl: Infinity, maxEntries: 2 });
    await cache.execute(async () => 'a', { key: 'a' });
    await cache.execute(async () => 'b', { key: 'b' });
    await cache.execute(fail(), { key: 'a' }); // served stale: 'a' is now the most recently used
    await cache.execute(async () => 'c', { key: 'c' });
    expect(cache.size).toBe(2);
    await expect(cache.execute(fail(), { key: 'a' })).resolves.toBe('a');
    await expect(cache.execute(fail(), { key: 'b' })).rejects.toThrow('down');
  });

  it('wrap — keys calls by the key option', async () => {
    let up = true;
    const fetchUser = async (id: string) => {
      if (!up) throw new Error('down');
      return { id };
    };
    const cache = staleCache({ ttl: Infinity, key: (id: string) => `user:${id}` });
    const getUser = cache.wrap(fetchUser);
    await getUser('1');
    up = false;
    await expect(getUser('1')).resolves.toMatchObject({ id: '1' });
    await expect(getUser('2')).rejects.toThrow('down');
  });

  it('wrap — the default key is the JSON of the arguments', async () => {
    let up = true;
    const cache = staleCache({ ttl: Infinity });
    const add = cache.wrap(async (a: number, b: number) => {
      if (!up) throw new Error('down');
      return a + b;
    });
    await add(1, 2);
    up = false;
    await expect(add(1, 2)).resolves.toBe(3);
    await expect(add(2, 1)).rejects.toThrow('down');
  });

  it('execute — never serves a caller abort, and needs a key', async () => {
    const cache = staleCache({ ttl: Infinity });
    await cache.execute(async () => 1, { key: 'k' });
    const controller = new AbortController();
    const p = cache.execute(
      ({ signal }) =>
        new Promise<number>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { key: 'k', signal: controller.signal },
    );
    controller.abort('stop');
    await expect(p).rejects.toBe('stop');
    await expect(cache.execute(async () => 1, {} as never)).rejects.toThrow(/needs a string key/);
  });

  it('staleCache — validates options together', () => {
    expect(() => staleCache({ ttl: -1, maxEntries: 0 })).toThrow(/ttl must be.*maxEntries must be/);
  });
});

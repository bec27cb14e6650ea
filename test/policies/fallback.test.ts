import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, Telemetry } from '../../src/index.js';
import { fallback, staleCache } from '../../src/policies/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

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

function captureWarnings(): { messages: () => string[]; restore: () => void } {
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  return {
    messages: () => spy.mock.calls.map(([message]) => String(message)),
    restore: () => spy.mockRestore(),
  };
}

/** A rejected promise, typed so a callback declared to return nothing may return it (an `async` callback does). */
const rejected = (message: string): unknown => Promise.reject(new Error(message));

describe('fallback — calls', () => {
  it('execute and wrap — a non-function or a bad signal is a TypeError naming the policy', async () => {
    const policy = fallback(0, { name: 'prices' });
    await expect(policy.execute(1 as never)).rejects.toThrow(
      new TypeError('fallback "prices": execute(fn) needs a function'),
    );
    await expect(policy.execute(async () => 1, { signal: {} as never })).rejects.toThrow(
      /^fallback "prices": execute\(fn, \{ signal \}\)/,
    );
    expect(() => policy.wrap(1 as never)).toThrow(
      new TypeError('fallback "prices": wrap(fn) needs a function'),
    );
  });

  it('wrap — passes this and the arguments on, and answers a failure', async () => {
    const policy = fallback(-1);
    const target = {
      base: 10,
      add: policy.wrap(async function (this: { base: number }, n: number): Promise<number> {
        if (n < 0) throw new Error('negative');
        return this.base + n;
      }),
    };
    expect(await target.add(5)).toBe(15);
    expect(await target.add(-5)).toBe(-1);
  });

  it('execute — the protected function gets the caller signal; when may accept an error', async () => {
    const controller = new AbortController();
    let seen: AbortSignal | undefined;
    const accepted: unknown[] = [];
    const policy = fallback('x', { when: (e) => (accepted.push(e), true) });
    await expect(
      policy.execute(
        ({ signal }) => {
          seen = signal;
          return Promise.reject(new Error('down'));
        },
        { signal: controller.signal },
      ),
    ).resolves.toBe('x');
    expect(seen).toBe(controller.signal);
    expect(accepted).toMatchObject([{ message: 'down' }]);
  });

  it('telemetry — nothing is emitted while no one listens', async () => {
    const telemetry = new Telemetry();
    const emit = vi.spyOn(telemetry, 'emit');
    await fallback(0, { telemetry }).execute(fail());
    expect(emit).not.toHaveBeenCalled();
  });
});

describe('staleCache — calls', () => {
  it('execute and wrap — a non-function, a missing key or a bad signal is a TypeError naming the policy', async () => {
    const cache = staleCache({ ttl: 1_000, name: 'prices' });
    await expect(cache.execute(1 as never, { key: 'k' })).rejects.toThrow(
      new TypeError('staleCache "prices": execute(fn) needs a function'),
    );
    await expect(cache.execute(async () => 1, undefined as never)).rejects.toThrow(
      new TypeError('staleCache "prices": execute(fn, { key }) needs a string key (got undefined)'),
    );
    await expect(cache.execute(async () => 1, { key: 7 } as never)).rejects.toThrow(
      'staleCache "prices": execute(fn, { key }) needs a string key (got number)',
    );
    await expect(cache.execute(async () => 1, { key: 'k', signal: {} as never })).rejects.toThrow(
      /^staleCache "prices": execute\(fn, \{ signal \}\)/,
    );
    expect(() => cache.wrap(1 as never)).toThrow(
      new TypeError('staleCache "prices": wrap(fn) needs a function'),
    );
    expect(cache.size).toBe(0);
  });

  it('wrap — passes this and the arguments on', async () => {
    const cache = staleCache({ ttl: Infinity });
    const target = {
      base: 10,
      add: cache.wrap(async function (this: { base: number }, n: number): Promise<number> {
        return this.base + n;
      }),
    };
    expect(await target.add(5)).toBe(15);
  });

  it('forKey — a policy for one key, from execute or wrap; a throwing signal getter rejects', async () => {
    const cache = staleCache({ ttl: Infinity });
    const policy = cache.forKey('user:1');
    expect(await policy.execute(async () => 'ann')).toBe('ann');
    expect(await policy.execute(fail())).toBe('ann');
    const wrapped = policy.wrap(async function (this: { n: string }, up: boolean): Promise<string> {
      if (!up) throw new Error('down');
      return this.n;
    });
    expect(await wrapped.call({ n: 'bob' }, true)).toBe('bob');
    expect(await wrapped.call({ n: 'eve' }, false)).toBe('bob');
    expect(await cache.execute(fail(), { key: 'user:1' })).toBe('bob');
    const controller = new AbortController();
    const p = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort('stop');
    await expect(p).rejects.toBe('stop');
    const hostile = {
      get signal(): AbortSignal {
        throw new Error('no signal');
      },
    };
    await expect(policy.execute(async () => 'x', hostile)).rejects.toThrow('no signal');
  });

  it('clear — forgets one key, or every key', async () => {
    const cache = staleCache({ ttl: Infinity });
    for (const key of ['a', 'b', 'c']) await cache.execute(async () => key, { key });
    cache.clear('b');
    expect(cache.size).toBe(2);
    await expect(cache.execute(fail(), { key: 'b' })).rejects.toThrow('down');
    expect(await cache.execute(fail(), { key: 'a' })).toBe('a');
    cache.clear();
    expect(cache.size).toBe(0);
    await expect(cache.execute(fail(), { key: 'c' })).rejects.toThrow('down');
  });

  it('execute — a success refreshes the key: the least recently stored goes first', async () => {
    const cache = staleCache({ ttl: Infinity, maxEntries: 2 });
    await cache.execute(async () => 'a1', { key: 'a' });
    await cache.execute(async () => 'b', { key: 'b' });
    await cache.execute(async () => 'a2', { key: 'a' });
    await cache.execute(async () => 'c', { key: 'c' });
    expect(cache.size).toBe(2);
    expect(await cache.execute(fail(), { key: 'a' })).toBe('a2');
    await expect(cache.execute(fail(), { key: 'b' })).rejects.toThrow('down');
  });

  it('execute — the age is counted from the last success, served just before ttl; onStale gets key, age and error', async () => {
    const clock = new FakeClock();
    const events: { key: string; ageMs: number; error: unknown }[] = [];
    const cache = staleCache({ ttl: 1_000, clock, onStale: (e) => void events.push(e) });
    await cache.execute(async () => 'v1', { key: 'k' });
    clock.advance(600);
    await cache.execute(async () => 'v2', { key: 'k' });
    clock.advance(999);
    const error = new Error('down');
    expect(await cache.execute(() => Promise.reject(error), { key: 'k' })).toBe('v2');
    expect(events).toEqual([{ key: 'k', ageMs: 999, error }]);
    expect(cache.size).toBe(1);
  });

  it('execute — an error when refuses is rethrown and the entry is kept for the next one', async () => {
    const cache = staleCache({ ttl: 1_000, clock: new FakeClock(), when: (e) => e !== 'fatal' });
    await cache.execute(async () => 1, { key: 'k' });
    await expect(cache.execute(() => Promise.reject('fatal'), { key: 'k' })).rejects.toBe('fatal');
    expect(cache.size).toBe(1);
    expect(await cache.execute(() => Promise.reject('transient'), { key: 'k' })).toBe(1);
  });

  it('onStale — a throw or a rejection is a warning; the stale answer is served anyway', async () => {
    const warnings = captureWarnings();
    try {
      let call = 0;
      const cache = staleCache({
        ttl: Infinity,
        name: 'prices',
        onStale: () => {
          if (++call === 1) throw new Error('callback broke');
          return rejected('callback rejected');
        },
      });
      await cache.execute(async () => 1, { key: 'k' });
      expect(await cache.execute(fail(), { key: 'k' })).toBe(1);
      expect(await cache.execute(fail(), { key: 'k' })).toBe(1);
      await settle();
      expect(warnings.messages()).toEqual([
        expect.stringMatching(/^breakwater: onStale of "prices" threw: Error: callback broke/),
        expect.stringMatching(
          /^breakwater: onStale of "prices" returned a rejected promise: Error: callback rejected/,
        ),
      ]);
    } finally {
      warnings.restore();
    }
  });

  it('staleCache — options that are not an object are a TypeError', () => {
    for (const options of [undefined, 5])
      expect(() => staleCache(options as never)).toThrow(
        new TypeError(
          `invalid staleCache options: options must be an object with ttl (got ${String(options)})`,
        ),
      );
  });

  it('execute — serving a stale result without onStale is no warning', async () => {
    const warnings = captureWarnings();
    try {
      const cache = staleCache({ ttl: Infinity });
      await cache.execute(async () => 1, { key: 'k' });
      expect(await cache.execute(fail(), { key: 'k' })).toBe(1);
      await settle();
      expect(warnings.messages()).toEqual([]);
    } finally {
      warnings.restore();
    }
  });

  it('telemetry — counted in place for an aggregate reader: fresh, stale, miss; no event object', async () => {
    const telemetry = new Telemetry();
    const reader = telemetry.subscribe(() => undefined, { aggregates: true });
    const emit = vi.spyOn(telemetry, 'emit');
    const cache = staleCache({ ttl: Infinity, telemetry, name: 'prices' });
    await cache.execute(async () => 1, { key: 'a' });
    await cache.execute(async () => 1, { key: 'a' });
    await cache.execute(fail(), { key: 'a' });
    await expect(cache.execute(fail(), { key: 'b' })).rejects.toThrow('down');
    await expect(cache.execute(fail(), { key: 'c' })).rejects.toThrow('down');
    await expect(cache.execute(fail(), { key: 'd' })).rejects.toThrow('down');
    expect([...telemetry.policyCounter('staleCache', 'prices', 3)]).toEqual([2, 1, 3]);
    expect(emit).not.toHaveBeenCalled();
    reader.dispose();
    const idle = staleCache({ ttl: Infinity, telemetry, name: 'idle' });
    await idle.execute(async () => 1, { key: 'a' });
    await idle.execute(fail(), { key: 'a' });
    await expect(idle.execute(fail(), { key: 'b' })).rejects.toThrow('down');
    expect(telemetry.policyCounters('staleCache').has('idle')).toBe(false);
    expect(emit).not.toHaveBeenCalled();
  });

  it('telemetry — an event listener gets events and no counts', async () => {
    const telemetry = new Telemetry();
    const events: unknown[] = [];
    telemetry.subscribe((e) => events.push(e));
    const cache = staleCache({ ttl: Infinity, telemetry, name: 'prices' });
    await cache.execute(async () => 1, { key: 'a' });
    expect(events).toEqual([{ type: 'cache', policy: 'prices', kind: 'staleCache', result: 'fresh' }]);
    expect(telemetry.policyCounters('staleCache').size).toBe(0);
  });
});

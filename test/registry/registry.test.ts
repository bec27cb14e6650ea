import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { BreakerRegistry, type EvictionReason } from '../../src/registry/index.js';
import { FakeClock } from '../../src/testing/index.js';

const fail = () => Promise.reject(new Error('down'));

/** Opens `breaker` (failureThreshold 1 in these tests). */
async function trip(breaker: CircuitBreaker): Promise<void> {
  await breaker.execute(fail).catch(() => undefined);
  expect(breaker.state).toBe('open');
}

function recordEvictions(registry: BreakerRegistry): [string, EvictionReason][] {
  const seen: [string, EvictionReason][] = [];
  registry.on('evicted', ({ key, reason }) => seen.push([key, reason]));
  return seen;
}

describe('BreakerRegistry', () => {
  it('get — creates one breaker per key with the defaults and the key as name', () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, defaults: { failureThreshold: 1, timeout: false } });
    const a = registry.get('a.example');
    expect(registry.get('a.example')).toBe(a);
    expect(registry.get('b.example')).not.toBe(a);
    expect(a).toBeInstanceOf(CircuitBreaker);
    expect(a.name).toBe('a.example');
    expect(registry.size).toBe(2);
  });

  it('get — names breakers prefix:key and shares the registry clock', async () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({
      clock,
      prefix: 'tenant',
      defaults: { failureThreshold: 1, recoveryTimeout: 1_000 },
    });
    const b = registry.get('42');
    expect(b.name).toBe('tenant:42');
    await trip(b);
    clock.advance(1_000);
    expect(b.state).toBe('half-open');
  });

  it('get — rejects a key that is not a string', () => {
    const registry = new BreakerRegistry();
    expect(() => registry.get(42 as unknown as string)).toThrow(TypeError);
  });

  it('create — builds breakers through the factory and checks what it returns', () => {
    const calls: [string, unknown][] = [];
    const registry = new BreakerRegistry({
      defaults: { failureThreshold: 2 },
      create: (key, options) => {
        calls.push([key, options]);
        return new CircuitBreaker(options);
      },
    });
    registry.get('x');
    expect(calls).toEqual([['x', expect.objectContaining({ name: 'x', failureThreshold: 2 })]]);
    const notABreaker: unknown = {};
    const bad = new BreakerRegistry({ create: () => notABreaker as CircuitBreaker });
    expect(() => bad.get('y')).toThrow(/create\("y"\) must return a CircuitBreaker/);
    expect(bad.size).toBe(0);
  });

  it('constructor — reports every bad option together, by name and value', () => {
    const options = {
      maxBreakers: 0,
      idleTtl: -5,
      prefix: '',
      colour: 'blue',
      defaults: { failureThreshold: -1, name: 'x' },
    };
    const frozen = Object.freeze({ ...options, defaults: Object.freeze({ ...options.defaults }) });
    let message = '';
    try {
      new BreakerRegistry(frozen);
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^invalid BreakerRegistry options: /);
    for (const part of [
      'maxBreakers must be an integer >= 1 (got 0)',
      'idleTtl must be a finite number > 0 (or Infinity) (got -5)',
      'prefix must be a non-empty string',
      'colour is not a known option',
      'defaults.name must be unset',
      'failureThreshold must be an integer >= 1 (or Infinity) (got -1)',
    ]) {
      expect(message).toContain(part);
    }
  });

  it('maxBreakers — size never exceeds the cap under 100,000 distinct keys', () => {
    const clock = new FakeClock();
    // The window type does not matter to the registry; a consecutive one is the cheapest to build.
    const registry = new BreakerRegistry({
      clock,
      maxBreakers: 1_000,
      defaults: { window: { type: 'consecutive' } },
    });
    let evicted = 0;
    registry.on('evicted', () => evicted++);
    let largest = 0;
    let misnamed = 0;
    for (let i = 0; i < 100_000; i++) {
      const key = `host-${i}.example`;
      if (registry.get(key).name !== key) misnamed++;
      largest = Math.max(largest, registry.size);
      clock.advance(1);
    }
    expect(misnamed).toBe(0);
    expect(largest).toBe(1_000);
    expect(evicted).toBe(99_000);
    // The newest 1,000 keys are the ones kept.
    expect(registry.has('host-99999.example')).toBe(true);
    expect(registry.has('host-99000.example')).toBe(true);
    expect(registry.has('host-98999.example')).toBe(false);
  });

  it('maxBreakers — evicts the least recently used breaker first', () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, maxBreakers: 3 });
    const evictions = recordEvictions(registry);
    registry.get('a');
    registry.get('b');
    registry.get('c');
    registry.get('a'); // a is now the most recent; b the least
    registry.get('d');
    expect(evictions).toEqual([['b', 'capacity']]);
    registry.get('e');
    expect(evictions).toEqual([
      ['b', 'capacity'],
      ['c', 'capacity'],
    ]);
    expect([...registry].map(([key]) => key)).toEqual(['a', 'd', 'e']);
  });

  it('maxBreakers — never evicts an open breaker', async () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, maxBreakers: 2, defaults: { failureThreshold: 1 } });
    const evictions = recordEvictions(registry);
    const down = registry.get('down');
    await trip(down);
    registry.get('b');
    registry.get('c'); // 'down' is the least recently used, but open: 'b' goes
    registry.get('d');
    expect(evictions).toEqual([
      ['b', 'capacity'],
      ['c', 'capacity'],
    ]);
    expect(registry.get('down')).toBe(down);
    expect(down.state).toBe('open');
  });

  it('maxBreakers — never evicts a breaker with a call in flight or held by hand', async () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, maxBreakers: 3, defaults: { timeout: false } });
    const evictions = recordEvictions(registry);
    let finish!: () => void;
    const busy = registry.get('busy');
    const running = busy.execute(() => new Promise<void>((resolve) => (finish = resolve)));
    registry.get('isolated').isolate();
    registry.get('half');
    registry.get('next');
    expect(evictions).toEqual([['half', 'capacity']]);
    finish();
    await running;
    registry.get('later'); // busy is idle and closed now, and it is the least recently used held one
    expect(evictions).toEqual([
      ['half', 'capacity'],
      ['busy', 'capacity'],
    ]);
    expect(registry.get('isolated').state).toBe('isolated');
  });

  it('maxBreakers — when nothing may be evicted, returns a working unregistered breaker', async () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, maxBreakers: 2, defaults: { failureThreshold: 1 } });
    await trip(registry.get('a'));
    await trip(registry.get('b'));
    const overflows: string[] = [];
    const added: string[] = [];
    registry.on('overflow', ({ key }) => overflows.push(key));
    registry.on('added', ({ key }) => added.push(key));
    const extra = registry.get('c');
    await expect(extra.execute(async () => 'ok')).resolves.toBe('ok');
    expect(extra.name).toBe('c');
    expect(registry.has('c')).toBe(false);
    expect(registry.size).toBe(2);
    expect(registry.get('c')).not.toBe(extra);
    expect(overflows).toEqual(['c', 'c']);
    expect(added).toEqual([]);
    registry.get('a').reset(); // room again
    expect(registry.get('c')).toBeInstanceOf(CircuitBreaker);
    expect(registry.has('c')).toBe(true);
    expect(registry.has('a')).toBe(false);
  });

  it('maxBreakers — overflow breakers stay off the telemetry stream, so the key can come back under its name', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new BreakerRegistry({
      clock,
      maxBreakers: 2,
      defaults: { failureThreshold: 1, telemetry },
    });
    await trip(registry.get('a'));
    await trip(registry.get('b'));
    const extras = [registry.get('c'), registry.get('c')]; // both alive: no name collision
    expect(extras[0]).not.toBe(extras[1]);
    expect(telemetry.sources().map((s) => s.name)).toEqual(['a', 'b']);
    registry.get('a').reset(); // room again: the registered 'c' takes its name on the stream
    const c = registry.get('c');
    expect(registry.has('c')).toBe(true);
    expect(telemetry.sources().map((s) => s.name)).toEqual(['b', 'c']);
    expect([c, ...extras].map((b) => b.name)).toEqual(['c', 'c', 'c']);
  });

  it('idleTtl — evicts breakers unused for idleTtl, lazily, and keeps used ones', () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, idleTtl: 1_000 });
    const evictions = recordEvictions(registry);
    registry.get('quiet');
    registry.get('busy');
    clock.advance(600);
    registry.get('busy');
    clock.advance(500); // quiet: 1,100 ms unused; busy: 500
    expect(evictions).toEqual([]); // nothing happens without an operation
    expect(clock.pendingTimers).toBe(0);
    expect(registry.has('quiet')).toBe(false);
    expect(registry.has('busy')).toBe(true);
    expect(evictions).toEqual([['quiet', 'idle']]);
  });

  it('idleTtl — leaves within idleTtl * 1.1 of the last use', () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, idleTtl: 1_000 });
    registry.get('a');
    clock.advance(50);
    registry.get('b'); // a sweep is not due yet (every 100 ms)
    clock.advance(1_050); // a: 1,100 ms, b: 1,050 ms unused
    expect(registry.size).toBe(0);
  });

  it('idleTtl — an open breaker outlives idleTtl and goes once it has closed', async () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({
      clock,
      idleTtl: 1_000,
      defaults: { failureThreshold: 1, recoveryTimeout: 5_000, successThreshold: 1 },
    });
    const down = registry.get('down');
    await trip(down);
    clock.advance(2_000);
    expect(registry.prune()).toBe(0);
    expect(registry.has('down')).toBe(true);
    clock.advance(3_000);
    await down.execute(async () => 'probe'); // half-open → closed, used without a get
    expect(down.state).toBe('closed');
    expect(registry.prune()).toBe(1);
    expect(registry.has('down')).toBe(false);
  });

  it('idleTtl — Infinity turns idle eviction off', () => {
    const clock = new FakeClock();
    const registry = new BreakerRegistry({ clock, idleTtl: Infinity });
    registry.get('a');
    clock.advance(1e12);
    expect(registry.prune()).toBe(0);
    expect(registry.has('a')).toBe(true);
  });

  it('entries — iterate pairs, least recently used first; has, peek, delete, clear', () => {
    const registry = new BreakerRegistry({ clock: new FakeClock() });
    const evictions = recordEvictions(registry);
    const a = registry.get('a');
    const b = registry.get('b');
    expect([...registry.entries()]).toEqual([
      ['a', a],
      ['b', b],
    ]);
    expect(registry.peek('a')).toBe(a);
    expect(registry.peek('zzz')).toBeUndefined();
    expect([...registry].map(([k]) => k)).toEqual(['a', 'b']); // peek does not mark used
    expect(registry.delete('a')).toBe(true);
    expect(registry.delete('a')).toBe(false);
    expect(registry.has('a')).toBe(false);
    registry.clear();
    expect(registry.size).toBe(0);
    expect(evictions).toEqual([
      ['a', 'delete'],
      ['b', 'clear'],
    ]);
  });

  it('on — reports added and evicted, and disposing stops the reports', () => {
    const registry = new BreakerRegistry({ clock: new FakeClock(), maxBreakers: 1 });
    const seen: string[] = [];
    const added = registry.on('added', ({ key, breaker }) => seen.push(`added ${key} ${breaker.name}`));
    const evicted = registry.on('evicted', ({ key, reason }) => seen.push(`evicted ${key} ${reason}`));
    registry.get('a');
    registry.get('b');
    added.dispose();
    evicted[Symbol.dispose]();
    registry.get('c');
    expect(seen).toEqual(['added a a', 'evicted a capacity', 'added b b']);
  });

  it('maxBreakers — property: bounded, and only closed idle breakers are ever evicted', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('fail' as const), key: fc.integer({ min: 0, max: 12 }) }),
      fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 800 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.array(op, { maxLength: 80 }), async (max, ops) => {
        const clock = new FakeClock();
        const registry = new BreakerRegistry({
          clock,
          maxBreakers: max,
          idleTtl: 1_000,
          defaults: { failureThreshold: 1, recoveryTimeout: 500, timeout: false },
        });
        const bad: string[] = [];
        registry.on('evicted', ({ key, breaker }) => {
          if (breaker.state !== 'closed' || breaker.stats.inFlight !== 0) bad.push(key);
        });
        for (const o of ops) {
          if (o.kind === 'tick') clock.advance(o.ms);
          else if (o.kind === 'get') registry.get(String(o.key));
          else
            await registry
              .get(String(o.key))
              .execute(fail)
              .catch(() => undefined);
          expect(registry.size).toBeLessThanOrEqual(max);
        }
        expect(bad).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});

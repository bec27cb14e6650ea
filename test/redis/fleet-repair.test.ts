// Garbage in a fleet's keys, and two configurations under one breaker name, against a real
// redis-server. The breakers run on a FakeClock, so sync intervals pass only when the test says.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitOpenError } from '../../src/index.js';
import { FakeClock } from '../../src/testing/fake-clock.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { CLIENTS, type ClientKind, fail, instance, type Instance, uniqueName, waitFor } from './helpers.js';

const hasRedis = requireRedis('test/redis/fleet-repair.test.ts');

const SYNC = 1_000;

describe.skipIf(!hasRedis).each(CLIENTS)('fleet keys holding garbage (%s)', (kind: ClientKind) => {
  let server: RedisServer;
  let admin: Redis;
  const open: Instance[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((i) => i.close()));
  });
  afterAll(async () => {
    admin.disconnect();
    await server.dispose();
  });

  /** One instance on a fake clock whose fleet has opened (for 600 s) or stayed closed. */
  async function start(state: 'open' | 'closed') {
    const clock = new FakeClock(1_000_000);
    const name = uniqueName('garbage');
    const i = await instance(
      kind,
      server.port,
      { name, clock, failureThreshold: 1, recoveryTimeout: 600_000, timeout: false },
      { minReporters: 1, syncIntervalMs: SYNC, deadlineMs: 60_000 },
    );
    open.push(i);
    await waitFor(() => i.breaker.fleet?.state === 'closed', 3_000, 'first sync');
    if (state === 'open') {
      await fail(i.breaker, 1);
      clock.advance(40); // the flush
      await waitFor(() => i.breaker.fleet?.state === 'open', 3_000, 'fleet open');
    }
    return { i, clock, keys: i.fleet.keysOf(name) };
  }

  /** One sync interval, then the `repaired` event. */
  async function repairedWithinOneSync(i: Instance, clock: FakeClock): Promise<readonly string[]> {
    clock.advance(SYNC);
    await waitFor(() => i.events.some((e) => e.kind === 'repaired'), 3_000, 'a repaired event');
    return i.events.find((e) => e.kind === 'repaired')?.keys ?? [];
  }

  /** Every key of the breaker has a TTL (none is left without one). */
  async function everyKeyExpires(prefix: string): Promise<void> {
    for (const key of await admin.keys(`${prefix}*`)) {
      const ttl = await admin.pttl(key);
      expect(ttl, key).not.toBe(-1);
    }
  }

  const big = 'x'.repeat(1_000_000);
  const stateGarbage: [string, (r: Redis, key: string) => Promise<unknown>][] = [
    ['a string', (r, k) => r.set(k, 'garbage')],
    ['a list', async (r, k) => (await r.del(k), r.rpush(k, 'a', 'b'))],
    ['a set', async (r, k) => (await r.del(k), r.sadd(k, 'a'))],
    ['a zset', async (r, k) => (await r.del(k), r.zadd(k, 1, 'a'))],
    ['a stream', async (r, k) => (await r.del(k), r.xadd(k, '*', 'f', 'v'))],
    ['a hash without our fields', async (r, k) => (await r.del(k), r.hset(k, 'foo', 'bar'))],
    ['an unknown state', (r, k) => r.hset(k, 'st', 'bogus')],
    ['a non-numeric generation', (r, k) => r.hset(k, 'gen', 'abc')],
    ['a negative generation', (r, k) => r.hset(k, 'gen', '-5')],
    ['a fractional generation', (r, k) => r.hset(k, 'gen', '2.5')],
    ['a huge open period', (r, k) => r.hset(k, 'until', '1e300')],
    [
      'an open period longer than the breaker can make',
      async (r, k) => {
        const [s] = await r.time();
        return r.hset(k, 'until', String(Number(s) * 1_000 + 1e9));
      },
    ],
    ['a negative open period', (r, k) => r.hset(k, 'until', '-10')],
    ['negative re-opens', (r, k) => r.hset(k, 'opens', '-3')],
    ['a non-numeric success count', (r, k) => r.hset(k, 'ok', 'many')],
    ['a huge epoch', (r, k) => r.hset(k, 'epoch', big)],
    ['a huge extra field', (r, k) => r.hset(k, 'junk', big)],
  ];

  it.each(stateGarbage)(
    'state key overwritten with %s is rebuilt from the local view within one sync',
    async (_, corrupt) => {
      const { i, clock, keys } = await start('open');
      const generation = i.breaker.fleet?.generation;
      await corrupt(admin, keys.state);
      const repaired = await repairedWithinOneSync(i, clock);
      expect(repaired).toContain(keys.state);
      expect(i.breaker.fleet?.state).toBe('open');
      expect(i.breaker.fleet?.generation).toBe(generation);
      expect(i.breaker.fleet?.healthy).toBe(true);
      expect(i.events.map((e) => e.kind)).not.toContain('degraded');
      expect(await admin.type(keys.state)).toBe('hash');
      expect(await admin.hget(keys.state, 'st')).toBe('open');
      expect(await admin.hget(keys.state, 'gen')).toBe(String(generation));
      expect(await admin.hlen(keys.state)).toBeLessThanOrEqual(8);
      const [s] = await admin.time();
      const until = Number(await admin.hget(keys.state, 'until'));
      expect(until - Number(s) * 1_000).toBeLessThanOrEqual(600_000 + 1_000);
      expect(until - Number(s) * 1_000).toBeGreaterThan(500_000);
      const ttl = await admin.pttl(keys.state);
      expect(ttl).toBeGreaterThan(0);
      await everyKeyExpires(keys.state.slice(0, -2));
      // ... and the state key stays sane: the next sync repairs nothing more.
      const before = i.events.filter((e) => e.kind === 'repaired').length;
      clock.advance(SYNC);
      await i.fleet.adapter.command(['PING']);
      await waitFor(() => i.breaker.fleet?.healthy === true);
      expect(i.events.filter((e) => e.kind === 'repaired').length).toBe(before);
    },
  );

  it.each(['state', 'configs'] as const)(
    '%s key without a TTL gets one back at the next sync',
    async (which) => {
      const { i, clock, keys } = await start('open');
      await admin.persist(keys[which]);
      expect(await admin.pttl(keys[which])).toBe(-1);
      clock.advance(SYNC);
      await i.fleet.adapter.command(['PING']); // answered after the sync sent before it
      expect(await admin.pttl(keys[which])).toBeGreaterThan(0);
    },
  );

  const otherGarbage: [
    string,
    'window' | 'reporters' | 'leases' | 'configs',
    (r: Redis, key: string) => Promise<unknown>,
  ][] = [
    ['window as a string without TTL', 'window', (r, k) => r.set(k, 'garbage')],
    ['window as a list', 'window', (r, k) => r.rpush(k, 'a')],
    [
      'window with a TTL far beyond the window',
      'window',
      (r, k) => r.hset(k, 'c1', '1').then(() => r.pexpire(k, 86_400_000)),
    ],
    ['window as a hash without TTL', 'window', (r, k) => r.hset(k, 'zzz', 'abc')],
    ['reporters as a set', 'reporters', (r, k) => r.sadd(k, 'a')],
    ['reporters as a stream', 'reporters', (r, k) => r.xadd(k, '*', 'f', 'v')],
    ['reporters as a hash without TTL', 'reporters', (r, k) => r.hset(k, 'someone', 'abc')],
    ['leases as a string', 'leases', (r, k) => r.set(k, big)],
    ['leases as a hash', 'leases', (r, k) => r.hset(k, 'a', '1')],
    ['leases that never expire', 'leases', (r, k) => r.zadd(k, 'inf', 'forever')],
    [
      'a lease far beyond any lease lifetime',
      'leases',
      (r, k) => r.zadd(k, '1e300', 'far').then(() => r.pexpire(k, 60_000)),
    ],
    ['configs as a string', 'configs', (r, k) => r.set(k, 'garbage')],
    ['configs with an entry no instance can have made', 'configs', (r, k) => r.zadd(k, '1e300', 'garbage')],
  ];

  it.each(otherGarbage)('%s is repaired within one sync', async (_, which, corrupt) => {
    const { i, clock, keys } = await start('closed');
    await corrupt(admin, keys[which]);
    const repaired = await repairedWithinOneSync(i, clock);
    expect(repaired).toContain(keys[which]);
    expect(i.breaker.fleet?.healthy).toBe(true);
    expect(i.events.map((e) => e.kind)).not.toContain('degraded');
    await everyKeyExpires(keys.state.slice(0, -2));
  });

  const windowGarbage: [string, (r: Redis, key: string) => Promise<unknown>][] = [
    ['a field that is not a bucket', (r, k) => r.hset(k, 'zzz', '1')],
    ['a non-numeric count', (r, k) => r.hset(k, 'f1', 'abc')],
    ['a negative count', (r, k) => r.hset(k, 'f1', '-100')],
    ['a count beyond 2^53', (r, k) => r.hset(k, 'c1', '1e300')],
  ];

  it.each(windowGarbage)(
    'window hash with %s is repaired by the next flush, which still counts',
    async (_, corrupt) => {
      const { i, clock, keys } = await start('closed');
      await corrupt(admin, keys.window);
      // A TTL within the script's bound (twice the 10 s window), so only the bad field can make
      // the repair, and only a flush reads the fields: a sync (the subscriber's first `ready` can
      // send one at any time) repairs nothing here. A longer TTL was itself repaired by that
      // sync, and the test then read the window before the flush had counted.
      await admin.pexpire(keys.window, 15_000);
      await i.breaker.execute(async () => 'ok');
      clock.advance(40); // the flush, sent at once on the command connection
      await i.fleet.adapter.command(['PING']); // answered after the flush
      await waitFor(() => i.events.some((e) => e.kind === 'repaired'), 3_000, 'a repaired event');
      expect(i.events.filter((e) => e.kind === 'repaired').map((e) => e.keys)).toEqual([[keys.window]]);
      const fields = await admin.hgetall(keys.window);
      expect(Object.keys(fields)).toHaveLength(1);
      expect(Object.keys(fields)[0]).toMatch(/^c\d+$/);
      expect(Object.values(fields)).toEqual(['1']);
    },
  );

  it('reporters hash with a non-numeric bucket is repaired by the next flush', async () => {
    const { i, clock, keys } = await start('closed');
    await admin.hset(keys.reporters, 'someone', 'abc');
    await admin.pexpire(keys.reporters, 2_000);
    await i.breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    clock.advance(40);
    await waitFor(() => i.breaker.fleet?.state === 'open', 3_000, 'fleet open on its own failure');
    expect(i.events.find((e) => e.kind === 'repaired')?.keys).toEqual([keys.reporters]);
  });
});

describe.skipIf(!hasRedis)('two configurations under one breaker name', () => {
  let server: RedisServer;
  let admin: Redis;
  const open: Instance[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
  });
  afterAll(async () => {
    await Promise.all(open.splice(0).map((i) => i.close()));
    admin.disconnect();
    await server.dispose();
  });

  const mismatches = (i: Instance) => i.events.filter((e) => e.kind === 'config-mismatch').length;
  const redisNow = async () => Number((await admin.time())[0]) * 1_000;

  it('the owner keeps its behaviour, the other runs local-only, both report every sync, then the other takes over', async () => {
    const name = uniqueName('mixed');
    const sync = 300;
    const clock = new FakeClock(1_000_000);
    const fleetOptions = { minReporters: 1, syncIntervalMs: sync, deadlineMs: 60_000 };
    const base = { name, clock, failureThreshold: 1, timeout: false as const };
    const a = await instance('ioredis', server.port, { ...base, recoveryTimeout: 600_000 }, fleetOptions);
    open.push(a);
    await waitFor(() => a.breaker.fleet?.state === 'closed', 3_000, 'a synced');
    const b = await instance('ioredis', server.port, { ...base, recoveryTimeout: 5_000 }, fleetOptions);
    open.push(b);
    await waitFor(() => mismatches(b) === 1, 3_000, 'b: config-mismatch');
    expect(b.breaker.fleet?.healthy).toBe(false); // refused: local-only
    clock.advance(sync);
    await waitFor(() => mismatches(a) >= 1 && mismatches(b) >= 2, 3_000, 'a and b: config-mismatch');

    // a opens the fleet for its 600 s.
    await fail(a.breaker, 1);
    clock.advance(40);
    await waitFor(() => a.breaker.fleet?.state === 'open', 3_000, 'fleet open');
    const until = Number(await admin.hget(fleetKeysOf(a, name), 'until'));
    expect(until - (await redisNow())).toBeGreaterThan(590_000);

    // b sees the open fleet but is not bound by a's recovery time: its calls run.
    clock.advance(sync);
    await waitFor(() => b.breaker.fleet?.state === 'open', 3_000, 'b sees the fleet open');
    await expect(b.breaker.execute(async () => 'ran')).resolves.toBe('ran');
    // b's failures do not reach the shared state either.
    const gen = a.breaker.fleet?.generation;
    await b.breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    clock.advance(40);
    await b.fleet.adapter.command(['PING']);
    expect(await admin.hget(fleetKeysOf(a, name), 'gen')).toBe(String(gen));
    // Reported on every instance, at least once every two sync intervals (an idle breaker
    // skips a sync when a flush answered recently), while it lasts.
    for (let k = 0; k < 3; k++) {
      const [ma, mb] = [mismatches(a), mismatches(b)];
      clock.advance(sync);
      await b.fleet.adapter.command(['PING']);
      await a.fleet.adapter.command(['PING']);
      clock.advance(sync);
      await waitFor(() => mismatches(a) > ma && mismatches(b) > mb, 3_000, 'one more report each');
    }
    await expect(a.breaker.execute(async () => 'ran')).rejects.toBeInstanceOf(CircuitOpenError);

    // a leaves; once its configuration has not been seen for three of its sync intervals, b's
    // configuration owns the record, and a's 600 s are cut to b's longest open period.
    await a.close();
    open.splice(open.indexOf(a), 1);
    await waitFor(
      () => {
        clock.advance(sync);
        return b.breaker.fleet?.healthy === true;
      },
      5_000,
      'b takes over',
    );
    const left = Number(await admin.hget(fleetKeysOf(b, name), 'until')) - (await redisNow());
    expect(left).toBeLessThanOrEqual(5_000 + 1_000);
    // The mismatch is over: no more reports.
    expect(await admin.zcard(b.fleet.keysOf(name).configs)).toBe(1);
    const settled = mismatches(b);
    for (let k = 0; k < 3; k++) {
      clock.advance(sync);
      await b.fleet.adapter.command(['PING']); // answered after the sync sent before it
      await new Promise((r) => setImmediate(r)); // and the reply has been applied
    }
    expect(mismatches(b)).toBe(settled);
  });

  it('a refused instance that loses Redis does not take the owner open period with it', async () => {
    const name = uniqueName('refused-degraded');
    const clock = new FakeClock(1_000_000);
    const fleetOptions = { minReporters: 1, syncIntervalMs: SYNC, deadlineMs: 60_000 };
    const base = { name, clock, failureThreshold: 1, timeout: false as const };
    const a = await instance('ioredis', server.port, { ...base, recoveryTimeout: 600_000 }, fleetOptions);
    open.push(a);
    await waitFor(() => a.breaker.fleet?.state === 'closed', 3_000, 'a synced');
    const b = await instance('ioredis', server.port, { ...base, recoveryTimeout: 5_000 }, fleetOptions);
    open.push(b);
    await waitFor(() => mismatches(b) === 1, 3_000, 'b refused');
    await fail(a.breaker, 1);
    clock.advance(40);
    await waitFor(() => a.breaker.fleet?.state === 'open', 3_000, 'fleet open');
    clock.advance(SYNC);
    await waitFor(() => b.breaker.fleet?.state === 'open', 3_000, 'b sees it');
    await server.stop();
    await waitFor(
      () => {
        clock.advance(SYNC);
        return b.events.some((e) => e.kind === 'degraded');
      },
      5_000,
      'b degraded',
    );
    expect(b.breaker.state).toBe('closed');
    await expect(b.breaker.execute(async () => 'ran')).resolves.toBe('ran');
    await server.resume();
  });
});

function fleetKeysOf(i: Instance, name: string): string {
  return i.fleet.keysOf(name).state;
}

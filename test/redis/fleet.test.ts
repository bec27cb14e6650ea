// Fleet mode against a real redis-server, several instances in one process (each with its own
// client, fleet and subscriber), for both client libraries.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BreakerRegistry, CircuitOpenError, type Clock, systemClock } from '../../src/index.js';
import { redisFleet } from '../../src/redis/index.js';
import { FakeClock } from '../../src/testing/fake-clock.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import {
  CLIENTS,
  type ClientKind,
  connect,
  fail,
  instance,
  type Instance,
  sleep,
  uniqueName,
  waitFor,
} from './helpers.js';

const hasRedis = requireRedis('test/redis/fleet.test.ts');

describe.skipIf(!hasRedis).each(CLIENTS)('fleet on Redis (%s)', (kind: ClientKind) => {
  let server: RedisServer;
  let admin: Redis;
  const open: Instance[] = [];
  const make = async (
    ...args: Parameters<typeof instance> extends [unknown, unknown, ...infer R] ? R : never
  ) => {
    const i = await instance(kind, server.port, ...args);
    open.push(i);
    return i;
  };
  /** What a test made outside `make` (a fleet, a connection), closed last first with the instances. */
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    await Promise.all(open.splice(0).map((i) => i.close()));
    for (const close of closers.splice(0).reverse()) await close();
  };

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
  });
  afterEach(closeAll); // a failed test does not leave its instances running into the next one
  afterAll(async () => {
    await closeAll();
    admin.disconnect();
    await server.dispose();
  });

  it('flush — instances each below the threshold open the fleet together', async () => {
    const name = uniqueName('agg');
    const opts = { name, failureThreshold: 5, recoveryTimeout: 5_000 };
    const [a, b, c] = await Promise.all([make(opts), make(opts), make(opts)]);
    await fail(a.breaker, 2);
    await fail(b.breaker, 2);
    await fail(c.breaker, 1);
    await waitFor(() => [a, b, c].every((i) => i.breaker.fleet?.state === 'open'), 10_000, 'fleet open');
    for (const i of [a, b, c]) {
      expect(i.breaker.localState).toBe('closed'); // no instance reached its own threshold
      expect(i.breaker.state).toBe('open'); // the fleet's: the state that governs the next call
      let ran = false;
      const error = await i.breaker.execute(async () => (ran = true)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect((error as CircuitOpenError).source).toBe('fleet');
      expect(ran).toBe(false);
    }
    await closeAll();
  });

  it('flush — one instance alone does not open the fleet (minReporters)', async () => {
    const name = uniqueName('rep');
    const opts = { name, failureThreshold: 3, recoveryTimeout: 5_000 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    await fail(a.breaker, 4); // a opens locally; only one reporter
    // Not a fixed sleep: wait until a's failures reached the store (the window key), where the
    // fleet decides; it must have decided not to open.
    await waitFor(async () => (await admin.exists(a.fleet.keysOf(name).window)) === 1, 10_000, 'a flush');
    expect(await admin.hget(a.fleet.keysOf(name).state, 'st')).not.toBe('open');
    expect(a.breaker.state).toBe('open');
    expect(b.breaker.fleet?.state).toBe('closed');
    await expect(b.breaker.execute(async () => 'ok')).resolves.toBe('ok');
    await closeAll();
  });

  it('acquire — at most probeCap probes run at once across the fleet', async () => {
    const name = uniqueName('cap');
    const opts = {
      name,
      failureThreshold: 2,
      recoveryTimeout: 300,
      successThreshold: 3,
      halfOpenRequests: 5,
    };
    const instances = await Promise.all([make(opts), make(opts), make(opts)]);
    await fail(instances[0].breaker, 1);
    await fail(instances[1].breaker, 1);
    await waitFor(() => instances.every((i) => i.breaker.fleet?.state === 'open'), 10_000, 'fleet open');
    await sleep(320);
    let running = 0;
    let peak = 0;
    let ran = 0;
    const probe = async () => {
      running++;
      ran++;
      peak = Math.max(peak, running);
      await sleep(60);
      running--;
      return 'ok';
    };
    const deadline = performance.now() + 10_000; // ends as soon as the fleet closes
    while (performance.now() < deadline && !instances.every((i) => i.breaker.fleet?.state === 'closed')) {
      await Promise.all(
        instances.flatMap((i) => [1, 2, 3].map(() => i.breaker.execute(probe).catch(() => 'rejected'))),
      );
      await sleep(10);
    }
    expect(peak).toBe(1);
    expect(ran).toBeGreaterThanOrEqual(3);
    await waitFor(() => instances.every((i) => i.breaker.fleet?.state === 'closed'), 10_000, 'fleet closed');
    await closeAll();
  });

  it('report — a probe result from an older generation does not close the fleet', async () => {
    const name = uniqueName('stale');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 200, successThreshold: 1 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    await waitFor(() => a.breaker.fleet?.state === 'open', 10_000, 'fleet open');
    await sleep(220);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // The fleet's open period runs on the store's clock and a late flush can re-open it: until a
    // probe is admitted, a refusal says how long to wait, and the test waits that long.
    let probe!: Promise<string>;
    for (let tries = 0; ; tries++) {
      const seen: { admitted: boolean; refused?: unknown } = { admitted: false };
      probe = a.breaker.execute(async () => {
        seen.admitted = true;
        await gate;
        return 'late success';
      });
      probe.catch((e: unknown) => (seen.refused = e));
      await waitFor(
        () => seen.admitted || seen.refused !== undefined,
        10_000,
        'the probe admitted or refused',
      );
      if (seen.admitted) break;
      expect(seen.refused).toBeInstanceOf(CircuitOpenError);
      expect(tries).toBeLessThan(20);
      await sleep((seen.refused as CircuitOpenError).retryAfterMs + 10);
    }
    await waitFor(() => a.breaker.fleet?.state === 'half-open', 10_000, 'half-open');
    await expect(b.fleet.force(name, 'isolate')).resolves.toBe('isolated');
    release();
    await expect(probe).resolves.toBe('late success');
    // Not a fixed sleep: wait until the probe's report reached the store (its lease is released
    // there), then the fleet must still be isolated.
    await waitFor(async () => (await admin.exists(a.fleet.keysOf(name).leases)) === 0, 10_000, 'the report');
    expect(await admin.hget(a.fleet.keysOf(name).state, 'st')).toBe('forced_open'); // isolated, in the store
    expect(a.breaker.fleet?.state).toBe('isolated');
    expect(b.breaker.fleet?.state).toBe('isolated');
    await expect(b.fleet.force(name, 'release')).resolves.toBe('closed');
    await closeAll();
  });

  it('sync — without pub/sub an idle instance converges within the sync interval', async () => {
    const name = uniqueName('nopubsub');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 5_000 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    const idle = await make(opts, { pubsub: false, syncIntervalMs: 300 });
    await sleep(50);
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    const viaPubsub = await waitFor(() => a.breaker.fleet?.state === 'open', 10_000, 'fleet open');
    const ms = await waitFor(() => idle.breaker.fleet?.state === 'open', 10_000, 'idle instance sees open');
    // One sync interval plus what the pub/sub path took in this same run (the machine's own
    // latency), with headroom: never the 60 s of a missed sync, nor a fixed wall-clock figure.
    expect(ms).toBeLessThan(300 * 3 + 3 * viaPubsub + 500);
    await closeAll();
  });

  it('sync — a killed subscriber connection is resubscribed and the state resynchronised', async () => {
    const name = uniqueName('pubsubkill');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 5_000 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    const c = await make(opts, { syncIntervalMs: 60_000 });
    await sleep(100);
    await admin.client('KILL', 'TYPE', 'pubsub');
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    // c has no traffic and a one-minute sync interval: only the resubscribe-and-sync can tell it.
    await waitFor(() => c.breaker.fleet?.state === 'open', 10_000, 'resync after resubscribe');
    // The subscription itself is back: the next change reaches c as a hint, not by a sync.
    await a.fleet.force(name, 'reset');
    await waitFor(() => c.breaker.fleet?.state === 'closed', 10_000, 'hint after resubscribe');
    await closeAll();
  });

  it('sync — subscriber connections killed again and again, right after they come back: no unhandled rejection, hints resume', async () => {
    const name = uniqueName('pubsubflap');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 60_000 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    const c = await make(opts, { syncIntervalMs: 60_000 });
    // Each kill lands while the connections reconnect and re-subscribe (the setup file fails the
    // test on any unhandled rejection).
    for (let i = 0; i < 20; i++) {
      await admin.client('KILL', 'TYPE', 'pubsub');
      await sleep(i % 4);
    }
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    await waitFor(() => c.breaker.fleet?.state === 'open', 10_000, 'resync after the flapping');
    await a.fleet.force(name, 'reset');
    await waitFor(() => c.breaker.fleet?.state === 'closed', 10_000, 'hint after the flapping');
    await closeAll();
  });

  it('regression — a store that lost its data is believed after two consecutive replies', async () => {
    const name = uniqueName('regress');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 60_000 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    await waitFor(() => a.breaker.fleet?.state === 'open', 10_000, 'fleet open');
    const before = a.breaker.fleet!.generation;
    await admin.flushall();
    await sleep(20);
    a.fleet.force(name, 'release').catch(() => undefined); // any reply will do; this one sees gen 0
    await waitFor(() => a.breaker.fleet?.state === 'closed', 10_000, 'regression accepted');
    expect(a.breaker.fleet!.generation).toBeLessThan(before);
    expect(
      a.events.filter((e) => e.kind === 'regression'),
      JSON.stringify(a.events),
    ).toHaveLength(1);
    await closeAll();
  });

  it('evalScript — NOSCRIPT after SCRIPT FLUSH is answered with EVAL', async () => {
    const name = uniqueName('noscript');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 5_000 };
    const [a, b] = await Promise.all([make(opts), make(opts)]);
    await sleep(50);
    await admin.script('FLUSH');
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    await waitFor(() => a.breaker.fleet?.state === 'open', 10_000, 'fleet open after SCRIPT FLUSH');
    expect(a.breaker.fleet?.healthy).toBe(true);
    await closeAll();
  });

  it('admit — skewed instance clocks do not change the fleet open period', async () => {
    const name = uniqueName('skew');
    const skewed = (offset: number): Clock => ({ ...systemClock, now: () => systemClock.now() + offset });
    const opts = { name, failureThreshold: 2, recoveryTimeout: 600 };
    const [a, b] = await Promise.all([
      make({ ...opts, clock: skewed(30_000) }),
      make({ ...opts, clock: skewed(-30_000) }),
    ]);
    const before = performance.now();
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    await waitFor(
      () => a.breaker.fleet?.state === 'open' && b.breaker.fleet?.state === 'open',
      10_000,
      'open',
    );
    const ea = (await a.breaker.execute(async () => 0).catch((e: unknown) => e)) as CircuitOpenError;
    const between = performance.now();
    const eb = (await b.breaker.execute(async () => 0).catch((e: unknown) => e)) as CircuitOpenError;
    const after = performance.now();
    // Bounds from this run's own elapsed time (a 30 s skew would be off by 30 s, not by ms).
    expect(ea.retryAfterMs).toBeGreaterThanOrEqual(600 - (between - before) - 20);
    // At most the open period, plus what reading the fleet's time over the wire can add.
    expect(ea.retryAfterMs).toBeLessThanOrEqual(600 + (between - before));
    expect(Math.abs(ea.retryAfterMs - eb.retryAfterMs)).toBeLessThanOrEqual(after - before + 20);
    await closeAll();
  });

  it('admit — CLIENT PAUSE leaves the closed path as fast as before and fails no call', async () => {
    const name = uniqueName('pause');
    const i = await make(
      {
        name,
        failureThreshold: Infinity,
        failureRateThreshold: 0.9,
        recoveryTimeout: 5_000,
      },
      { deadlineMs: 150 },
    );
    // Calls for `ms`, a failure every 7th; returns the 99th percentile of execute() latency.
    const measure = async (ms: number) => {
      const times: number[] = [];
      const end = performance.now() + ms;
      for (let k = 0; performance.now() < end; k++) {
        const t = performance.now();
        await i.breaker
          .execute(async () => (k % 7 === 0 ? Promise.reject(new Error('x')) : 'ok'))
          .catch(() => 'x');
        times.push(performance.now() - t);
        if (k % 20 === 0) await sleep(2);
      }
      times.sort((x, y) => x - y);
      return times[Math.floor(times.length * 0.99)]!;
    };
    const baseline = await measure(400);
    await admin.client('PAUSE', 900, 'ALL');
    const paused = await measure(800);
    // A call that waited for the paused store would take the 150 ms deadline; the bound is this
    // run's own baseline with headroom for a loaded machine, well below that.
    expect(paused).toBeLessThan(Math.max(3 * baseline, baseline + 40));
    expect(i.events.some((e) => e.kind === 'degraded')).toBe(true);
    expect(i.breaker.stats.totals.rejected).toBe(0);
    await waitFor(() => i.events.some((e) => e.kind === 'restored'), 10_000, 'restored');
    await closeAll();
  });

  it('force — an operator call outlasts deadlineMs on a paused store, and is applied', async () => {
    const name = uniqueName('force-pause');
    const i = await make({ name, recoveryTimeout: 5_000 }, { deadlineMs: 50 });
    expect(await i.fleet.force(name, 'reset')).toBe('closed'); // the script is loaded
    await admin.client('PAUSE', 500, 'ALL');
    // A breaker's own store calls give up after 50 ms here; `force` waits for the store.
    expect(await i.fleet.force(name, 'isolate')).toBe('isolated');
    expect(await admin.hget(i.fleet.keysOf(name).state, 'st')).toBe('forced_open');
    await waitFor(() => i.breaker.state === 'isolated', 10_000, 'isolated');
  });
  it('force — after Redis lost the fleet keys, it resolves the state the store holds, not the view from before', async () => {
    const clock = new FakeClock(1_000_000);
    const name = uniqueName('force-lost');
    // No syncs, flushes or reconnects on this clock: force is the only store call after the first.
    const i = await make({ name, clock, timeout: false }, { syncIntervalMs: 600_000 });
    await waitFor(() => i.breaker.fleet?.state === 'closed', 10_000, 'the first reply');
    const { state, window, reporters, leases, configs } = i.fleet.keysOf(name);
    await admin.del(state, window, reporters, leases, configs);
    // The store starts a new record (a new epoch); the member confirms such a change on a second
    // reply before its view follows, but the operator is told what the store now holds.
    expect(await i.fleet.force(name, 'isolate')).toBe('isolated');
    expect(await admin.hget(i.fleet.keysOf(name).state, 'st')).toBe('forced_open');
    await waitFor(() => i.breaker.state === 'isolated', 10_000, 'the view confirmed');
  });

  it('attach — a fleet in registry defaults serves every breaker, each under its own keys', async () => {
    const connection = await connect(kind, server.port);
    closers.push(() => connection.quit());
    const fleet = redisFleet({
      client: connection.client,
      flushIntervalMs: 40,
      deadlineMs: 1_000,
      minReporters: 1,
    });
    closers.push(() => fleet.close());
    const prefix = uniqueName('reg');
    const registry = new BreakerRegistry({
      prefix,
      defaults: { failureThreshold: 2, recoveryTimeout: 5_000, fleet },
    });
    const x = registry.get('x');
    const y = registry.get('y');
    await fail(x, 2);
    await waitFor(() => x.fleet?.state === 'open', 10_000, 'x open in the fleet');
    expect(y.fleet?.state).toBe('closed');
    expect(await admin.hget(`bw:v1:{${prefix}:x}:s`, 'st')).toBe('open');
    await closeAll();
  });

  it('close — every key has a TTL within bounds and the keyspace empties after it', async () => {
    const name = uniqueName('ttl');
    const opts = { name, failureThreshold: 2, recoveryTimeout: 100, successThreshold: 1 };
    const fleetOpts = { stateTtlMs: 1_000, window: { duration: 300, buckets: 3 }, leaseMs: 400 };
    const [a, b] = await Promise.all([make(opts, fleetOpts), make(opts, fleetOpts)]);
    await fail(a.breaker, 1);
    await fail(b.breaker, 1);
    await waitFor(() => a.breaker.fleet?.state === 'open', 10_000, 'open');
    await sleep(120);
    await a.breaker.execute(async () => 'probe').catch(() => undefined);
    const prefix = `bw:v1:{${name}}`;
    const keys = await admin.keys(`${prefix}*`); // test only: library paths never use KEYS
    expect(keys).toContain(`${prefix}:s`);
    let checked = 0;
    for (const key of keys) {
      const ttl = await admin.pttl(key);
      if (ttl === -2) continue; // deleted since KEYS (a lease set emptied by the probe's report)
      checked++;
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(1_400);
    }
    expect(checked).toBeGreaterThan(0); // the state hash at least: never a loop that checked nothing
    await closeAll();
    await waitFor(async () => (await admin.keys(`${prefix}*`)).length === 0, 10_000, 'every key expired');
  });
});

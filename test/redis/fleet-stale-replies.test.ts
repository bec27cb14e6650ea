// A transition hint overtakes replies to calls that ran before the transition: those replies
// carry the older generation, and are late news, not a store that lost its data. Against a real
// redis-server, with one instance's replies held back by a wrapping adapter.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index.js';
import type { FleetEvent } from '../../src/breaker/fleet.js';
import { redisFleet, type RedisAdapter, type RedisFleet, toAdapter } from '../../src/redis/index.js';
import { FakeClock, settle } from '../../src/testing/fake-clock.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { fail, instance, type Instance, uniqueName, waitFor } from './helpers.js';

const hasRedis = requireRedis('test/redis/fleet-stale-replies.test.ts');
const SYNC = 1_000;

describe.skipIf(!hasRedis)('fleet replies overtaken by a hint', () => {
  let server: RedisServer;
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    await server.dispose();
  });

  /** An adapter whose script replies can be held back after Redis has run the script. */
  function holdingAdapter(client: Redis) {
    const base = toAdapter(client);
    const held: (() => void)[] = [];
    const control = { holding: false, held };
    const adapter: RedisAdapter = {
      ...base,
      async evalScript(script, sha, keys, args) {
        const reply = await base.evalScript(script, sha, keys, args);
        if (control.holding) await new Promise<void>((resolve) => held.push(resolve));
        return reply;
      },
    };
    return { adapter, control };
  }

  it('two replies from before the transition arrive after its hint: no regression, the view stays', async () => {
    const name = uniqueName('stale');
    const clock = new FakeClock(1_000_000);
    const options = { name, clock, failureThreshold: 2, recoveryTimeout: 600_000, timeout: false as const };
    const fleetOptions = { minReporters: 1, syncIntervalMs: SYNC, deadlineMs: 60_000, flushIntervalMs: 40 };

    const client = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await client.connect();
    cleanup.push(() => client.disconnect());
    const { adapter, control } = holdingAdapter(client);
    const fleet: RedisFleet = redisFleet({ client: adapter, ...fleetOptions });
    cleanup.push(() => fleet.close());
    const a = new CircuitBreaker({ ...options, fleet });
    const events: FleetEvent[] = [];
    a.on('fleet', (e) => events.push(e));
    const b: Instance = await instance('ioredis', server.port, options, fleetOptions);
    cleanup.push(() => b.close());
    await waitFor(
      () => a.fleet?.state === 'closed' && b.breaker.fleet?.state === 'closed',
      10_000,
      'first syncs',
    );
    // The pub/sub channel is live before the transition, or the hint would not come at all.
    const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    cleanup.push(() => admin.disconnect());
    const channel = fleet.keysOf(name).channel;
    await waitFor(
      async () => Number((await admin.pubsub('NUMSUB', channel))[1]) === 2,
      10_000,
      'both subscribed',
    );

    // a: a failure (its flush) and a sync run in Redis at generation 0; their replies wait.
    control.holding = true;
    await fail(a, 1);
    clock.advance(40); // the flush
    clock.advance(SYNC); // the sync
    await waitFor(() => control.held.length === 2, 10_000, 'two replies held');
    // b's failure trips the fleet: generation 1, and a hears the hint first.
    await fail(b.breaker, 1);
    clock.advance(40);
    await waitFor(() => a.fleet?.state === 'open', 10_000, 'the hint');
    const generation = a.fleet?.generation;
    expect(generation).toBeGreaterThan(0);

    control.holding = false;
    for (const release of control.held.splice(0)) {
      release();
      await settle();
    }
    // The next reply (a sync sent now) is applied after the held ones.
    clock.advance(SYNC);
    await waitFor(() => events.length > 0 && a.fleet?.state === 'open', 10_000, 'a settled');
    await fleet.adapter.command(['PING']);
    await settle();
    expect(events.map((e) => e.kind)).not.toContain('regression');
    expect(a.fleet?.state).toBe('open');
    expect(a.fleet?.generation).toBe(generation);
  });
});

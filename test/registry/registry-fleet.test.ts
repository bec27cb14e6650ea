// A registry with a fleet in its defaults, against a real redis-server: breakers handed out past
// the cap (overflow) are local-only, so they add no subscription and no script call.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BreakerRegistry } from '../../src/index.js';
import { redisFleet } from '../../src/redis/index.js';
import { FakeClock } from '../../src/testing/fake-clock.js';
import { connect, fail, uniqueName, waitFor } from '../redis/helpers.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';

const hasRedis = requireRedis('test/registry/registry-fleet.test.ts');

/** Script calls so far (EVALSHA + EVAL), from INFO commandstats. */
async function scriptCalls(admin: Redis): Promise<number> {
  const info = await admin.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_(evalsha|eval):calls=(\d+)/gm)) total += Number(m[2]);
  return total;
}

describe.skipIf(!hasRedis)('registry with a fleet in its defaults', () => {
  let server: RedisServer;
  let admin: Redis;

  beforeAll(async () => {
    server = await RedisServer.start();
    admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
  });
  // Run after each test, last first: a failed assertion does not leave a fleet or a connection
  // running into the next test.
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  afterAll(async () => {
    admin.disconnect();
    await server.dispose();
  });

  it('overflow — 2,000 keys past a full cap add no channel and no script call', async () => {
    const connection = await connect('ioredis', server.port);
    cleanup.push(() => connection.quit());
    const client = connection.client as Redis;
    const clock = new FakeClock(1_000_000);
    const prefix = uniqueName('ovf');
    const fleet = redisFleet({ client, prefix, syncIntervalMs: 1_000, deadlineMs: 5_000 });
    cleanup.push(() => fleet.close());
    const registry = new BreakerRegistry({
      clock,
      maxBreakers: 20,
      defaults: { failureThreshold: 1, recoveryTimeout: 600_000, timeout: false, fleet },
    });
    const overflows: { key: string; localOnly: boolean }[] = [];
    registry.on('overflow', ({ key, localOnly }) => overflows.push({ key, localOnly }));
    const held = Array.from({ length: 20 }, (_, i) => registry.get(`held-${i}`));
    for (const b of held) await fail(b, 1); // open locally: none may be evicted
    await waitFor(() => held.every((b) => b.fleet?.state !== 'unknown'), 5_000, 'first syncs');
    const channels = `${prefix}:*`;
    const subscribed = async () => ((await admin.pubsub('CHANNELS', channels)) as string[]).length;
    await waitFor(async () => (await subscribed()) === 20, 10_000, '20 subscriptions');

    await client.ping(); // every earlier command on this connection has been answered
    const before = await scriptCalls(admin);
    for (let i = 0; i < 2_000; i++) registry.get(`extra-${i}`);
    expect(registry.size).toBe(20);
    expect(overflows).toHaveLength(2_000);
    expect(overflows.every((o) => o.localOnly)).toBe(true);
    await client.ping();
    const afterGets = await scriptCalls(admin);
    expect(afterGets - before).toBe(0);

    // A sentinel subscription: once it shows, every earlier subscribe has been processed.
    registry.delete('held-0');
    const sentinel = registry.get('sentinel');
    expect(sentinel.fleet).toBeDefined();
    const sentinelChannel = fleet.keysOf('sentinel').channel;
    await waitFor(
      async () => ((await admin.pubsub('CHANNELS', sentinelChannel)) as string[]).length === 1,
      10_000,
      'the sentinel subscription',
    );
    expect(await subscribed()).toBe(20);

    // Three sync intervals (after one that sends the pending flushes): at most one script call
    // per registered breaker and interval.
    clock.advance(1_000);
    await client.ping();
    const start = await scriptCalls(admin);
    for (let i = 0; i < 3; i++) {
      clock.advance(1_000);
      await client.ping();
    }
    const perInterval = ((await scriptCalls(admin)) - start) / 3;
    expect(perInterval).toBeLessThanOrEqual(20);
  });
});

/**
 * Fleet mode: one breaker shared by several processes through Redis.
 *
 * Three instances of a service (here three clients in one process, as three processes would
 * have) call a failing payments API. Each sees too few failures to open its own breaker, but the
 * fleet counts them together in Redis and opens for everyone; after the open period exactly one
 * instance at a time probes the API. Run with a Redis at REDIS_URL (default
 * redis://127.0.0.1:6379).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { CircuitBreaker, isCircuitOpenError } from 'breakwater';
import { redisFleet, type RedisFleetOptions } from 'breakwater/redis';

/** Runs the example; returns what happened, for the tests. */
export async function main(
  log: (line: string) => void = console.log,
  redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  /** Fleet options over the example's (the tests give a loaded machine a longer `deadlineMs`). */
  fleetOptions: Partial<Omit<RedisFleetOptions, 'client'>> = {},
) {
  let received = 0;
  let healthy = false;
  const server = createServer((_req, res) => {
    received++;
    if (healthy) res.end('charged');
    else res.writeHead(503).end('payments down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/charge`;
  const charge = async ({ signal }: { signal: AbortSignal }) => {
    const res = await fetch(url, { signal });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return res.text();
  };

  const instances = await Promise.all(
    ['a', 'b', 'c'].map(async (id) => {
      // The fleet never waits for a disconnected client: turn the offline queue off.
      const redis = new Redis(redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 0,
        lazyConnect: true,
      });
      // Without an `error` listener a Redis outage would crash (node-redis) or flood the log (ioredis).
      redis.on('error', (err) => log(`  ${id}: redis: ${err.message}`));
      await redis.connect();
      const fleet = redisFleet({ client: redis, prefix: 'example', flushIntervalMs: 50, ...fleetOptions });
      const breaker = new CircuitBreaker({
        name: 'payments',
        failureThreshold: 5, // per instance, and for the fleet
        recoveryTimeout: 500,
        successThreshold: 1,
        timeout: 2_000,
        fleet,
      });
      breaker.on('fleet', (e) => {
        if (e.kind === 'transition') log(`  ${id}: fleet is ${e.state}`);
        else if (e.kind === 'degraded' || e.kind === 'restored') log(`  ${id}: Redis ${e.kind}`);
      });
      return { id, redis, fleet, breaker };
    }),
  );
  /** Resolves once every instance has seen the fleet in `state` (rejects after 10 s). */
  const fleetIs = (state: string) =>
    Promise.all(
      instances.map(({ breaker }) => {
        if (breaker.fleet?.state === state) return Promise.resolve();
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => {
            listener[Symbol.dispose]();
            reject(new Error(`the fleet was not ${state} within 10 s`));
          }, 10_000);
          const listener = breaker.on('fleet', (e) => {
            if (e.state !== state) return;
            clearTimeout(timer);
            listener[Symbol.dispose]();
            resolve();
          });
        });
      }),
    );
  try {
    await instances[0]!.fleet.force('payments', 'reset'); // start from a known state
    log('each instance fails twice: 6 failures in the fleet, 2 in each local breaker');
    for (const { breaker } of instances)
      for (let i = 0; i < 2; i++) await breaker.execute(charge).catch(() => undefined);
    await fleetIs('open'); // the counts are flushed within 50 ms; the open is announced on pub/sub
    const outcomes = await Promise.all(
      instances.map(({ breaker }) =>
        breaker.execute(charge).then(
          () => 'ran',
          (e: unknown) => (isCircuitOpenError(e) ? 'rejected' : 'failed'),
        ),
      ),
    );
    log(
      `local states: ${instances.map((i) => i.breaker.localState).join(', ')}; next calls: ${outcomes.join(', ')}`,
    );
    healthy = true;
    await sleep(550);
    log('the API is back; after the open period one probe closes the fleet');
    const before = received;
    await Promise.all(instances.map(({ breaker }) => breaker.execute(charge).catch(() => undefined)));
    await fleetIs('closed');
    const after = await Promise.all(instances.map(({ breaker }) => breaker.execute(charge)));
    log(`probes sent: ${received - before - after.length}; then: ${after.join(', ')}`);
    return { outcomes, received, states: instances.map((i) => i.breaker.fleet?.state) };
  } finally {
    for (const { fleet, redis } of instances) {
      await fleet.close();
      redis.disconnect();
    }
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

// Shared pieces of the fleet tests: clients of both libraries, fleet instances in one process
// (each with its own fleet object, so its own instance id and subscriber), and polling.
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/index.js';
import type { FleetEvent } from '../../src/breaker/fleet.js';
import { redisFleet, type RedisFleet, type RedisFleetOptions } from '../../src/redis/index.js';

export type ClientKind = 'ioredis' | 'node-redis';
export const CLIENTS: readonly ClientKind[] = ['ioredis', 'node-redis'];

/**
 * A connected client of `kind`, and how to close it. The offline queue is off unless
 * `offlineQueue` (the libraries' default): then commands sent while disconnected wait, and are
 * never dropped, until the connection is back.
 */
export async function connect(
  kind: ClientKind,
  port: number,
  { offlineQueue = false } = {},
): Promise<{ client: unknown; ready(): boolean; quit(): Promise<void> }> {
  if (kind === 'ioredis') {
    const client = new Redis({
      port,
      host: '127.0.0.1',
      enableOfflineQueue: offlineQueue,
      maxRetriesPerRequest: offlineQueue ? null : 0,
      lazyConnect: true,
      retryStrategy: () => 50,
    });
    client.on('error', () => {});
    await client.connect();
    return { client, ready: () => client.status === 'ready', quit: async () => client.disconnect() };
  }
  const client = createClient({
    url: `redis://127.0.0.1:${port}`,
    disableOfflineQueue: !offlineQueue,
    socket: { reconnectStrategy: () => 50, connectTimeout: 500 },
  });
  client.on('error', () => {});
  await client.connect();
  return { client, ready: () => client.isReady, quit: async () => client.destroy() };
}

/** One simulated instance: its own client, fleet and breaker. */
export interface Instance {
  readonly breaker: CircuitBreaker;
  readonly fleet: RedisFleet;
  readonly events: FleetEvent[];
  close(): Promise<void>;
}

export async function instance(
  kind: ClientKind,
  port: number,
  breakerOptions: CircuitBreakerOptions,
  fleetOptions: Omit<RedisFleetOptions, 'client'> = {},
): Promise<Instance> {
  const connection = await connect(kind, port);
  const client = connection.client;
  const fleet = redisFleet({
    client,
    flushIntervalMs: 40,
    syncIntervalMs: 1_000,
    // generous: a loaded test machine must not look like a slow store (the pause test sets its own)
    deadlineMs: 1_000,
    ...fleetOptions,
  });
  const breaker = new CircuitBreaker({ timeout: 2_000, ...breakerOptions, fleet });
  const events: FleetEvent[] = [];
  breaker.on('fleet', (e) => events.push(e));
  return {
    breaker,
    fleet,
    events,
    async close() {
      await fleet.close();
      await connection.quit();
    },
  };
}

export { sleep, waitFor } from '../support/wait.js';

/** Runs `n` failing calls through `breaker`, ignoring the errors. */
export async function fail(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++)
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
}

let names = 0;
/** A breaker name not used before in this process. */
export const uniqueName = (label: string): string => `${label}-${process.pid}-${++names}`;

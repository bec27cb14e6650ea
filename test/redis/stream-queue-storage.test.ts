// redisStreamQueueStorage against a real redis-server, for both clients: the QueueStorage
// contract, the bound under concurrency, items surviving a crashed consumer, and queueForLater
// replaying after a "restart".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queueForLater } from '../../src/index.js';
import { redisStreamQueueStorage } from '../../src/redis/index.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { CLIENTS, type ClientKind, connect, uniqueName } from './helpers.js';

const hasRedis = requireRedis('test/redis/stream-queue-storage.test.ts');

describe.skipIf(!hasRedis).each(CLIENTS)('redisStreamQueueStorage (%s)', (kind: ClientKind) => {
  let server: RedisServer;
  const quits: (() => Promise<void>)[] = [];
  const client = async () => {
    const c = await connect(kind, server.port);
    quits.push(() => c.quit());
    return c.client;
  };
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await Promise.all(quits.map((q) => q()));
    await server.dispose();
  });

  const item = (n: number) => ({ payload: { order: n, id: `nested-${n}` }, attempts: 0, enqueuedAt: n });

  it('append / take / ack / requeue / deadLetter — the QueueStorage contract', async () => {
    const storage = redisStreamQueueStorage<{ order: number; id: string }>({
      client: await client(),
      stream: uniqueName('q'),
    });
    const ids = [];
    for (let n = 1; n <= 3; n++) ids.push(await storage.append(item(n), 10));
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(await storage.size()).toBe(3);
    const taken = await storage.take(2);
    expect(taken.map((t) => t.payload)).toEqual([
      { order: 1, id: 'nested-1' },
      { order: 2, id: 'nested-2' },
    ]);
    expect(taken[0]!.id).toBe(ids[0]);
    expect(await storage.size()).toBe(3); // taken items still count
    await storage.ack(taken[0]!.id);
    await storage.requeue({ ...taken[1]!, attempts: 1, lastError: 'HTTP 503' });
    expect(await storage.size()).toBe(2);
    const next = await storage.take(5);
    expect(next.map((t) => [t.payload.order, t.attempts, t.lastError])).toEqual([
      [3, 0, undefined],
      [2, 1, 'HTTP 503'],
    ]);
    await storage.deadLetter({ ...next[1]!, attempts: 5, deadAt: 99 });
    await storage.ack(next[0]!.id);
    expect(await storage.size()).toBe(0);
    const dead = await storage.deadLetters();
    expect(dead.map((d) => [d.payload.order, d.attempts, d.deadAt])).toEqual([[2, 5, 99]]);
    expect(await storage.take(5)).toEqual([]);
  });

  it('append — the limit holds under concurrent appends from several clients', async () => {
    const stream = uniqueName('bound');
    const storages = await Promise.all(
      [1, 2, 3].map(async () => redisStreamQueueStorage({ client: await client(), stream })),
    );
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, n) => storages[n % 3]!.append(item(n), 7)),
    );
    expect(results.filter((id) => id !== undefined)).toHaveLength(7);
    expect(await storages[0]!.size()).toBe(7);
  });

  it('take — items a crashed consumer had taken are handed out again after claimIdleMs', async () => {
    const stream = uniqueName('crash');
    const crashed = redisStreamQueueStorage({
      client: await client(),
      stream,
      consumer: 'dead',
      claimIdleMs: 100,
    });
    for (let n = 1; n <= 3; n++) await crashed.append(item(n), 10);
    expect(await crashed.take(2)).toHaveLength(2); // never acknowledged: the process "dies"
    const survivor = redisStreamQueueStorage<{ order: number }>({
      client: await client(),
      stream,
      consumer: 'alive',
      claimIdleMs: 100,
    });
    const own = await survivor.take(5);
    expect(own.map((t) => t.payload.order)).toEqual([3]);
    await survivor.ack(own[0]!.id);
    await new Promise((r) => setTimeout(r, 150));
    const reclaimed = await survivor.take(5);
    expect(reclaimed.map((t) => t.payload.order)).toEqual([1, 2]);
  });

  it('queueForLater — an accepted request is replayed by a new process after a crash', async () => {
    const stream = uniqueName('replay');
    const first = queueForLater<{ order: number }>({
      storage: redisStreamQueueStorage({ client: await client(), stream }),
      replay: () => Promise.reject(new Error('still down')),
    });
    const receipt = await first.execute(() => Promise.reject(new Error('down')), { payload: { order: 42 } });
    expect(receipt).toMatchObject({ status: 'queued' });
    // The first process is gone; a new one with the same stream replays what it accepted.
    const replayed: unknown[] = [];
    const second = queueForLater<{ order: number }>({
      storage: redisStreamQueueStorage({ client: await client(), stream }),
      replay: (payload) => {
        replayed.push(payload);
      },
    });
    await expect(second.drain()).resolves.toMatchObject({ replayed: 1 });
    expect(replayed).toEqual([{ order: 42 }]);
    expect(await second.size()).toBe(0);
  });

  it('redisStreamQueueStorage — bad options are reported by name', async () => {
    const c = await client();
    expect(() => redisStreamQueueStorage({ client: c, stream: '' })).toThrow(
      /stream must be a non-empty string/,
    );
    expect(() => redisStreamQueueStorage({ client: c, stream: 's', claimIdleMs: -1 })).toThrow(/claimIdleMs/);
    expect(() => redisStreamQueueStorage({ client: {}, stream: 's' })).toThrow(/ioredis or node-redis/);
  });
});

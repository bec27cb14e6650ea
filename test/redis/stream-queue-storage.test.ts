// redisStreamQueueStorage against a real redis-server, for both clients: the QueueStorage
// contract, the bound under concurrency, items surviving a crashed consumer, and queueForLater
// replaying after a "restart".
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  isQueueAppendUnknownError,
  isQueuedReceipt,
  isQueueEncodeError,
  queueForLater,
  type UndecodableEntry,
} from '../../src/index.js';
import { redisStreamQueueStorage, toAdapter } from '../../src/redis/index.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { CLIENTS, type ClientKind, connect, uniqueName } from './helpers.js';

const hasRedis = requireRedis('test/redis/stream-queue-storage.test.ts');
const down = (): Promise<never> => Promise.reject(new Error('down'));

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
    for (const id of ids) expect(id).toMatch(/^\d+-\d+$/); // stream entry ids
    expect(new Set(ids).size).toBe(3);
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

  it('take — each delivery cut short by a crash counts as an attempt; at maxAttempts the entry is dead-lettered unreplayed', async () => {
    const c = await client();
    const stream = uniqueName('crash-loop');
    const as = (consumer: string) =>
      redisStreamQueueStorage<{ order: number }>({ client: c, stream, consumer, claimIdleMs: 0 });
    await as('first').append(item(1), 10);
    expect((await as('first').take(1)).map((t) => t.attempts)).toEqual([0]); // "dies" mid-replay
    expect((await as('second').take(1)).map((t) => t.attempts)).toEqual([1]); // "dies" too
    const replayed: number[] = [];
    const dead: string[] = [];
    const queue = queueForLater<{ order: number }>({
      storage: as('third'),
      maxAttempts: 2,
      replay: (p) => void replayed.push(p.order),
      onDeadLetter: (d) => dead.push(d.lastError ?? ''),
    });
    expect(await queue.drain()).toMatchObject({ replayed: 0, deadLettered: 1 });
    expect(replayed).toEqual([]);
    expect(dead).toEqual([expect.stringMatching(/replayed 2 times without an outcome/)]);
    expect(await queue.size()).toBe(0);
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

  it('take — an entry that is not JSON is dead-lettered with its raw payload; the other 29 are replayed', async () => {
    const c = await client();
    const stream = uniqueName('poison');
    const undecodable: UndecodableEntry[] = [];
    const replayed: number[] = [];
    const queue = queueForLater<number>({
      storage: redisStreamQueueStorage({ client: c, stream }),
      replay: (n) => void replayed.push(n),
      onUndecodable: (entry) => undecodable.push(entry),
      maxQueued: 100,
    });
    for (let n = 0; n < 30; n++) {
      if (n === 10) await toAdapter(c).command(['XADD', stream, '*', 'item', '{"payload": nope']);
      else await queue.execute(down, { payload: n });
    }
    const report = await queue.drain();
    expect(report).toMatchObject({ replayed: 29, deadLettered: 1 });
    expect(replayed).toEqual([...Array.from({ length: 30 }, (_, n) => n)].filter((n) => n !== 10));
    expect(undecodable).toMatchObject([{ raw: '{"payload": nope', error: expect.stringMatching(/JSON/) }]);
    expect(await queue.size()).toBe(0);
    const dead = (await toAdapter(c).command(['XRANGE', `${stream}:dead`, '-', '+'])) as [string, string[]][];
    expect(dead).toHaveLength(1);
    const fields = dead[0]![1];
    expect(fields[fields.indexOf('raw') + 1]).toBe('{"payload": nope');
    expect(await queue.deadLetters()).toEqual([]); // the raw entry is not a DeadLetter<P>
  });

  it('append — a timed-out append is reported as unknown, with the receipt id and cause; the entry carries that id', async () => {
    const real = toAdapter(await client());
    // Forwards the append, then never answers: the item is stored, the caller cannot know.
    const slow = {
      ...real,
      kind: 'custom' as const,
      command: real.command.bind(real),
      subscriber: real.subscriber.bind(real),
      evalScript: async (...args: Parameters<typeof real.evalScript>) => {
        await real.evalScript(...args);
        return new Promise(() => undefined);
      },
    };
    const stream = uniqueName('unknown');
    const queue = queueForLater<string>({
      storage: redisStreamQueueStorage({ client: slow, stream, deadlineMs: 30 }),
      replay: () => undefined,
    });
    const error = await queue.execute(down, { payload: 'mail' }).catch((e: unknown) => e);
    expect(isQueueAppendUnknownError(error)).toBe(true);
    const unknown = error as Error & { receipt: string; reason: unknown };
    expect(unknown.receipt).toMatch(/^[0-9a-f-]{36}$/);
    expect(unknown.cause).toMatchObject({ message: expect.stringMatching(/append took longer than 30 ms/) });
    expect(unknown.reason).toMatchObject({ message: 'down' });
    expect(unknown.message).toMatch(/may or may not have been queued/);
    const seen: string[] = [];
    const reader = queueForLater<string>({
      storage: redisStreamQueueStorage({ client: real, stream }),
      replay: (_p, { receipt }) => void seen.push(receipt),
    });
    await reader.drain();
    expect(seen).toEqual([unknown.receipt]);
  });

  it('append — a payload JSON cannot carry is refused at the door, naming where it is', async () => {
    const stream = uniqueName('encode');
    const queue = queueForLater<unknown>({
      storage: redisStreamQueueStorage({ client: await client(), stream }),
      replay: () => undefined,
    });
    const error = await queue.execute(down, { payload: { order: { total: 10n } } }).catch((e: unknown) => e);
    expect(isQueueEncodeError(error)).toBe(true);
    expect((error as Error).message).toMatch(/payload\.order\.total is a bigint/);
    expect((error as Error).cause).toMatchObject({ message: 'down' });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(queue.execute(down, { payload: [cyclic] })).rejects.toThrow(/payload\[0\]\.self is a cycle/);
    await expect(queue.execute(down, { payload: new Map() })).rejects.toThrow(/payload is a Map/);
    expect(await queue.size()).toBe(0);
    expect(isQueuedReceipt(await queue.execute(down, { payload: { when: new Date(0) } }))).toBe(true);
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

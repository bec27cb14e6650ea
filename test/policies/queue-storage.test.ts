import { describe, expect, it } from 'vitest';
import { type DeadLetter, MemoryQueueStorage, type QueuedItem } from '../../src/policies/index.js';

const item = (payload: string): Omit<QueuedItem<string>, 'id'> => ({
  payload,
  attempts: 0,
  enqueuedAt: 0,
  receipt: `r-${payload}`,
});

const dead = (taken: QueuedItem<string>, deadAt = 1): DeadLetter<string> => ({ ...taken, deadAt });

describe('MemoryQueueStorage', () => {
  it('append — numbers items from 1 and refuses once queued + taken reach the limit', async () => {
    const storage = new MemoryQueueStorage<string>();
    expect(await storage.append(item('a'), 2)).toBe('1');
    expect(await storage.append(item('b'), 2)).toBe('2');
    expect(await storage.append(item('c'), 2)).toBeUndefined();
    expect(await storage.size()).toBe(2);
    const [first] = await storage.take(1);
    expect(first).toEqual({ ...item('a'), id: '1' });
    // A taken item still counts against the limit.
    expect(await storage.append(item('c'), 2)).toBeUndefined();
    expect(await storage.append(item('c'), 3)).toBe('3');
    expect(await storage.size()).toBe(3);
  });

  it('take — hands out at most max items, oldest first, and never the same one twice', async () => {
    const storage = new MemoryQueueStorage<string>();
    for (const p of ['a', 'b', 'c']) await storage.append(item(p), 10);
    expect((await storage.take(2)).map((i) => i.payload)).toEqual(['a', 'b']);
    expect((await storage.take(5)).map((i) => i.payload)).toEqual(['c']);
    expect(await storage.take(5)).toEqual([]);
    expect(await storage.size()).toBe(3);
  });

  it('ack — removes a taken item for good; an unknown id changes nothing', async () => {
    const storage = new MemoryQueueStorage<string>();
    await storage.append(item('a'), 10);
    await storage.append(item('b'), 10);
    const [a] = await storage.take(1);
    await storage.ack(a!.id);
    await storage.ack('404');
    expect(await storage.size()).toBe(1);
    expect((await storage.take(5)).map((i) => i.payload)).toEqual(['b']);
  });

  it('requeue — puts a taken item back at the tail with its new fields; an item not taken is ignored', async () => {
    const storage = new MemoryQueueStorage<string>();
    for (const p of ['a', 'b']) await storage.append(item(p), 10);
    const [a] = await storage.take(1);
    await storage.requeue({ ...a!, attempts: 1, lastError: 'Error: no' });
    const [b] = await storage.take(1);
    expect(b!.payload).toBe('b');
    // 'b' is taken, not queued: requeueing an item that is not taken (here 'a', queued) adds no copy.
    await storage.requeue({ ...a!, attempts: 7 });
    expect(await storage.size()).toBe(2);
    expect(await storage.take(5)).toEqual([{ ...item('a'), id: '1', attempts: 1, lastError: 'Error: no' }]);
  });

  it('deadLetter — moves a taken item aside; an item not taken is ignored', async () => {
    const storage = new MemoryQueueStorage<string>();
    for (const p of ['a', 'b']) await storage.append(item(p), 10);
    const [a] = await storage.take(1);
    await storage.deadLetter(dead(a!, 5));
    await storage.deadLetter(dead({ ...item('b'), id: '2' }));
    expect(await storage.deadLetters()).toEqual([{ ...a!, deadAt: 5 }]);
    expect(await storage.size()).toBe(1);
    await storage.deadLetter(dead(a!, 6)); // already dead-lettered: not taken any more
    expect(await storage.deadLetters()).toHaveLength(1);
  });

  it('deadLetters — a copy, oldest first; beyond maxDeadLetters the oldest is forgotten', async () => {
    const storage = new MemoryQueueStorage<string>({ maxDeadLetters: 2 });
    for (const p of ['a', 'b', 'c']) await storage.append(item(p), 10);
    for (const taken of await storage.take(3)) await storage.deadLetter(dead(taken));
    const list = await storage.deadLetters();
    expect(list.map((d) => d.payload)).toEqual(['b', 'c']);
    (list as DeadLetter<string>[]).length = 0;
    expect(await storage.deadLetters()).toHaveLength(2);
    expect(await storage.size()).toBe(0);
  });

  it('deadLetters — keeps 1,000 by default, and none with maxDeadLetters 0', async () => {
    const storage = new MemoryQueueStorage<string>();
    const none = new MemoryQueueStorage<string>({ maxDeadLetters: 0 });
    for (const s of [storage, none]) {
      for (let n = 0; n < 1_001; n++) await s.append(item(String(n)), 2_000);
      for (const taken of await s.take(1_001)) await s.deadLetter(dead(taken));
    }
    const kept = await storage.deadLetters();
    expect(kept).toHaveLength(1_000);
    expect(kept[0]!.payload).toBe('1');
    expect(await none.deadLetters()).toEqual([]);
  });

  it('MemoryQueueStorage — maxDeadLetters must be an integer >= 0', () => {
    for (const bad of [-1, 1.5, Number.NaN, '3']) {
      expect(() => new MemoryQueueStorage({ maxDeadLetters: bad as number })).toThrow(
        new RangeError(
          `invalid MemoryQueueStorage options: maxDeadLetters must be an integer >= 0 (got ${String(bad)})`,
        ),
      );
    }
  });
});

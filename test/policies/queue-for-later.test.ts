import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, CircuitOpenError } from '../../src/index.js';
import {
  bulkhead,
  type DeadLetter,
  isQueueAppendUnknownError,
  isQueuedReceipt,
  isQueueFullError,
  type QueuedItem,
  MemoryQueueStorage,
  queueForLater,
  QueueFullError,
} from '../../src/policies/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

const down = async (): Promise<string> => {
  throw new Error('down');
};

describe('queueForLater', () => {
  it('execute — passes a success through and stores nothing', async () => {
    const queue = queueForLater<string>({ replay: () => undefined });
    await expect(queue.execute(async () => 'sent', { payload: 'mail-1' })).resolves.toBe('sent');
    expect(await queue.size()).toBe(0);
  });

  it('execute — stores the payload of a failed call and resolves with a receipt', async () => {
    const queue = queueForLater<string>({ replay: () => undefined, name: 'outbox' });
    const receipt = await queue.execute(down, { payload: 'mail-1' });
    expect(isQueuedReceipt(receipt)).toBe(true);
    expect(receipt).toMatchObject({ status: 'queued', queue: 'outbox', reason: { message: 'down' } });
    expect(await queue.size()).toBe(1);
  });

  it('execute — a full queue rejects at the door with QueueFullError carrying the cause', async () => {
    const queue = queueForLater<number>({ replay: () => undefined, maxQueued: 2 });
    await queue.execute(down, { payload: 1 });
    await queue.execute(down, { payload: 2 });
    const error = await queue.execute(down, { payload: 3 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueFullError);
    expect(isQueueFullError(error)).toBe(true);
    expect((error as Error).cause).toMatchObject({ message: 'down' });
    expect(await queue.size()).toBe(2);
  });

  it('execute — a caller abort is rethrown, not queued; when filters errors', async () => {
    const queue = queueForLater<number>({
      replay: () => undefined,
      when: (e) => (e as Error).message !== 'bad request',
    });
    await expect(
      queue.execute(
        async () => {
          throw new Error('bad request');
        },
        { payload: 1 },
      ),
    ).rejects.toThrow('bad request');
    const controller = new AbortController();
    const p = queue.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { payload: 2, signal: controller.signal },
    );
    controller.abort('stop');
    await expect(p).rejects.toBe('stop');
    expect(await queue.size()).toBe(0);
  });

  it('drain — replays in FIFO order and acknowledges each success', async () => {
    const replayed: number[] = [];
    const queue = queueForLater<number>({ replay: (n) => void replayed.push(n) });
    for (const n of [1, 2, 3]) await queue.execute(down, { payload: n });
    await expect(queue.drain()).resolves.toEqual({ replayed: 3, requeued: 0, deadLettered: 0, deferred: 0 });
    expect(replayed).toEqual([1, 2, 3]);
    expect(await queue.size()).toBe(0);
  });

  it('drain — a failed replay is requeued with its attempt count, then dead-lettered after maxAttempts', async () => {
    const attempts: number[] = [];
    const dead: DeadLetter<string>[] = [];
    const queue = queueForLater<string>({
      replay: (_p, { attempt }) => {
        attempts.push(attempt);
        throw new Error(`still down (${attempt})`);
      },
      maxAttempts: 3,
      onDeadLetter: (item) => dead.push(item),
    });
    await queue.execute(down, { payload: 'job' });
    expect(await queue.drain()).toMatchObject({ requeued: 1 });
    expect(await queue.drain()).toMatchObject({ requeued: 1 });
    expect(await queue.drain()).toMatchObject({ deadLettered: 1 });
    expect(attempts).toEqual([1, 2, 3]);
    expect(dead).toMatchObject([{ payload: 'job', attempts: 3, lastError: 'Error: still down (3)' }]);
    expect(await queue.deadLetters()).toEqual(dead);
    expect(await queue.size()).toBe(0);
  });

  it('drain — a replay refused by an open circuit costs no attempt and ends the drain', async () => {
    let open = true;
    const seen: number[] = [];
    const queue = queueForLater<number>({
      replay: (n) => {
        seen.push(n);
        if (open) throw new CircuitOpenError('api', 'open', 1_000);
      },
      maxAttempts: 1,
    });
    for (const n of [1, 2, 3]) await queue.execute(down, { payload: n });
    expect(await queue.drain()).toEqual({ replayed: 0, requeued: 0, deadLettered: 0, deferred: 3 });
    expect(seen).toEqual([1]);
    open = false;
    expect(await queue.drain()).toMatchObject({ replayed: 3, deadLettered: 0 });
    expect(seen).toEqual([1, 1, 2, 3]);
  });

  it('drain — a replay refused by a full bulkhead costs no attempt and ends the drain', async () => {
    const gate = bulkhead({ maxConcurrent: 1 });
    let release!: () => void;
    const busy = gate.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const seen: number[] = [];
    const queue = queueForLater<number>({
      replay: (n) => gate.execute(async () => void seen.push(n)),
      maxAttempts: 1,
    });
    for (const n of [1, 2, 3]) await queue.execute(down, { payload: n });
    expect(await queue.drain()).toEqual({ replayed: 0, requeued: 0, deadLettered: 0, deferred: 3 });
    expect(seen).toEqual([]);
    release();
    await busy;
    // maxAttempts is 1: had the refusal cost an attempt, item 1 would be dead-lettered now.
    expect(await queue.drain()).toEqual({ replayed: 3, requeued: 0, deadLettered: 0, deferred: 0 });
    expect(seen).toEqual([1, 2, 3]);
    expect(await queue.deadLetters()).toEqual([]);
  });

  it('drain — runs by itself when the breaker closes', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      successThreshold: 1,
      timeout: false,
    });
    const delivered: string[] = [];
    const queue = queueForLater<string>({
      replay: (msg) => breaker.execute(async () => void delivered.push(msg)),
      breaker,
    });
    const send = (msg: string, ok: boolean) =>
      queue.execute(
        () =>
          breaker.execute(async () => {
            if (!ok) throw new Error('down');
            delivered.push(msg);
          }),
        { payload: msg },
      );
    await send('a', false); // fails, opens the circuit, queued
    await send('b', true); // rejected by the open circuit, queued
    expect(await queue.size()).toBe(2);
    clock.advance(1_000);
    await send('c', true); // probe succeeds: the circuit closes and the queue drains
    await settle();
    expect(delivered.sort()).toEqual(['a', 'b', 'c']);
    expect(await queue.size()).toBe(0);
    queue.dispose();
  });

  it('drain — runs when attached to a closed breaker, with no transition (work left by a previous process)', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ clock, timeout: false });
    const storage = new MemoryQueueStorage<string>();
    await storage.append({ payload: 'left over', attempts: 0, enqueuedAt: 0, receipt: 'r-1' }, 10);
    const delivered: string[] = [];
    const queue = queueForLater<string>({ storage, breaker, clock, replay: (m) => void delivered.push(m) });
    await settle();
    expect(delivered).toEqual(['left over']);
    expect(await queue.size()).toBe(0);
    queue.dispose();
  });

  it('drain — runs every drainIntervalMs while the breaker is closed, and not while it is open', async () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({
      clock,
      failureThreshold: 5,
      recoveryTimeout: 60_000,
      timeout: false,
    });
    const delivered: string[] = [];
    const queue = queueForLater<string>({
      breaker,
      clock,
      drainIntervalMs: 5_000,
      replay: (m) => breaker.execute(async () => void delivered.push(m)),
    });
    await settle();
    // One blip: the call fails and is queued, the breaker never opens, so no transition comes.
    await queue.execute(() => breaker.execute(down), { payload: 'blip' });
    await clock.advanceAsync(4_999);
    expect(delivered).toEqual([]);
    await clock.advanceAsync(1);
    expect(delivered).toEqual(['blip']);
    breaker.isolate();
    await queue.execute(down, { payload: 'while open' });
    await clock.advanceAsync(5_000);
    expect(delivered).toEqual(['blip']);
    expect(await queue.size()).toBe(1);
    queue.dispose();
    expect(clock.pendingTimers).toBe(0);
  });

  it("replay — receives the receipt id in its context, the same on every attempt as in the caller's receipt", async () => {
    const seen: string[] = [];
    let fail = true;
    const queue = queueForLater<string>({
      replay: (_m, { receipt }) => {
        seen.push(receipt);
        if (fail) throw new Error('again');
      },
    });
    const receipt = await queue.execute(down, { payload: 'm' });
    const given = await queue.execute(down, { payload: 'n', receipt: 'order-7' });
    await queue.drain();
    fail = false;
    await queue.drain();
    expect(isQueuedReceipt(receipt) && isQueuedReceipt(given)).toBe(true);
    const id = (receipt as { id: string }).id;
    expect(seen).toEqual([id, 'order-7', id, 'order-7']);
  });

  it('execute — an append whose outcome is unknown rejects with QueueAppendUnknownError (receipt, cause, reason)', async () => {
    const inner = new MemoryQueueStorage<string>();
    const lost = new Error('connection reset after the write was sent');
    const storage = {
      ...Object.fromEntries(
        (['take', 'ack', 'requeue', 'deadLetter', 'deadLetters', 'size'] as const).map((m) => [
          m,
          (inner[m] as (...a: unknown[]) => unknown).bind(inner),
        ]),
      ),
      append: async (item: Omit<QueuedItem<string>, 'id'>, limit: number) => {
        await inner.append(item, limit);
        throw lost;
      },
    } as unknown as MemoryQueueStorage<string>;
    const seen: string[] = [];
    const queue = queueForLater<string>({ storage, replay: (_m, { receipt }) => void seen.push(receipt) });
    const error = await queue.execute(down, { payload: 'm' }).catch((e: unknown) => e);
    expect(isQueueAppendUnknownError(error)).toBe(true);
    expect(error).toMatchObject({
      code: 'ERR_QUEUE_APPEND_UNKNOWN',
      cause: lost,
      reason: { message: 'down' },
    });
    await queue.drain();
    expect(seen).toEqual([(error as { receipt: string }).receipt]);
  });

  it('drain — concurrent calls share one drain', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let replays = 0;
    const queue = queueForLater<number>({
      replay: async () => {
        replays++;
        await gate;
      },
    });
    await queue.execute(down, { payload: 1 });
    const a = queue.drain();
    const b = queue.drain();
    expect(b).toBe(a);
    release();
    await a;
    expect(replays).toBe(1);
  });

  it('wrap — stores the arguments (or the payload option) of a failed call', async () => {
    const replayed: unknown[] = [];
    const queue = queueForLater<{ to: string }, [string, string]>({
      replay: (p) => void replayed.push(p),
      payload: (to) => ({ to }),
    });
    const send = queue.wrap(async (to: string, body: string): Promise<string> => {
      throw new Error(`smtp down (${to}, ${body.length})`);
    });
    expect(isQueuedReceipt(await send('ann@example.com', 'hi'))).toBe(true);
    await queue.drain();
    expect(replayed).toEqual([{ to: 'ann@example.com' }]);
  });

  it('queueForLater — validates options together', () => {
    expect(() =>
      queueForLater({ replay: 1 as never, maxQueued: 0, maxAttempts: 1.5, storage: {} as never }),
    ).toThrow(/replay must be.*maxQueued must be.*maxAttempts must be.*storage must be/);
  });

  it('queueForLater — property: every accepted request is replayed exactly once or dead-lettered, none lost', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }), // maxQueued
        fc.integer({ min: 1, max: 4 }), // maxAttempts
        fc.integer({ min: 1, max: 5 }), // batchSize
        fc.array(fc.boolean(), { minLength: 1, maxLength: 60 }), // replay outcomes, in order, cycled
        fc.integer({ min: 0, max: 60 }), // requests offered
        async (maxQueued, maxAttempts, batchSize, outcomes, offered) => {
          const storage = new MemoryQueueStorage<number>({ maxDeadLetters: 1_000 });
          const successes = new Map<number, number>();
          const attemptsSeen = new Map<number, number>();
          const dead: number[] = [];
          let draw = 0;
          const queue = queueForLater<number>({
            storage,
            maxQueued,
            maxAttempts,
            batchSize,
            replay: (n) => {
              attemptsSeen.set(n, (attemptsSeen.get(n) ?? 0) + 1);
              if (outcomes[draw++ % outcomes.length] === true) {
                successes.set(n, (successes.get(n) ?? 0) + 1);
                return;
              }
              throw new Error('replay failed');
            },
            onDeadLetter: (item) => dead.push(item.payload),
          });
          const accepted: number[] = [];
          let refused = 0;
          for (let n = 0; n < offered; n++) {
            const answer = await queue.execute(down, { payload: n }).catch((e: unknown) => e);
            if (isQueuedReceipt(answer)) accepted.push(n);
            else if (isQueueFullError(answer)) refused++;
            else throw new Error(`unexpected answer ${String(answer)}`);
          }
          expect(accepted.length + refused).toBe(offered);
          expect(accepted.length).toBe(Math.min(offered, maxQueued));
          // Drain until empty; each drain tries each item once, so maxAttempts drains suffice.
          for (let i = 0; i < maxAttempts; i++) await queue.drain();
          expect(await queue.size()).toBe(0);
          for (const n of accepted) {
            const ok = successes.get(n) ?? 0;
            const isDead = dead.filter((d) => d === n).length;
            expect(ok + isDead).toBe(1); // exactly one fate: replayed once, or dead-lettered once
            expect(attemptsSeen.get(n)).toBeLessThanOrEqual(maxAttempts);
            if (isDead === 1) expect(attemptsSeen.get(n)).toBe(maxAttempts);
          }
          expect([...successes.values()].reduce((a, b) => a + b, 0) + dead.length).toBe(accepted.length);
          expect((await queue.deadLetters()).map((d) => d.payload).sort()).toEqual([...dead].sort());
        },
      ),
      { numRuns: 200 },
    );
  });
});

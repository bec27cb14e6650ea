import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, CircuitOpenError, Telemetry, type TimerHandle } from '../../src/index.js';
import {
  bulkhead,
  type DeadLetter,
  encodeForQueue,
  isQueueAppendUnknownError,
  isQueuedReceipt,
  isQueueFullError,
  type QueuedItem,
  MemoryQueueStorage,
  QueueAppendUnknownError,
  QueueEncodeError,
  type QueueForLater,
  type StateChangeSource,
  queueForLater,
  QueueFullError,
  type UndecodableEntry,
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

/** A storage with `bad` entries it cannot decode ahead of its items; `size` may overstate by `phantom`. */
function storageWith<P>(bad: string[], phantom = 0) {
  const inner = new MemoryQueueStorage<P>();
  const pending = [...bad];
  const storage = {
    append: (item: Omit<QueuedItem<P>, 'id'>, limit: number) => inner.append(item, limit),
    take: async (max: number, onUndecodable?: (entry: UndecodableEntry) => void) => {
      let used = 0;
      while (used < max && pending.length > 0) {
        const id = pending.shift()!;
        onUndecodable?.({ id, raw: `{${id}`, error: `SyntaxError: bad ${id}` });
        used++;
      }
      return used === max ? [] : inner.take(max - used);
    },
    ack: (id: string) => inner.ack(id),
    requeue: (item: QueuedItem<P>) => inner.requeue(item),
    deadLetter: (item: DeadLetter<P>) => inner.deadLetter(item),
    deadLetters: () => inner.deadLetters(),
    size: async () => (await inner.size()) + pending.length + phantom,
  };
  return { storage, inner };
}

/** A rejected promise, typed so a callback declared to return nothing may return it (an `async` callback does). */
const rejected = (message: string): unknown => Promise.reject(new Error(message));

function captureWarnings(): { messages: () => string[]; restore: () => void } {
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  return {
    messages: () => spy.mock.calls.map(([message]) => String(message)),
    restore: () => spy.mockRestore(),
  };
}

/** A breaker stand-in: `emit` sends a stateChange; `state` is read when set. */
function stateSource(state?: string) {
  const listeners: ((event: { readonly to: string }) => void)[] = [];
  let disposed = 0;
  const dispose = (): void => {
    disposed += 1;
  };
  const source: { state?: string; on: StateChangeSource['on'] } = {
    on: (_event, listener) => {
      listeners.push(listener);
      return { dispose, [Symbol.dispose]: dispose };
    },
  };
  if (state !== undefined) source.state = state;
  return {
    source,
    emit: (to: string) => {
      for (const listener of listeners) listener({ to });
    },
    disposed: () => disposed,
  };
}

describe('queueForLater — calls, drains and callbacks', () => {
  it('isQueuedReceipt — only an object with status "queued" and a string id', () => {
    expect(isQueuedReceipt({ status: 'queued', id: 'r', queue: 'q', reason: 1 })).toBe(true);
    expect(isQueuedReceipt({ status: 'queued', id: 'r' })).toBe(true);
    for (const value of [
      null,
      undefined,
      'queued',
      { status: 'queued' },
      { status: 'queued', id: 7 },
      { status: 'sent', id: 'r' },
    ])
      expect(isQueuedReceipt(value)).toBe(false);
  });

  it('execute — a bad function, payload, receipt or signal is a TypeError naming the queue', async () => {
    const queue = queueForLater<string>({ replay: () => undefined, name: 'mail' });
    await expect(queue.execute(1 as never, { payload: 'p' })).rejects.toThrow(
      new TypeError('queueForLater "mail": execute(fn) needs a function'),
    );
    for (const options of [undefined, null, {}, 'p'])
      await expect(queue.execute(down, options as never)).rejects.toThrow(
        new TypeError('queueForLater "mail": execute(fn, { payload }) needs a payload'),
      );
    await expect(queue.execute(down, { payload: 'p', receipt: '' })).rejects.toThrow(
      'queueForLater "mail": execute(fn, { receipt }) needs a non-empty string (got string)',
    );
    await expect(queue.execute(down, { payload: 'p', receipt: 7 as never })).rejects.toThrow(
      'queueForLater "mail": execute(fn, { receipt }) needs a non-empty string (got number)',
    );
    await expect(queue.execute(down, { payload: 'p', signal: {} as never })).rejects.toThrow(
      /^queueForLater "mail": execute\(fn, \{ signal \}\)/,
    );
    expect(await queue.size()).toBe(0);
    // A payload of undefined is a payload.
    expect(isQueuedReceipt(await queue.execute(down, { payload: undefined as never }))).toBe(true);
  });

  it('execute — stores the payload, no attempt, the clock time and the receipt; the receipt names the queue', async () => {
    const clock = new FakeClock(1_234);
    const storage = new MemoryQueueStorage<string>();
    const queue = queueForLater<string>({ replay: () => undefined, name: 'mail', storage, clock });
    const reason = new Error('down');
    const receipt = await queue.execute(() => Promise.reject(reason), { payload: 'm', receipt: 'r-9' });
    expect(receipt).toEqual({ status: 'queued', id: 'r-9', queue: 'mail', reason });
    expect(await storage.take(5)).toEqual([
      { id: '1', payload: 'm', attempts: 0, enqueuedAt: 1_234, receipt: 'r-9' },
    ]);
    const fresh = await queue.execute(down, { payload: 'n' });
    expect((fresh as { id: string }).id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
  });

  it('execute — a full queue names itself and its bound', async () => {
    const queue = queueForLater<number>({ replay: () => undefined, maxQueued: 1, name: 'mail' });
    await queue.execute(down, { payload: 1 });
    await expect(queue.execute(down, { payload: 2 })).rejects.toThrow(
      'queue "mail" is full (1 requests waiting); the request was not queued',
    );
  });

  it('execute — a request the storage cannot encode is refused with the call error as cause', async () => {
    const inner = new MemoryQueueStorage<unknown>();
    const storage = Object.assign(Object.create(inner) as MemoryQueueStorage<unknown>, {
      append: (item: Omit<QueuedItem<unknown>, 'id'>, limit: number) => {
        encodeForQueue(item, 'the storage');
        return inner.append(item, limit);
      },
      take: inner.take.bind(inner),
      ack: inner.ack.bind(inner),
      requeue: inner.requeue.bind(inner),
      deadLetter: inner.deadLetter.bind(inner),
      deadLetters: inner.deadLetters.bind(inner),
      size: inner.size.bind(inner),
    });
    const queue = queueForLater<unknown>({ replay: () => undefined, name: 'orders', storage });
    const reason = new Error('down');
    const error = await queue
      .execute(() => Promise.reject(reason), { payload: { total: 10n } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueEncodeError);
    expect(error).toMatchObject({
      policy: 'orders',
      path: 'payload.total',
      what: 'a bigint',
      cause: reason,
      message:
        'queue "orders" cannot store the request: payload.total is a bigint, which JSON cannot carry; the request was not queued',
    });
    expect(await queue.size()).toBe(0);
  });

  it('execute — an append that fails says what the storage said and carries the receipt', async () => {
    const storage = Object.assign(new MemoryQueueStorage<string>(), {
      append: () => Promise.reject(new Error('socket closed')),
    });
    const queue = queueForLater<string>({ replay: () => undefined, name: 'mail', storage });
    const error = await queue.execute(down, { payload: 'm', receipt: 'r-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueAppendUnknownError);
    expect((error as Error).message).toBe(
      'queue "mail": the request may or may not have been queued (receipt r-1): the storage failed mid-append: socket closed',
    );
  });

  it('wrap — needs a function; passes this and the arguments on', async () => {
    const queue = queueForLater<unknown>({ replay: () => undefined, name: 'mail' });
    expect(() => queue.wrap(1 as never)).toThrow(
      new TypeError('queueForLater "mail": wrap(fn) needs a function'),
    );
    const target = {
      prefix: 'to',
      send: queue.wrap(async function (this: { prefix: string }, to: string) {
        return `${this.prefix} ${to}`;
      }),
    };
    expect(await target.send('ann')).toBe('to ann');
    const failing = queue.wrap(async (a: number, b: number): Promise<number> => {
      throw new Error(`no ${a + b}`);
    });
    await failing(1, 2);
    const [stored] = await queue.storage.take(1);
    expect(stored!.payload).toEqual([1, 2]);
  });

  it('forPayload — a policy that queues its payload, from execute or wrap', async () => {
    const replayed: string[] = [];
    const queue = queueForLater<string>({ replay: (p) => void replayed.push(p) });
    const policy = queue.forPayload('mail-1');
    expect(await policy.execute(async () => 'sent')).toBe('sent');
    expect(isQueuedReceipt(await policy.execute(down))).toBe(true);
    const wrapped = policy.wrap(async function (this: { n: number }, m: number): Promise<number> {
      if (m > 1) throw new Error('down');
      return this.n + m;
    });
    expect(await wrapped.call({ n: 10 }, 1)).toBe(11);
    expect(isQueuedReceipt(await wrapped.call({ n: 10 }, 2))).toBe(true);
    await queue.drain();
    expect(replayed).toEqual(['mail-1', 'mail-1']);
    const controller = new AbortController();
    const p = policy.execute(
      ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
      { signal: controller.signal },
    );
    controller.abort('stop');
    await expect(p).rejects.toBe('stop');
    const hostile = {
      get signal(): AbortSignal {
        throw new Error('no signal');
      },
    };
    await expect(policy.execute(async () => 'x', hostile)).rejects.toThrow('no signal');
  });

  it('size and deadLetters — read the storage', async () => {
    const queue = queueForLater<string>({ replay: () => Promise.reject(new Error('no')), maxAttempts: 1 });
    await queue.execute(down, { payload: 'a' });
    await queue.execute(down, { payload: 'b' });
    expect(await queue.size()).toBe(2);
    expect(await queue.drain()).toEqual({ replayed: 0, requeued: 0, deadLettered: 2, deferred: 0 });
    expect((await queue.deadLetters()).map((d) => d.payload)).toEqual(['a', 'b']);
  });

  it('drain — a bad signal rejects; an abort ends the drain and leaves the rest queued', async () => {
    const queue = queueForLater<number>({ replay: () => undefined, name: 'mail' });
    await expect(queue.drain({ signal: {} as never })).rejects.toThrow(
      /^queueForLater "mail": drain\(\{ signal \}\)/,
    );
    await expect(queue.drain(null as never)).resolves.toEqual({
      replayed: 0,
      requeued: 0,
      deadLettered: 0,
      deferred: 0,
    });
    const controller = new AbortController();
    const seen: number[] = [];
    const aborting = queueForLater<number>({
      replay: (n) => {
        seen.push(n);
        if (n === 2) controller.abort();
      },
      batchSize: 2,
    });
    for (const n of [1, 2, 3, 4, 5]) await aborting.execute(down, { payload: n });
    expect(await aborting.drain({ signal: controller.signal })).toEqual({
      replayed: 2,
      requeued: 0,
      deadLettered: 0,
      deferred: 0,
    });
    expect(seen).toEqual([1, 2]);
    expect(await aborting.size()).toBe(3);
    expect(await aborting.drain()).toMatchObject({ replayed: 3 });
  });

  it('drain — an abort during a replay puts the item back, and the rest of the batch, without an attempt', async () => {
    const controller = new AbortController();
    const contexts: { aborted: boolean; attempt: number }[] = [];
    const queue = queueForLater<number>({
      replay: (_n, context) => {
        contexts.push({ aborted: context.signal.aborted, attempt: context.attempt });
        controller.abort();
        throw new Error('cut short');
      },
      maxAttempts: 1,
    });
    for (const n of [1, 2, 3]) await queue.execute(down, { payload: n });
    expect(await queue.drain({ signal: controller.signal })).toEqual({
      replayed: 0,
      requeued: 0,
      deadLettered: 0,
      deferred: 3,
    });
    expect(contexts).toEqual([{ aborted: false, attempt: 1 }]);
    expect(await queue.deadLetters()).toEqual([]);
    expect(await queue.size()).toBe(3);
  });

  it('drain — the replay gets the caller signal; a failed replay carries its error to the next attempt', async () => {
    const controller = new AbortController();
    const signals: AbortSignal[] = [];
    let fail = true;
    const storage = new MemoryQueueStorage<string>();
    const queue = queueForLater<string>({
      storage,
      replay: (_p, { signal }) => {
        signals.push(signal);
        if (fail) throw new TypeError('bad gateway');
      },
    });
    await queue.execute(down, { payload: 'm' });
    expect(await queue.drain({ signal: controller.signal })).toEqual({
      replayed: 0,
      requeued: 1,
      deadLettered: 0,
      deferred: 0,
    });
    expect(signals[0]).toBe(controller.signal);
    const [again] = await storage.take(1);
    expect(again).toMatchObject({ attempts: 1, lastError: 'TypeError: bad gateway' });
    await storage.requeue(again!);
    fail = false;
    expect(await queue.drain()).toMatchObject({ replayed: 1 });
    expect(signals[1]!.aborted).toBe(false);
    expect(await queue.size()).toBe(0);
  });

  it('drain — an item handed out at maxAttempts is dead-lettered without a replay; an item without a receipt replays under its id', async () => {
    const clock = new FakeClock(50);
    const storage = new MemoryQueueStorage<string>();
    await storage.append({ payload: 'stuck', attempts: 3, enqueuedAt: 0 }, 10);
    await storage.append({ payload: 'old', attempts: 2, enqueuedAt: 0 }, 10);
    const replays: [string, string, number][] = [];
    const errors: unknown[] = [];
    const queue = queueForLater<string>({
      storage,
      clock,
      maxAttempts: 3,
      replay: (p, { receipt, attempt }) => void replays.push([p, receipt, attempt]),
      onDeadLetter: (_item, error) => errors.push(error),
    });
    expect(await queue.drain()).toEqual({ replayed: 1, requeued: 0, deadLettered: 1, deferred: 0 });
    expect(replays).toEqual([['old', '2', 3]]);
    expect(await queue.deadLetters()).toEqual([
      {
        id: '1',
        payload: 'stuck',
        attempts: 3,
        enqueuedAt: 0,
        deadAt: 50,
        lastError: 'Error: replayed 3 times without an outcome (its consumer stopped mid-replay)',
      },
    ]);
    expect(errors).toMatchObject([
      { message: 'replayed 3 times without an outcome (its consumer stopped mid-replay)' },
    ]);
  });

  it('drain — dead letters carry the clock time and the last error; the callback gets both', async () => {
    const clock = new FakeClock(7);
    const failure = new RangeError('quota');
    const seen: [DeadLetter<string>, unknown][] = [];
    const queue = queueForLater<string>({
      clock,
      maxAttempts: 1,
      replay: () => Promise.reject(failure),
      onDeadLetter: (item, error) => void seen.push([item, error]),
    });
    await queue.execute(down, { payload: 'm', receipt: 'r' });
    clock.advance(10);
    await queue.drain();
    expect(seen).toEqual([
      [
        {
          id: '1',
          payload: 'm',
          attempts: 1,
          enqueuedAt: 7,
          deadAt: 17,
          receipt: 'r',
          lastError: 'RangeError: quota',
        },
        failure,
      ],
    ]);
  });

  it('drain — an onDeadLetter that throws or rejects is a warning, and the drain goes on', async () => {
    const warnings = captureWarnings();
    try {
      let call = 0;
      const queue = queueForLater<string>({
        name: 'mail',
        maxAttempts: 1,
        replay: () => Promise.reject(new Error('no')),
        onDeadLetter: () => {
          if (++call === 1) throw new Error('callback broke');
          return rejected('callback rejected');
        },
      });
      await queue.execute(down, { payload: 'a' });
      await queue.execute(down, { payload: 'b' });
      expect(await queue.drain()).toMatchObject({ deadLettered: 2 });
      await settle();
      expect(warnings.messages()).toEqual([
        expect.stringMatching(/^breakwater: onDeadLetter of "mail" threw: Error: callback broke/),
        expect.stringMatching(
          /^breakwater: onDeadLetter of "mail" returned a rejected promise: Error: callback rejected/,
        ),
      ]);
    } finally {
      warnings.restore();
    }
  });

  it('drain — entries the storage cannot decode are dead-lettered and reported; the rest is replayed', async () => {
    const { storage } = storageWith<string>(['x1', 'x2', 'x3']);
    const entries: UndecodableEntry[] = [];
    const replayed: string[] = [];
    const queue = queueForLater<string>({
      storage,
      batchSize: 2,
      replay: (p) => void replayed.push(p),
      onUndecodable: (entry) => void entries.push(entry),
    });
    await queue.execute(down, { payload: 'a' });
    await queue.execute(down, { payload: 'b' });
    expect(await queue.drain()).toEqual({ replayed: 2, requeued: 0, deadLettered: 3, deferred: 0 });
    expect(entries.map((e) => e.id)).toEqual(['x1', 'x2', 'x3']);
    expect(entries[0]).toEqual({ id: 'x1', raw: '{x1', error: 'SyntaxError: bad x1' });
    expect(replayed).toEqual(['a', 'b']);
  });

  it('drain — an undecodable entry counts towards the items the drain saw: a requeued item is not tried twice', async () => {
    const { storage } = storageWith<string>(['x1']);
    const tries: string[] = [];
    const queue = queueForLater<string>({
      storage,
      replay: (p) => {
        tries.push(p);
        throw new Error('still down');
      },
      onUndecodable: () => undefined,
    });
    await queue.execute(down, { payload: 'a' });
    expect(await queue.drain()).toEqual({ replayed: 0, requeued: 1, deadLettered: 1, deferred: 0 });
    expect(tries).toEqual(['a']);
  });

  it('drain — an undecodable entry is a warning without onUndecodable; a throwing or rejecting callback too', async () => {
    const warnings = captureWarnings();
    try {
      await queueForLater<string>({
        storage: storageWith<string>(['x1']).storage,
        replay: () => undefined,
        name: 'mail',
      }).drain();
      let call = 0;
      const queue = queueForLater<string>({
        storage: storageWith<string>(['x2', 'x3']).storage,
        replay: () => undefined,
        name: 'mail',
        onUndecodable: () => {
          if (++call === 1) throw new Error('callback broke');
          return rejected('callback rejected');
        },
      });
      expect(await queue.drain()).toMatchObject({ deadLettered: 2 });
      await settle();
      expect(warnings.messages()).toEqual([
        expect.stringMatching(
          /^breakwater: queue "mail" moved an undecodable entry x1 to its dead-letter list: SyntaxError: bad x1/,
        ),
        expect.stringMatching(/^breakwater: onUndecodable of "mail" threw: Error: callback broke/),
        expect.stringMatching(
          /^breakwater: onUndecodable of "mail" returned a rejected promise: Error: callback rejected/,
        ),
      ]);
    } finally {
      warnings.restore();
    }
  });

  it('drain — ends when the storage hands out nothing, even if its size says more', async () => {
    const { storage } = storageWith<string>([], 3);
    const queue = queueForLater<string>({ storage, replay: () => undefined });
    await queue.execute(down, { payload: 'a' });
    expect(await queue.drain()).toEqual({ replayed: 1, requeued: 0, deadLettered: 0, deferred: 0 });
  });

  it('drain — takes batches of batchSize, no more than the size it saw at the start', async () => {
    const storage = new MemoryQueueStorage<number>();
    const takes: number[] = [];
    const take = storage.take.bind(storage);
    storage.take = (max: number) => {
      takes.push(max);
      return take(max);
    };
    const queue = queueForLater<number>({ storage, batchSize: 3, replay: () => undefined });
    for (const n of [1, 2, 3, 4, 5, 6, 7]) await queue.execute(down, { payload: n });
    expect(await queue.drain()).toMatchObject({ replayed: 7 });
    expect(takes).toEqual([3, 3, 1]);
    const failing = queueForLater<number>({
      storage,
      batchSize: 10,
      replay: () => Promise.reject(new Error('no')),
    });
    takes.length = 0;
    for (const n of [1, 2]) await failing.execute(down, { payload: n });
    // Requeued items go back to the tail: the drain stops at the two it saw.
    expect(await failing.drain()).toEqual({ replayed: 0, requeued: 2, deadLettered: 0, deferred: 0 });
    expect(takes).toEqual([2]);
  });

  it('drain — the default batch is 10 items', async () => {
    const storage = new MemoryQueueStorage<number>();
    const takes: number[] = [];
    const take = storage.take.bind(storage);
    storage.take = (max: number) => {
      takes.push(max);
      return take(max);
    };
    const queue = queueForLater<number>({ storage, replay: () => undefined });
    for (let n = 0; n < 12; n++) await queue.execute(down, { payload: n });
    await queue.drain();
    expect(takes).toEqual([10, 2]);
  });

  it('dispose — a running drain ends after the replay in progress; the rest of its batch goes back', async () => {
    const seen: number[] = [];
    const queue: QueueForLater<number> = queueForLater<number>({
      replay: (n) => {
        seen.push(n);
        queue.dispose();
      },
      batchSize: 2,
    });
    for (const n of [1, 2, 3]) await queue.execute(down, { payload: n });
    expect(await queue.drain()).toEqual({ replayed: 1, requeued: 0, deadLettered: 0, deferred: 1 });
    expect(seen).toEqual([1]);
    // A drain asked for after dispose() runs as asked.
    expect(await queue.drain()).toEqual({ replayed: 2, requeued: 0, deadLettered: 0, deferred: 0 });
  });

  it('drainIntervalMs — without a breaker: drains when created and every period; dispose stops it', async () => {
    const clock = new FakeClock();
    const storage = new MemoryQueueStorage<string>();
    await storage.append({ payload: 'left over', attempts: 0, enqueuedAt: 0 }, 10);
    const delivered: string[] = [];
    const queue = queueForLater<string>({
      storage,
      clock,
      drainIntervalMs: 1_000,
      replay: (m) => void delivered.push(m),
    });
    await settle();
    expect(delivered).toEqual(['left over']);
    await queue.execute(down, { payload: 'later' });
    await clock.advanceAsync(999);
    expect(delivered).toEqual(['left over']);
    await clock.advanceAsync(1);
    expect(delivered).toEqual(['left over', 'later']);
    await queue.execute(down, { payload: 'again' });
    await clock.advanceAsync(1_000);
    expect(delivered).toEqual(['left over', 'later', 'again']);
    queue.dispose();
    expect(clock.pendingTimers).toBe(0);
    await queue.execute(down, { payload: 'after' });
    await clock.advanceAsync(5_000);
    expect(delivered).toHaveLength(3);
  });

  it('drainIntervalMs — with a breaker the period is 30 s by default; false turns it off', async () => {
    const clock = new FakeClock();
    const { source } = stateSource();
    const delivered: string[] = [];
    const queue = queueForLater<string>({ clock, breaker: source, replay: (m) => void delivered.push(m) });
    await settle();
    await queue.execute(down, { payload: 'm' });
    await clock.advanceAsync(29_999);
    expect(delivered).toEqual([]);
    await clock.advanceAsync(1);
    expect(delivered).toEqual(['m']);
    queue.dispose();
    const off = queueForLater<string>({
      clock,
      breaker: source,
      drainIntervalMs: false,
      replay: () => undefined,
    });
    expect(clock.pendingTimers).toBe(0);
    off.dispose();
    const none = queueForLater<string>({ clock, replay: () => undefined });
    expect(clock.pendingTimers).toBe(0);
    none.dispose();
  });

  it('dispose — right after creation: the first automatic drain does not run', async () => {
    const storage = new MemoryQueueStorage<string>();
    await storage.append({ payload: 'left over', attempts: 0, enqueuedAt: 0 }, 10);
    const delivered: string[] = [];
    const queue = queueForLater<string>({
      storage,
      drainIntervalMs: 1_000,
      clock: new FakeClock(),
      replay: (m) => void delivered.push(m),
    });
    queue[Symbol.dispose]();
    await settle();
    expect(delivered).toEqual([]);
  });

  it('breaker — its stateChange drives the drain: on closed at once, not while open; dispose unsubscribes', async () => {
    const clock = new FakeClock();
    const breaker = stateSource();
    const delivered: string[] = [];
    const queue = queueForLater<string>({
      clock,
      breaker: breaker.source,
      drainIntervalMs: 1_000,
      replay: (m) => void delivered.push(m),
    });
    await settle();
    breaker.emit('open');
    await queue.execute(down, { payload: 'a' });
    await clock.advanceAsync(3_000);
    expect(delivered).toEqual([]);
    breaker.emit('half-open');
    await clock.advanceAsync(1_000);
    expect(delivered).toEqual([]);
    breaker.emit('closed');
    await settle();
    expect(delivered).toEqual(['a']);
    queue.dispose();
    expect(breaker.disposed()).toBe(1);
  });

  it('breaker — its state, when it has one, is read at each tick (not the last stateChange)', async () => {
    const clock = new FakeClock();
    const breaker = stateSource('open');
    const delivered: string[] = [];
    const queue = queueForLater<string>({
      clock,
      breaker: breaker.source,
      drainIntervalMs: 1_000,
      replay: (m) => void delivered.push(m),
    });
    await queue.execute(down, { payload: 'a' });
    await clock.advanceAsync(1_000);
    expect(delivered).toEqual([]);
    breaker.source.state = 'closed';
    await clock.advanceAsync(1_000);
    expect(delivered).toEqual(['a']);
    queue.dispose();
  });

  it('automatic drain — a failing storage is one warning per outage', async () => {
    const warnings = captureWarnings();
    try {
      const clock = new FakeClock();
      const storage = new MemoryQueueStorage<string>();
      let broken = true;
      const size = storage.size.bind(storage);
      storage.size = () => (broken ? Promise.reject(new Error('store down')) : size());
      const queue = queueForLater<string>({
        storage,
        clock,
        drainIntervalMs: 1_000,
        replay: () => undefined,
        name: 'mail',
      });
      await settle();
      await clock.advanceAsync(1_000);
      await clock.advanceAsync(1_000);
      expect(warnings.messages()).toEqual([
        expect.stringMatching(/^breakwater: automatic drain of "mail" failed: Error: store down/),
      ]);
      broken = false;
      await clock.advanceAsync(1_000);
      broken = true;
      await clock.advanceAsync(1_000);
      await clock.advanceAsync(1_000);
      expect(warnings.messages()).toHaveLength(2);
      queue.dispose();
    } finally {
      warnings.restore();
    }
  });

  it('queueForLater — options that are not an object, or a breaker without on(), are a TypeError', () => {
    for (const options of [undefined, 5, 'replay'])
      expect(() => queueForLater(options as never)).toThrow(
        new TypeError(
          `invalid queueForLater options: options must be an object with replay (got ${typeof options === 'string' ? '"replay"' : String(options)})`,
        ),
      );
    expect(() => queueForLater({ replay: () => undefined, breaker: { state: 'closed' } as never })).toThrow(
      new TypeError(
        'invalid queueForLater options: breaker must be a CircuitBreaker (or anything with on("stateChange")) (got {"state":"closed"})',
      ),
    );
  });

  it('queueForLater — without a breaker or drainIntervalMs nothing drains by itself', async () => {
    const clock = new FakeClock();
    const storage = new MemoryQueueStorage<string>();
    await storage.append({ payload: 'left over', attempts: 0, enqueuedAt: 0 }, 10);
    const delivered: string[] = [];
    queueForLater<string>({ storage, clock, replay: (m) => void delivered.push(m) });
    await settle();
    await clock.advanceAsync(60_000);
    expect(delivered).toEqual([]);
    expect(await storage.size()).toBe(1);
  });

  it('dispose — cancels the pending timer once, and calls the clock for nothing else', async () => {
    const clock = new FakeClock();
    const cleared: unknown[] = [];
    const recording = {
      now: () => clock.now(),
      setTimeout: (fn: () => void, ms: number) => clock.setTimeout(fn, ms),
      clearTimeout: (handle: TimerHandle) => {
        cleared.push(handle);
        clock.clearTimeout(handle);
      },
    };
    const queue = queueForLater<string>({
      clock: recording,
      drainIntervalMs: 1_000,
      replay: () => undefined,
    });
    expect(clock.pendingTimers).toBe(1);
    queue.dispose();
    queue.dispose();
    expect(cleared).toHaveLength(1);
    expect(clock.pendingTimers).toBe(0);
    queueForLater<string>({ clock: recording, replay: () => undefined }).dispose();
    expect(cleared).toHaveLength(1);
  });

  it('telemetry — an event about no stored request has no id', async () => {
    const telemetry = new Telemetry();
    const events: object[] = [];
    telemetry.subscribe((e) => events.push(e));
    const queue = queueForLater<string>({ telemetry, maxQueued: 1, replay: () => undefined, name: 'mail' });
    await queue.execute(down, { payload: 'a', receipt: 'r-1' });
    await queue.execute(down, { payload: 'b' }).catch(() => undefined);
    expect(events).toStrictEqual([
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'queued', id: 'r-1' },
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'refused' },
    ]);
  });

  it('drain — dead-lettering without onDeadLetter is no warning', async () => {
    const warnings = captureWarnings();
    try {
      const queue = queueForLater<string>({ maxAttempts: 1, replay: () => Promise.reject(new Error('no')) });
      await queue.execute(down, { payload: 'a' });
      expect(await queue.drain()).toMatchObject({ deadLettered: 1 });
      await settle();
      expect(warnings.messages()).toEqual([]);
    } finally {
      warnings.restore();
    }
  });

  it('telemetry — nothing is emitted while no one listens', async () => {
    const telemetry = new Telemetry();
    const emit = vi.spyOn(telemetry, 'emit');
    const queue = queueForLater<string>({ telemetry, maxQueued: 1, replay: () => undefined });
    await queue.execute(down, { payload: 'a' });
    await queue.execute(down, { payload: 'b' }).catch(() => undefined);
    await queue.drain();
    expect(emit).not.toHaveBeenCalled();
  });
});

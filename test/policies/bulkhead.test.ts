import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BulkheadFullError, CallTimeoutError, isBulkheadFullError } from '../../src/index.js';
import { bulkhead, timeout } from '../../src/policies/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

/** A function that stays pending until `release()`. */
function gate<T = string>(value: T) {
  let open!: () => void;
  const done = new Promise<void>((r) => (open = r));
  let started = false;
  return {
    fn: async () => {
      started = true;
      await done;
      return value;
    },
    release: () => open(),
    started: () => started,
  };
}

describe('bulkhead', () => {
  it('execute — runs up to maxConcurrent at once and rejects the rest when there is no queue', async () => {
    const pool = bulkhead({ maxConcurrent: 2, name: 'pool' });
    const a = gate('a');
    const b = gate('b');
    const pa = pool.execute(a.fn);
    const pb = pool.execute(b.fn);
    expect(pool.running).toBe(2);
    const error = await pool.execute(async () => 'c').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect(isBulkheadFullError(error)).toBe(true);
    expect(error).toMatchObject({ policy: 'pool', maxConcurrent: 2, maxQueue: 0 });
    a.release();
    b.release();
    expect(await Promise.all([pa, pb])).toEqual(['a', 'b']);
    expect(pool.running).toBe(0);
  });

  it('execute — queued calls start in FIFO order as slots free', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const order: string[] = [];
    const first = gate('first');
    const p0 = pool.execute(first.fn);
    const queued = ['q1', 'q2', 'q3'].map((name) =>
      pool.execute(async () => {
        order.push(name);
        return name;
      }),
    );
    expect(pool.queued).toBe(3);
    await expect(pool.execute(async () => 'x')).rejects.toBeInstanceOf(BulkheadFullError);
    first.release();
    await p0;
    expect(await Promise.all(queued)).toEqual(['q1', 'q2', 'q3']);
    expect(order).toEqual(['q1', 'q2', 'q3']);
  });

  it('execute — a caller abort answers at once, but the slot is freed only when the work really settles', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const controller = new AbortController();
    const work = gate('w');
    // The function ignores the signal: the work keeps running after the abort.
    const p = pool.execute(work.fn, { signal: controller.signal });
    let answer: unknown = 'pending';
    p.catch((error: unknown) => (answer = error));
    controller.abort('bye');
    await settle();
    expect(answer).toBe('bye');
    expect(work.started()).toBe(true);
    expect(pool.running).toBe(1);
    const next = gate('next');
    const pn = pool.execute(next.fn);
    await settle();
    expect(next.started()).toBe(false);
    work.release();
    await settle();
    expect(next.started()).toBe(true);
    next.release();
    await expect(pn).resolves.toBe('next');
  });

  it('execute — an aborted queued call leaves the queue at once with the reason', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 2 });
    const work = gate('w');
    const p = pool.execute(work.fn);
    const controller = new AbortController();
    let ran = false;
    const queued = pool.execute(
      async () => {
        ran = true;
      },
      { signal: controller.signal },
    );
    expect(pool.queued).toBe(1);
    controller.abort('changed my mind');
    await expect(queued).rejects.toBe('changed my mind');
    expect(pool.queued).toBe(0);
    work.release();
    await p;
    await settle();
    expect(ran).toBe(false);
  });

  it('execute — queueTimeout rejects a queued call with BulkheadFullError and leaves no timer', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 5, queueTimeout: 200, clock });
    const work = gate('w');
    const p = pool.execute(work.fn);
    const queued = pool.execute(async () => 'late').catch((e: unknown) => e);
    await clock.advanceAsync(199);
    expect(pool.queued).toBe(1);
    await clock.advanceAsync(1);
    const error = await queued;
    expect(error).toBeInstanceOf(BulkheadFullError);
    expect((error as Error).message).toMatch(/queue timeout/);
    expect(pool.queued).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    work.release();
    await p;
  });

  it('execute — a queued call that starts in time is not timed out later', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 200, clock });
    const work = gate('w');
    const p = pool.execute(work.fn);
    const second = gate('second');
    const queued = pool.execute(second.fn);
    await clock.advanceAsync(50);
    work.release();
    await p;
    await clock.advanceAsync(500);
    second.release();
    await expect(queued).resolves.toBe('second');
  });

  it('execute — a synchronous throw frees the slot', async () => {
    const pool = bulkhead({ maxConcurrent: 1 });
    await expect(
      pool.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    expect(pool.running).toBe(0);
    await expect(pool.execute(async () => 1)).resolves.toBe(1);
  });

  it('bulkhead — validates options together', () => {
    expect(() => bulkhead({ maxConcurrent: 0, maxQueue: -1, queueTimeout: 0 })).toThrow(
      /maxConcurrent.*maxQueue.*queueTimeout/,
    );
    expect(() => bulkhead(undefined as never)).toThrow(TypeError);
  });
});

describe('bulkhead — arguments, messages and listener hygiene', () => {
  it('execute and wrap — a non-function is refused with a TypeError naming the policy', async () => {
    const pool = bulkhead({ maxConcurrent: 1, name: 'pool' });
    await expect(pool.execute('x' as never)).rejects.toThrow(
      new TypeError('bulkhead "pool": execute(fn) needs a function'),
    );
    expect(() => pool.wrap(1 as never)).toThrow(new TypeError('bulkhead "pool": wrap(fn) needs a function'));
  });

  it('execute — a bad signal is refused with a TypeError naming the policy and the argument', async () => {
    await expect(
      bulkhead({ maxConcurrent: 1, name: 'pool' }).execute(async () => 1, { signal: 'stop' as never }),
    ).rejects.toThrow(
      new TypeError(
        'bulkhead "pool": execute(fn, { signal }): signal must be an AbortSignal or undefined (got "stop")',
      ),
    );
  });

  it('execute — an already aborted signal rejects with its reason and takes no slot', async () => {
    const pool = bulkhead({ maxConcurrent: 1 });
    let ran = false;
    await expect(
      pool.execute(
        async () => {
          ran = true;
        },
        { signal: AbortSignal.abort('no') },
      ),
    ).rejects.toBe('no');
    expect(ran).toBe(false);
    expect(pool.running).toBe(0);
  });

  it('bulkhead — missing options are refused by name', () => {
    expect(() => bulkhead(undefined as never)).toThrow(
      new TypeError('invalid bulkhead options: options must be an object with maxConcurrent (got undefined)'),
    );
  });

  it('execute — the queue timeout message states the wait', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 250, clock, name: 'pool' });
    const work = gate('w');
    const p = pool.execute(work.fn);
    const queued = pool.execute(async () => 'late').catch((e: unknown) => e);
    await clock.advanceAsync(250);
    expect(((await queued) as Error).message).toBe(
      'bulkhead "pool" queue timeout: no slot within 250 ms (1 running, queue 1)',
    );
    work.release();
    await p;
  });

  it('execute — the function gets the caller signal, or one that never aborts', async () => {
    const pool = bulkhead({ maxConcurrent: 1 });
    const controller = new AbortController();
    const seen: AbortSignal[] = [];
    await pool.execute(async ({ signal }) => void seen.push(signal), { signal: controller.signal });
    await pool.execute(async ({ signal }) => void seen.push(signal));
    expect(seen[0]).toBe(controller.signal);
    expect(seen[1]).toBeInstanceOf(AbortSignal);
    expect(seen[1]?.aborted).toBe(false);
  });

  it('execute — no listener is left on the caller signal once a running or queued call is done', async () => {
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const signal = new AbortController().signal;
    const work = gate('w');
    const running = pool.execute(work.fn, { signal });
    const queued = pool.execute(async () => 'q', { signal });
    expect(getEventListeners(signal, 'abort')).toHaveLength(2);
    work.release();
    expect(await Promise.all([running, queued])).toEqual(['w', 'q']);
    await settle();
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('execute — without queueTimeout a queued call holds no deadline: the shared clock is left with no timer', async () => {
    const clock = new FakeClock();
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, clock });
    const work = gate('w');
    const running = pool.execute(work.fn);
    const queued = pool.execute(async () => 'q');
    expect(clock.pendingTimers).toBe(0);
    // Another policy's deadline on the same clock comes and goes meanwhile.
    const slow = timeout(100, { clock })
      .execute(() => new Promise<never>(() => undefined))
      .catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await slow).toBeInstanceOf(CallTimeoutError);
    expect(clock.pendingTimers).toBe(0);
    work.release();
    expect(await Promise.all([running, queued])).toEqual(['w', 'q']);
    expect(clock.pendingTimers).toBe(0);
  });
});

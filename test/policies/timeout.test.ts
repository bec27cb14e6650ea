import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { CallTimeoutError, isCallTimeoutError, Telemetry, type TelemetryEvent } from '../../src/index.js';
import { timeout } from '../../src/policies/index.js';
import { FakeClock } from '../../src/testing/index.js';

const hang = ({ signal }: { signal: AbortSignal }) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('stopped'))));

describe('timeout', () => {
  it('execute — rejects with CallTimeoutError at the deadline and aborts the signal', async () => {
    const clock = new FakeClock();
    const policy = timeout(500, { clock, name: 'db' });
    let seen: unknown;
    const caught = policy
      .execute(({ signal }) => {
        signal.addEventListener('abort', () => (seen = signal.reason));
        return hang({ signal });
      })
      .catch((e: unknown) => e);
    await clock.advanceAsync(499);
    expect(seen).toBeUndefined();
    await clock.advanceAsync(1);
    const error = await caught;
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(isCallTimeoutError(error)).toBe(true);
    expect(error).toMatchObject({ policy: 'db', timeoutMs: 500 });
    expect(seen).toBe(error);
  });

  it('execute — rejects at the deadline even when the function ignores the signal; its late result is dropped', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const events: TelemetryEvent[] = [];
    telemetry.subscribe((e) => events.push(e));
    const policy = timeout(100, { clock, telemetry });
    let finish!: (v: string) => void;
    const first = policy.execute(() => new Promise<string>((r) => (finish = r)));
    const caught = first.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    const error = await caught;
    expect(error).toBeInstanceOf(CallTimeoutError);
    const next = policy.execute(() => new Promise<string>(() => undefined)).catch((e: unknown) => e);
    finish('late');
    await clock.advanceAsync(0);
    // Dropped: the timed-out call stays rejected, nothing more is reported, and the late value
    // does not answer the next call through the policy.
    await expect(first).rejects.toBe(error);
    expect(events.map((e) => e.type)).toEqual(['timeout']);
    await clock.advanceAsync(100);
    expect(await next).toBeInstanceOf(CallTimeoutError);
    expect(events.map((e) => e.type)).toEqual(['timeout', 'timeout']);
    expect(policy.armed).toBe(false);
  });

  it('execute — a late rejection after the deadline is never unhandled', async () => {
    const clock = new FakeClock();
    const policy = timeout(100, { clock });
    let fail!: (e: Error) => void;
    const caught = policy.execute(() => new Promise((_, r) => (fail = r))).catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await caught).toBeInstanceOf(CallTimeoutError);
    fail(new Error('late'));
    await clock.advanceAsync(0);
  });

  it('execute — a signal read only after the deadline is already aborted with the CallTimeoutError', async () => {
    const clock = new FakeClock();
    const policy = timeout(100, { clock });
    let context!: { signal: AbortSignal };
    const caught = policy
      .execute((ctx) => {
        context = ctx;
        return new Promise(() => undefined);
      })
      .catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(isCallTimeoutError(await caught)).toBe(true);
    expect(context.signal.aborted).toBe(true);
    expect(isCallTimeoutError(context.signal.reason)).toBe(true);
  });

  it('execute — resolves before the deadline with the result', async () => {
    const clock = new FakeClock();
    await expect(timeout(100, { clock }).execute(async () => 7)).resolves.toBe(7);
  });

  it('execute — many calls share one timer, and none is left after the deadline passes', async () => {
    const clock = new FakeClock();
    const policy = timeout(1_000, { clock });
    const results = Array.from({ length: 50 }, (_, i) => policy.execute(async () => i));
    expect(clock.pendingTimers).toBe(1);
    expect(await Promise.all(results)).toHaveLength(50);
    clock.advance(1_000);
    expect(clock.pendingTimers).toBe(0);
    expect(policy.armed).toBe(false);
  });

  it('execute — each call gets its own deadline', async () => {
    const clock = new FakeClock();
    const policy = timeout(100, { clock });
    const first = policy.execute(hang).catch((e: unknown) => e);
    await clock.advanceAsync(60);
    const second = policy.execute(hang).catch((e: unknown) => e);
    let secondDone = false;
    void second.then(() => (secondDone = true));
    await clock.advanceAsync(40);
    expect(await first).toBeInstanceOf(CallTimeoutError);
    expect(secondDone).toBe(false);
    await clock.advanceAsync(60);
    expect(await second).toBeInstanceOf(CallTimeoutError);
  });

  it('execute — the caller abort rejects at once with its reason and aborts the signal', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let inner: AbortSignal | undefined;
    const p = timeout(1_000, { clock }).execute(
      ({ signal }) => {
        inner = signal;
        return new Promise(() => undefined);
      },
      { signal: controller.signal },
    );
    controller.abort('cancelled');
    await expect(p).rejects.toBe('cancelled');
    expect(inner?.aborted).toBe(true);
  });

  it('timeout — validates ms and options', () => {
    expect(() => timeout(0)).toThrow(/ms must be/);
    expect(() => timeout(Number.NaN, { clock: {} as never })).toThrow(/ms must be.*clock must be/);
  });
});

describe('timeout — arguments and outcomes', () => {
  it('execute and wrap — a non-function is refused with a TypeError naming the policy', async () => {
    const policy = timeout(100, { name: 'db' });
    await expect(policy.execute('x' as never)).rejects.toThrow(
      new TypeError('timeout "db": execute(fn) needs a function'),
    );
    expect(() => policy.wrap(1 as never)).toThrow(new TypeError('timeout "db": wrap(fn) needs a function'));
  });

  it('execute — a bad signal is refused with a TypeError naming the policy and the argument', async () => {
    await expect(timeout(100, { name: 'db' }).execute(async () => 1, { signal: 5 as never })).rejects.toThrow(
      new TypeError(
        'timeout "db": execute(fn, { signal }): signal must be an AbortSignal or undefined (got 5)',
      ),
    );
  });

  it('execute — an already aborted signal rejects with its reason and never calls the function', async () => {
    const clock = new FakeClock();
    const policy = timeout(100, { clock });
    let ran = false;
    await expect(
      policy.execute(
        async () => {
          ran = true;
          return 1;
        },
        { signal: AbortSignal.abort('no') },
      ),
    ).rejects.toBe('no');
    expect(ran).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wrap — passes arguments and this, and gives each call its deadline', async () => {
    const clock = new FakeClock();
    const policy = timeout(100, { clock });
    const obj = {
      base: 40,
      add: policy.wrap(function (this: { base: number }, n: number) {
        return this.base + n;
      }),
      stall: policy.wrap(() => new Promise<never>(() => undefined)),
    };
    await expect(obj.add(2)).resolves.toBe(42);
    const stalled = obj.stall().catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await stalled).toBeInstanceOf(CallTimeoutError);
  });

  it('execute — an error before the deadline passes through as it is', async () => {
    const clock = new FakeClock();
    const policy = timeout(100, { clock });
    const error = new Error('refused');
    await expect(policy.execute(() => Promise.reject(error))).rejects.toBe(error);
    await expect(
      policy.execute(() => {
        throw error;
      }),
    ).rejects.toBe(error);
    await clock.advanceAsync(100);
    expect(policy.armed).toBe(false);
  });
});

describe('timeout — memory', () => {
  // Lets the test run the garbage collector (a flag of this process; the function comes from a new context).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  it('execute — a call that settles leaves the deadline queue at once: its result is not held until the deadline', async () => {
    const clock = new FakeClock();
    const policy = timeout(60_000, { clock });
    const probe = await (async () => {
      const result = { payload: new Array<number>(1_000).fill(1) };
      await policy.execute(async () => result);
      return new WeakRef(result);
    })();
    // A WeakRef's target lives at least until the current job ends: collect from a later task.
    for (let i = 0; i < 50 && probe.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
    }
    expect(probe.deref()).toBeUndefined();
    // The shared timer itself lapses only at the deadline.
    expect(policy.armed).toBe(true);
    clock.advance(60_000);
    expect(policy.armed).toBe(false);
  });
});

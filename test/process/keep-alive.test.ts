// Which timers keep the process alive (README, "Retry delays and injected latency keep the process
// alive"): a wait the caller awaits as its work does; a timer that only guards work never does.
import { describe, expect, it } from 'vitest';
import {
  bulkhead,
  CircuitBreaker,
  type Clock,
  constant,
  queueForLater,
  retry,
  systemClock,
  type TimerOptions,
  timeout,
} from '../../src/index.js';
import { latency } from '../../src/chaos/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** A fake clock that records, for each timer started, whether it asked to keep the process alive. */
function recordingClock(): {
  clock: Clock & { advanceAsync(ms: number): Promise<number> };
  keepAlive: boolean[];
} {
  const inner = new FakeClock();
  const keepAlive: boolean[] = [];
  const clock = {
    now: () => inner.now(),
    setTimeout: (fn: () => void, ms: number, options?: TimerOptions) => {
      keepAlive.push(options?.keepAlive === true);
      return inner.setTimeout(fn, ms);
    },
    clearTimeout: (handle: unknown) => inner.clearTimeout(handle),
    advanceAsync: (ms: number) => inner.advanceAsync(ms),
  };
  return { clock, keepAlive };
}

describe('timers and the process lifetime', () => {
  it('systemClock — a timer is unref’d unless keepAlive is asked for', () => {
    const guard = systemClock.setTimeout(() => undefined, 60_000) as NodeJS.Timeout;
    const work = systemClock.setTimeout(() => undefined, 60_000, { keepAlive: true }) as NodeJS.Timeout;
    try {
      expect(guard.hasRef()).toBe(false);
      expect(work.hasRef()).toBe(true);
    } finally {
      systemClock.clearTimeout(guard);
      systemClock.clearTimeout(work);
    }
  });

  it('retry — the backoff delay keeps the process alive', async () => {
    const { clock, keepAlive } = recordingClock();
    let attempts = 0;
    const call = retry({ maxAttempts: 2, backoff: constant(100), clock }).execute(async () => {
      if (++attempts === 1) throw new Error('once');
      return 'ok';
    });
    await clock.advanceAsync(100);
    expect(await call).toBe('ok');
    expect(keepAlive).toEqual([true]);
  });

  it('latency (chaos) — the injected delay keeps the process alive', async () => {
    const { clock, keepAlive } = recordingClock();
    const call = latency({ ms: 50, clock }).execute(async () => 'late');
    await clock.advanceAsync(50);
    expect(await call).toBe('late');
    expect(keepAlive).toEqual([true]);
  });

  it('breaker call deadline — never keeps it alive', async () => {
    const { clock, keepAlive } = recordingClock();
    const breaker = new CircuitBreaker({ clock, timeout: 1_000 });
    const guarded = breaker.execute(() => new Promise<never>(() => undefined)).catch((e: unknown) => e);
    await clock.advanceAsync(1_000);
    expect(await guarded).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(keepAlive).toEqual([false]);
  });

  it('timeout policy deadline — never keeps it alive', async () => {
    const { clock, keepAlive } = recordingClock();
    const deadline = timeout(1_000, { clock })
      .execute(() => new Promise<never>(() => undefined))
      .catch((e: unknown) => e);
    await clock.advanceAsync(1_000);
    expect(await deadline).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    expect(keepAlive).toEqual([false]);
  });

  it('bulkhead queue timeout — never keeps it alive', async () => {
    const { clock, keepAlive } = recordingClock();
    const gate = bulkhead({ maxConcurrent: 1, maxQueue: 1, queueTimeout: 1_000, clock });
    let finish!: () => void;
    const running = gate.execute(() => new Promise<void>((resolve) => (finish = resolve)));
    const queued = gate.execute(async () => 'never').catch((e: unknown) => e);
    await clock.advanceAsync(1_000);
    expect(await queued).toMatchObject({ code: 'ERR_BULKHEAD_FULL' });
    finish();
    await running;
    expect(keepAlive).toEqual([false]);
  });

  it('queueForLater drain interval — never keeps it alive', async () => {
    const { clock, keepAlive } = recordingClock();
    const queue = queueForLater<number>({ replay: () => undefined, clock, drainIntervalMs: 1_000 });
    await clock.advanceAsync(2_500);
    queue.dispose();
    expect(keepAlive.length).toBeGreaterThanOrEqual(2); // re-armed after each drain
    expect(keepAlive.every((k) => !k)).toBe(true);
  });
});

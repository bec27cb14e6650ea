import { describe, expect, it, vi } from 'vitest';
import {
  BulkheadFullError,
  CallTimeoutError,
  QueueFullError,
  Telemetry,
  bulkhead,
  constant,
  fallback,
  queueForLater,
  retry,
  staleCache,
  timeout,
  type TelemetryEvent,
} from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

function recorder(): { telemetry: Telemetry; events: TelemetryEvent[] } {
  const telemetry = new Telemetry();
  const events: TelemetryEvent[] = [];
  telemetry.subscribe((e) => events.push(e));
  return { telemetry, events };
}

describe('policies report into a telemetry stream', () => {
  it('retry — each retry is reported with its attempt and delay', async () => {
    const { telemetry, events } = recorder();
    const clock = new FakeClock();
    let calls = 0;
    const policy = retry({
      maxAttempts: 3,
      backoff: constant(10),
      clock,
      telemetry,
      name: 'inventory-retry',
    });
    const done = policy.execute(async () => {
      if (++calls < 3) throw new Error('not yet');
      return 'ok';
    });
    await clock.advanceAsync(10);
    await clock.advanceAsync(10);
    expect(await done).toBe('ok');
    expect(events).toEqual([
      { type: 'retry', policy: 'inventory-retry', kind: 'retry', attempt: 1, delayMs: 10 },
      { type: 'retry', policy: 'inventory-retry', kind: 'retry', attempt: 2, delayMs: 10 },
    ]);
  });

  it('bulkhead — queueing, dequeueing and rejections are reported', async () => {
    const { telemetry, events } = recorder();
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, telemetry, name: 'render' });
    let release!: () => void;
    const first = pool.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const second = pool.execute(async () => 'second');
    const third = pool.execute(async () => 'third').catch((e: unknown) => e);
    expect(await third).toBeInstanceOf(BulkheadFullError);
    release();
    await first;
    expect(await second).toBe('second');
    expect(events.map((e) => (e.type === 'bulkhead' ? e.action : e.type))).toEqual([
      'queued',
      'rejected',
      'dequeued',
    ]);
  });

  it('bulkhead — each event names the policy and the counts at that moment; a queue timeout is a rejection', async () => {
    const { telemetry, events } = recorder();
    const clock = new FakeClock();
    const pool = bulkhead({
      maxConcurrent: 1,
      maxQueue: 2,
      queueTimeout: 50,
      clock,
      telemetry,
      name: 'render',
    });
    let release!: () => void;
    const first = pool.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const second = pool.execute(async () => 'second').catch((e: unknown) => e);
    const late = pool.execute(async () => 'late').catch((e: unknown) => e);
    await clock.advanceAsync(50);
    expect(await late).toBeInstanceOf(BulkheadFullError);
    expect(await second).toBeInstanceOf(BulkheadFullError);
    release();
    await first;
    const base = { type: 'bulkhead', policy: 'render', kind: 'bulkhead' };
    expect(events).toEqual([
      { ...base, action: 'queued', running: 1, queued: 0 },
      { ...base, action: 'queued', running: 1, queued: 1 },
      { ...base, action: 'rejected', running: 1, queued: 1 },
      { ...base, action: 'rejected', running: 1, queued: 0 },
    ]);
    events.length = 0;
    const third = pool.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const fourth = pool.execute(async () => 'fourth');
    release();
    await third;
    expect(await fourth).toBe('fourth');
    expect(events).toEqual([
      { ...base, action: 'queued', running: 1, queued: 0 },
      { ...base, action: 'dequeued', running: 0, queued: 0 },
    ]);
  });

  it('fallback — each answer is reported; no event when the call succeeds', async () => {
    const { telemetry, events } = recorder();
    const policy = fallback('default', { telemetry, name: 'price-fallback' });
    expect(await policy.execute(async () => 'live')).toBe('live');
    expect(await policy.execute(() => Promise.reject(new Error('down')))).toBe('default');
    expect(events).toEqual([{ type: 'fallback', policy: 'price-fallback', kind: 'fallback' }]);
  });

  it('timeout — a timed-out call is reported with its timeout; a call in time is not', async () => {
    const { telemetry, events } = recorder();
    const clock = new FakeClock();
    const policy = timeout(100, { clock, telemetry, name: 'db' });
    expect(await policy.execute(async () => 'fast')).toBe('fast');
    const slow = policy.execute(() => new Promise<never>(() => undefined)).catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(await slow).toBeInstanceOf(CallTimeoutError);
    expect(events).toEqual([{ type: 'timeout', policy: 'db', kind: 'timeout', timeoutMs: 100 }]);
  });

  it('staleCache — every answer is reported: fresh, stale, and miss when nothing can answer', async () => {
    const { telemetry, events } = recorder();
    const clock = new FakeClock();
    const cache = staleCache({ ttl: 1_000, clock, telemetry, name: 'prices' });
    const down = () => Promise.reject(new Error('down'));
    expect(await cache.execute(async () => 1, { key: 'a' })).toBe(1);
    expect(await cache.execute(down, { key: 'a' })).toBe(1);
    await expect(cache.execute(down, { key: 'b' })).rejects.toThrow('down');
    clock.advance(1_000);
    await expect(cache.execute(down, { key: 'a' })).rejects.toThrow('down'); // past its ttl
    expect(events.map((e) => (e.type === 'cache' ? e.result : e.type))).toEqual([
      'fresh',
      'stale',
      'miss',
      'miss',
    ]);
    expect(events[1]).toEqual({ type: 'cache', policy: 'prices', kind: 'staleCache', result: 'stale' });
  });

  it('staleCache — an error `when` refuses is a miss; a caller abort is not reported', async () => {
    const { telemetry, events } = recorder();
    const cache = staleCache({ ttl: 1_000, telemetry, when: (e) => e !== 'fatal' });
    await cache.execute(async () => 1, { key: 'a' });
    await expect(cache.execute(() => Promise.reject('fatal'), { key: 'a' })).rejects.toBe('fatal');
    const controller = new AbortController();
    controller.abort('gone');
    await expect(
      cache.execute(() => Promise.reject('aborted'), { key: 'a', signal: controller.signal }),
    ).rejects.toBe('aborted');
    expect(events.map((e) => (e.type === 'cache' ? e.result : e.type))).toEqual(['fresh', 'miss']);
  });

  it('queueForLater — queued, dropped, replayed, replay-failed and dead-lettered are reported with the id', async () => {
    const { telemetry, events } = recorder();
    let failing = new Set(['b']);
    const outbox = queueForLater<string>({
      replay: (payload) => (failing.has(payload) ? Promise.reject(new Error('still down')) : undefined),
      maxQueued: 2,
      maxAttempts: 2,
      telemetry,
      name: 'mail',
    });
    const down = () => Promise.reject(new Error('down'));
    const a = await outbox.execute(down, { payload: 'a' });
    const b = await outbox.execute(down, { payload: 'b' });
    await expect(outbox.execute(down, { payload: 'c' })).rejects.toBeInstanceOf(QueueFullError);
    await outbox.drain(); // a replayed, b fails once
    await outbox.drain(); // b fails again: dead-lettered
    failing = new Set();
    const ids = [a, b].map((r) => (r as { id: string }).id);
    expect(events).toEqual([
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'queued', id: ids[0] },
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'queued', id: ids[1] },
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'refused' },
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'replayed', id: ids[0] },
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'replay-failed', id: ids[1] },
      { type: 'queue', policy: 'mail', kind: 'queueForLater', action: 'dead-lettered', id: ids[1] },
    ]);
  });

  it('telemetry — with nobody subscribed, no policy builds or emits an event', async () => {
    const telemetry = new Telemetry();
    const emit = vi.spyOn(telemetry, 'emit');
    const clock = new FakeClock();
    const down = () => Promise.reject(new Error('down'));
    const slow = timeout(10, { clock, telemetry })
      .execute(() => new Promise<never>(() => undefined))
      .catch(() => 0);
    await clock.advanceAsync(10);
    await slow;
    const cache = staleCache({ ttl: 1_000, telemetry });
    await cache.execute(async () => 1, { key: 'a' });
    await cache.execute(down, { key: 'a' });
    await cache.execute(down, { key: 'b' }).catch(() => 0);
    const outbox = queueForLater<string>({ replay: () => undefined, maxQueued: 1, telemetry });
    await outbox.execute(down, { payload: 'a' });
    await outbox.execute(down, { payload: 'b' }).catch(() => 0);
    await outbox.drain();
    const again = retry({ maxAttempts: 2, backoff: constant(0), telemetry });
    await again.execute(down).catch(() => 0);
    const pool = bulkhead({ maxConcurrent: 1, maxQueue: 1, telemetry });
    let release!: () => void;
    const busy = pool.execute(() => new Promise<void>((resolve) => (release = resolve)));
    const waiting = pool.execute(async () => 1);
    await pool.execute(async () => 2).catch(() => 0);
    release();
    await Promise.all([busy, waiting]);
    expect(emit).not.toHaveBeenCalled();
  });

  it('options — a telemetry option that is not a Telemetry stream is refused by name', () => {
    expect(() => retry({ telemetry: {} as unknown as Telemetry })).toThrow(
      /telemetry must be a Telemetry stream/,
    );
    expect(() => bulkhead({ maxConcurrent: 1, telemetry: 1 as unknown as Telemetry })).toThrow(/telemetry/);
    expect(() => fallback(1, { telemetry: 'x' as unknown as Telemetry })).toThrow(/telemetry/);
    const bad = { telemetry: {} as unknown as Telemetry };
    expect(() => timeout(1, bad)).toThrow(/telemetry must be a Telemetry stream/);
    expect(() => staleCache({ ttl: 1, ...bad })).toThrow(/telemetry must be a Telemetry stream/);
    expect(() => queueForLater({ replay: () => 0, ...bad })).toThrow(/telemetry must be a Telemetry stream/);
  });
});

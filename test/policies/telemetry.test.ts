import { describe, expect, it } from 'vitest';
import {
  BulkheadFullError,
  Telemetry,
  bulkhead,
  constant,
  fallback,
  retry,
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

  it('fallback — each answer is reported; no event when the call succeeds', async () => {
    const { telemetry, events } = recorder();
    const policy = fallback('default', { telemetry, name: 'price-fallback' });
    expect(await policy.execute(async () => 'live')).toBe('live');
    expect(await policy.execute(() => Promise.reject(new Error('down')))).toBe('default');
    expect(events).toEqual([{ type: 'fallback', policy: 'price-fallback', kind: 'fallback' }]);
  });

  it('options — a telemetry option that is not a Telemetry stream is refused by name', () => {
    expect(() => retry({ telemetry: {} as unknown as Telemetry })).toThrow(
      /telemetry must be a Telemetry stream/,
    );
    expect(() => bulkhead({ maxConcurrent: 1, telemetry: 1 as unknown as Telemetry })).toThrow(/telemetry/);
    expect(() => fallback(1, { telemetry: 'x' as unknown as Telemetry })).toThrow(/telemetry/);
  });
});

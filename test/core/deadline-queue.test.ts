// DeadlineQueue: many call deadlines on one timer, which lapses when nothing is left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeadlineQueue, type Expiring } from '../../src/core/deadline-queue.js';
import { FakeClock } from '../../src/testing/index.js';

function entry(deadline: number, log: string[], name: string): Expiring {
  return {
    deadline,
    prev: undefined,
    next: undefined,
    expire: () => log.push(`${name}@${String(deadline)}`),
  };
}

describe('DeadlineQueue', () => {
  it('push — many entries share one timer and expire in order at their deadlines', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    for (const [i, at] of [100, 150, 150, 300].entries()) queue.push(entry(at, log, String(i)));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(149);
    expect(log).toEqual(['0@100']);
    clock.advance(1);
    expect(log).toEqual(['0@100', '1@150', '2@150']);
    clock.advance(150);
    expect(log).toEqual(['0@100', '1@150', '2@150', '3@300']);
    expect(queue.armed).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('remove — a removed entry never expires; the timer lapses once it fires with nothing due', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const a = entry(100, log, 'a');
    const b = entry(200, log, 'b');
    const c = entry(300, log, 'c');
    queue.push(a);
    queue.push(b);
    queue.push(c);
    queue.remove(b);
    queue.remove(b); // twice is harmless
    queue.remove(a);
    clock.advance(100); // fires for a, re-arms for c
    expect(log).toEqual([]);
    expect(queue.armed).toBe(true);
    queue.remove(c);
    clock.advance(1_000);
    expect(log).toEqual([]);
    expect(queue.armed).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('push — after the queue drained, a new entry arms a new timer', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    queue.push(entry(10, log, 'a'));
    clock.advance(10);
    expect(queue.armed).toBe(false);
    queue.push(entry(50, log, 'b'));
    expect(queue.armed).toBe(true);
    clock.advance(40);
    expect(log).toEqual(['a@10', 'b@50']);
  });

  it('remove — an entry that was never queued is ignored', () => {
    const queue = new DeadlineQueue(new FakeClock());
    const log: string[] = [];
    const queued = entry(10, log, 'q');
    queue.push(queued);
    queue.remove(entry(5, log, 'stranger'));
    expect(queue.armed).toBe(true);
  });
});

describe('DeadlineQueue — one alarm per clock', () => {
  it('push — queues on one clock share a single timer, which the earliest wake time sets', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const slow = new DeadlineQueue(clock);
    const fast = new DeadlineQueue(clock);
    slow.push(entry(1_000, log, 'slow'));
    fast.push(entry(100, log, 'fast')); // earlier than the armed time: the one timer moves
    expect(clock.pendingTimers).toBe(1);
    clock.advance(100);
    expect(log).toEqual(['fast@100']);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(900);
    expect(log).toEqual(['fast@100', 'slow@1000']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wake — an entry queued while others expire is woken at its own deadline, with one timer', () => {
    const clock = new FakeClock();
    const log: string[] = [];
    const a = new DeadlineQueue(clock);
    const b = new DeadlineQueue(clock);
    a.push({
      deadline: 10,
      prev: undefined,
      next: undefined,
      expire: () => {
        log.push('a@10');
        b.push(entry(25, log, 'b')); // scheduled from inside the alarm
        a.push(entry(40, log, 'a2'));
      },
    });
    clock.advance(10);
    expect(clock.pendingTimers).toBe(1);
    clock.advance(15);
    expect(log).toEqual(['a@10', 'b@25']);
    clock.advance(15);
    expect(log).toEqual(['a@10', 'b@25', 'a2@40']);
    expect(clock.pendingTimers).toBe(0);
  });

  it('wake — every entry of many queues expires exactly at its deadline (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ queue: fc.nat(7), start: fc.nat(500), timeout: fc.integer({ min: 1, max: 300 }) }),
          { minLength: 1, maxLength: 60 },
        ),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 30 }),
        (calls, steps) => {
          const clock = new FakeClock();
          const queues = Array.from({ length: 8 }, () => new DeadlineQueue(clock));
          const fired: { at: number; deadline: number }[] = [];
          // Each queue's entries share one timeout (as a breaker's calls do), in start order.
          const timeoutOf = new Map<number, number>();
          const sorted = [...calls].sort((x, y) => x.start - y.start);
          let expected = 0;
          let i = 0;
          const pushDue = (): void => {
            while (i < sorted.length && (sorted[i]?.start ?? Infinity) <= clock.now()) {
              const c = sorted[i++];
              if (c === undefined) break;
              const timeout = timeoutOf.get(c.queue) ?? c.timeout;
              timeoutOf.set(c.queue, timeout);
              const deadline = clock.now() + timeout;
              expected++;
              queues[c.queue]?.push({
                deadline,
                prev: undefined,
                next: undefined,
                expire: () => fired.push({ at: clock.now(), deadline }),
              });
            }
          };
          pushDue();
          for (let s = 0; i < sorted.length || clock.pendingTimers > 0; s++) {
            const next = Math.min(steps[s % steps.length] ?? 1, (sorted[i]?.start ?? Infinity) - clock.now());
            clock.advance(Math.max(0, next));
            pushDue();
            expect(clock.pendingTimers).toBeLessThanOrEqual(1);
          }
          expect(fired).toHaveLength(expected);
          for (const f of fired) expect(f.at).toBe(f.deadline);
        },
      ),
      { numRuns: 200 },
    );
  });
});

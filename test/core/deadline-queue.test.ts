// DeadlineQueue: many call deadlines on one timer, which lapses when nothing is left.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../src/core/clock.js';
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

/** A clock whose timers fire only when the test says, at whatever time it says. */
class ManualClock implements Clock {
  time = 0;
  readonly timers = new Map<number, { fn: () => void; ms: number }>();
  readonly log: string[] = [];
  #nextId = 1;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.timers.set(id, { fn, ms });
    this.log.push(`set ${String(id)} +${String(ms)}`);
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.log.push(`clear ${String(handle)}`);
    this.timers.delete(handle as number);
  }

  /** Fires the one pending timer with the time set to `at`. */
  fireAt(at: number): void {
    const [entry, ...others] = this.timers;
    if (entry === undefined || others.length > 0) throw new Error('expected exactly one pending timer');
    this.timers.delete(entry[0]);
    this.time = at;
    entry[1].fn();
  }
}

describe('DeadlineQueue — waking while entries are pushed', () => {
  it('wake — an entry pushed while others expire does not delay the entries still queued', () => {
    const clock = new ManualClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    // As in a breaker whose timed-out call's fallback starts a new call: same timeout, later deadline.
    queue.push({
      deadline: 100,
      prev: undefined,
      next: undefined,
      expire: () => {
        log.push(`a@${String(clock.now())}`);
        queue.push(entry(200, log, 'c'));
      },
    });
    queue.push(entry(105, log, 'b'));
    clock.fireAt(100);
    expect(log).toEqual(['a@100']);
    expect(queue.wakeAt).toBe(105);
    clock.fireAt(105);
    expect(log).toEqual(['a@100', 'b@105']);
    expect(queue.wakeAt).toBe(200);
    clock.fireAt(200);
    expect(log).toEqual(['a@100', 'b@105', 'c@200']);
    expect(queue.armed).toBe(false);
    // One timer at a time, each for the next deadline; none left.
    expect(clock.log).toEqual(['set 1 +100', 'set 2 +5', 'set 3 +95']);
    expect(clock.timers.size).toBe(0);
  });

  it('wake — an entry whose expiry throws leaves the queue scheduled for the next', () => {
    const clock = new FakeClock();
    const queue = new DeadlineQueue(clock);
    const log: string[] = [];
    const failure = new Error('expire failed');
    queue.push({
      deadline: 10,
      prev: undefined,
      next: undefined,
      expire: () => {
        throw failure;
      },
    });
    queue.push(entry(20, log, 'b'));
    expect(() => clock.advance(10)).toThrow(failure);
    expect(queue.wakeAt).toBe(20);
    clock.advance(10);
    expect(log).toEqual(['b@20']);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('DeadlineQueue — one alarm per clock', () => {
  it('schedule — a queue due at or after the armed time keeps the timer; an earlier one replaces it', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const [a, b, c] = [new DeadlineQueue(clock), new DeadlineQueue(clock), new DeadlineQueue(clock)];
    a.push(entry(100, log, 'a'));
    expect(clock.log).toEqual(['set 1 +100']); // nothing to cancel yet
    b.push(entry(100, log, 'b'));
    b.push(entry(150, log, 'b2'));
    expect(clock.log).toEqual(['set 1 +100']);
    c.push(entry(40, log, 'c'));
    expect(clock.log).toEqual(['set 1 +100', 'clear 1', 'set 2 +40']);
    clock.fireAt(40);
    expect(log).toEqual(['c@40']);
    expect(clock.log).toEqual(['set 1 +100', 'clear 1', 'set 2 +40', 'set 3 +60']);
  });

  it('wake — a timer that fires early or late wakes what is due by the later of its time and now', () => {
    const clock = new ManualClock();
    const log: string[] = [];
    const queue = new DeadlineQueue(clock);
    queue.push(entry(100, log, 'a'));
    queue.push(entry(103, log, 'b'));
    queue.push(entry(110, log, 'c'));
    clock.fireAt(99); // one ms early: what was due at the armed time wakes anyway
    expect(log).toEqual(['a@100']);
    expect(clock.log).toEqual(['set 1 +100', 'set 2 +4']);
    clock.fireAt(105); // late: everything due by now wakes
    expect(log).toEqual(['a@100', 'b@103']);
    expect(clock.log).toEqual(['set 1 +100', 'set 2 +4', 'set 3 +5']);
    clock.fireAt(110);
    expect(log).toEqual(['a@100', 'b@103', 'c@110']);
    expect(clock.timers.size).toBe(0);
  });

  it('wake — queues due at the same instant wake in the same order on every run', () => {
    // The order is the heap's: with two queues the first scheduled; after an earlier queue left
    // the top, the last one in the heap.
    const orderOf = (schedule: [string, number][]): string[] => {
      const clock = new FakeClock();
      const log: string[] = [];
      for (const [name, at] of schedule) new DeadlineQueue(clock).push(entry(at, log, name));
      clock.advance(1_000);
      return log;
    };
    expect(
      orderOf([
        ['a', 20],
        ['b', 20],
      ]),
    ).toEqual(['a@20', 'b@20']);
    expect(
      orderOf([
        ['r', 10],
        ['a', 20],
        ['b', 20],
      ]),
    ).toEqual(['r@10', 'b@20', 'a@20']);
    expect(
      orderOf([
        ['r', 10],
        ['a', 20],
        ['b', 20],
        ['c', 30],
      ]),
    ).toEqual(['r@10', 'a@20', 'b@20', 'c@30']);
  });

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

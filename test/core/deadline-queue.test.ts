// DeadlineQueue: many call deadlines on one timer, which lapses when nothing is left.
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

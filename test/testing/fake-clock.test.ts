// FakeClock and EventRecorder: the test helpers hold their own contracts.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index.js';
import { EventRecorder, FakeClock, seededRandom, settle } from '../../src/testing/index.js';

describe('FakeClock', () => {
  it('now — starts at the given time and moves only when advanced', () => {
    const clock = new FakeClock(1_000);
    expect(clock.now()).toBe(1_000);
    expect(clock.now()).toBe(1_000);
    clock.advance(250);
    expect(clock.now()).toBe(1_250);
  });

  it('advance — fires due timers in due order, each at its own time, and returns how many fired', () => {
    const clock = new FakeClock();
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(['c', clock.now()]), 300);
    clock.setTimeout(() => fired.push(['a', clock.now()]), 100);
    clock.setTimeout(() => fired.push(['b', clock.now()]), 200);
    expect(clock.advance(250)).toBe(2);
    expect(fired).toEqual([
      ['a', 100],
      ['b', 200],
    ]);
    expect(clock.now()).toBe(250);
    expect(clock.pendingTimers).toBe(1);
  });

  it('advance — ties fire in insertion order', () => {
    const clock = new FakeClock();
    const order: number[] = [];
    for (const i of [1, 2, 3, 4]) clock.setTimeout(() => order.push(i), i % 2 === 0 ? 50 : 100);
    clock.setTimeout(() => order.push(5), 50);
    clock.advance(100);
    expect(order).toEqual([2, 4, 5, 1, 3]);
  });

  it('advance — a timer set by a firing timer fires in the same advance when due', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.now());
      clock.setTimeout(() => at.push(clock.now()), 30);
      clock.setTimeout(() => at.push(clock.now()), 0);
    }, 10);
    clock.advance(39);
    expect(at).toEqual([10, 10]);
    clock.advance(1);
    expect(at).toEqual([10, 10, 40]);
  });

  it('advance — a timer exactly due at the target fires; a negative or NaN step is refused', () => {
    const clock = new FakeClock();
    let fired = false;
    clock.setTimeout(() => (fired = true), 100);
    clock.advance(100);
    expect(fired).toBe(true);
    expect(() => clock.advance(-1)).toThrow(RangeError);
    expect(() => clock.advance(NaN)).toThrow(RangeError);
  });

  it('setTimeout — a negative, NaN or zero delay fires at the next advance', () => {
    const clock = new FakeClock();
    let count = 0;
    for (const ms of [-5, NaN, 0]) clock.setTimeout(() => count++, ms);
    clock.advance(0);
    expect(count).toBe(3);
  });

  it('clearTimeout — cancels a timer; unknown handles are ignored', () => {
    const clock = new FakeClock();
    let fired = false;
    const handle = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(handle);
    clock.clearTimeout('nope');
    clock.advance(100);
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  it('advanceAsync — lets promise callbacks run after each timer', async () => {
    const clock = new FakeClock();
    const log: string[] = [];
    clock.setTimeout(() => {
      log.push('timer 1');
      void Promise.resolve().then(() => log.push('after 1'));
    }, 10);
    clock.setTimeout(() => log.push('timer 2'), 20);
    expect(await clock.advanceAsync(20)).toBe(2);
    expect(log).toEqual(['timer 1', 'after 1', 'timer 2']);
    await expect(clock.advanceAsync(-1)).rejects.toThrow(RangeError);
  });

  it('runAll — fires every pending timer and those they set, moving time to each', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    clock.setTimeout(() => {
      at.push(clock.now());
      clock.setTimeout(() => at.push(clock.now()), 500);
    }, 100);
    expect(clock.runAll()).toBe(2);
    expect(at).toEqual([100, 600]);
    expect(clock.now()).toBe(600);
  });

  it('runAll — stops a timer that keeps re-arming itself', () => {
    const clock = new FakeClock();
    const again = (): void => void clock.setTimeout(again, 1);
    again();
    expect(() => clock.runAll(50)).toThrow(/more than 50 timers/);
  });

  it('constructor — refuses a non-finite start', () => {
    expect(() => new FakeClock(Infinity)).toThrow(RangeError);
  });

  it('settle — resolves after pending promise callbacks ran', async () => {
    let ran = false;
    void Promise.resolve().then(() => (ran = true));
    await settle();
    expect(ran).toBe(true);
  });
});

describe('seededRandom', () => {
  it('seededRandom — the same seed gives the same sequence, in [0, 1)', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    const xs = Array.from({ length: 100 }, () => a());
    expect(Array.from({ length: 100 }, () => b())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(100);
    expect(seededRandom(8)()).not.toBe(xs[0]);
    expect(() => seededRandom(NaN)).toThrow(RangeError);
  });
});

describe('EventRecorder', () => {
  it('EventRecorder — records events in order, filters by type, and stops on dispose', async () => {
    const breaker = new CircuitBreaker({ clock: new FakeClock(), failureThreshold: 1 });
    const recorder = new EventRecorder(breaker);
    await breaker.execute(() => 1);
    await breaker.execute(() => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(recorder.types()).toEqual(['success', 'failure', 'stateChange']);
    expect(recorder.transitions()).toEqual(['closed->open']);
    expect(recorder.of('success')).toHaveLength(1);
    recorder[Symbol.dispose]();
    breaker.reset();
    expect(recorder.events).toHaveLength(3);
  });
});

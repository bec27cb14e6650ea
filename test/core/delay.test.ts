// delay(): the wait under retry backoff. What it leaves on the caller's signal and which timer
// it asks the clock for.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { Clock, TimerOptions } from '../../src/core/clock.js';
import { delay } from '../../src/core/delay.js';
import { FakeClock, settle } from '../../src/testing/fake-clock.js';

const listeners = (signal: AbortSignal) => getEventListeners(signal, 'abort').length;

describe('delay', () => {
  it('resolves after the time on the clock, and leaves no listener on the signal', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    let done = false;
    const wait = delay(clock, 100, controller.signal).then(() => (done = true));
    expect(listeners(controller.signal)).toBe(1);
    clock.advance(99);
    await settle();
    expect(done).toBe(false);
    clock.advance(1);
    await wait;
    expect(listeners(controller.signal)).toBe(0);
  });

  it('an abort rejects with the reason at once, clears the timer and leaves no listener', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const wait = delay(clock, 100, controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(wait).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
    expect(listeners(controller.signal)).toBe(0);
  });

  it('an already aborted signal rejects at once and starts no timer', async () => {
    const clock = new FakeClock();
    const reason = new Error('gone');
    await expect(delay(clock, 100, AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(clock.pendingTimers).toBe(0);
  });

  it('asks for a timer that keeps the process alive: the wait is the caller’s awaited work', () => {
    const asked: (TimerOptions | undefined)[] = [];
    const clock: Clock = {
      now: () => 0,
      setTimeout: (_fn, _ms, options) => (asked.push(options), 1),
      clearTimeout: () => undefined,
    };
    void delay(clock, 5, undefined);
    expect(asked).toEqual([{ keepAlive: true }]);
  });
});

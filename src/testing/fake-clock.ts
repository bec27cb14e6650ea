import type { Clock, TimerHandle } from '../core/clock.js';

interface FakeTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that moves only when told to. `advance(ms)` moves time forward and fires every timer
 * that falls due, in due order (ties in the order they were set), each at its own due time.
 *
 * @example
 * const clock = new FakeClock();
 * const breaker = new CircuitBreaker({ clock, recoveryTimeout: 1_000 });
 * // ... make it open ...
 * clock.advance(1_000);
 * breaker.state; // 'half-open'
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];

  constructor(start = 0) {
    if (!Number.isFinite(start))
      throw new RangeError(`FakeClock: start must be a finite number (got ${String(start)})`);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    if (typeof fn !== 'function') throw new TypeError('FakeClock.setTimeout: fn must be a function');
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = { id: this.#nextId++, at: this.#now + delay, fn };
    // Keep the list sorted by due time; equal times keep insertion order.
    let i = this.#timers.length;
    while (i > 0 && (this.#timers[i - 1]?.at ?? 0) > timer.at) i--;
    this.#timers.splice(i, 0, timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, firing due timers in order; returns how many fired. */
  advance(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`FakeClock.advance: ms must be a finite number >= 0 (got ${String(ms)})`);
    const target = this.#now + ms;
    let fired = 0;
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      fired++;
    }
    this.#now = target;
    return fired;
  }

  /**
   * Like `advance`, but lets promise callbacks run after each timer fires and at the end, so the
   * effects of a timeout (rejections, fallbacks, events) are visible when it returns.
   */
  async advanceAsync(ms: number): Promise<number> {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`FakeClock.advanceAsync: ms must be a finite number >= 0 (got ${String(ms)})`);
    const target = this.#now + ms;
    let fired = 0;
    await settle();
    for (;;) {
      const next = this.#timers[0];
      if (next === undefined || next.at > target) break;
      this.#timers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      fired++;
      await settle();
    }
    this.#now = target;
    await settle();
    return fired;
  }

  /** Fires every pending timer (and any they set), moving time to each. Throws after `limit` timers. */
  runAll(limit = 10_000): number {
    let fired = 0;
    while (this.#timers.length > 0) {
      if (fired >= limit)
        throw new Error(`FakeClock.runAll: more than ${limit} timers fired; a timer keeps re-arming itself`);
      const next = this.#timers[0];
      if (next === undefined) break;
      fired += this.advance(next.at - this.#now);
    }
    return fired;
  }
}

/** Lets pending promise callbacks run (a macrotask turn drains the microtask queue). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

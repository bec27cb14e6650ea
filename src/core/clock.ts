/**
 * Time as the library sees it. Every timestamp inside breakwater comes from a `Clock`, so a
 * test (or a simulation) can swap in {@link FakeClock} from `breakwater/testing` and drive
 * time by hand.
 */

/**
 * The largest delay a Node timer accepts (2^31 - 1 ms, about 24.8 days): the upper bound of every
 * duration option that becomes a timer or an open period.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** A timer handle returned by {@link Clock.setTimeout}. Opaque to the library. */
export type TimerHandle = unknown;

/** Options of {@link Clock.setTimeout}. */
export interface TimerOptions {
  /**
   * Keep the process alive while the timer is pending. Timers that only guard work (call
   * deadlines, queue timeouts) never do; a wait that *is* the awaited work (a retry's backoff
   * delay, injected latency) does, as any sleep would, so a script awaiting it is not cut short.
   */
  readonly keepAlive?: boolean;
}

/** A source of monotonic time and of timers. */
export interface Clock {
  /** Monotonic milliseconds (may be fractional). Only differences are meaningful. */
  now(): number;
  /**
   * Runs `fn` after `ms` milliseconds. The system clock `unref`s the timer, so it does not keep
   * the process alive, unless `options.keepAlive` is set.
   */
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle;
  /** Cancels a timer started by {@link Clock.setTimeout}. Unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** True when `value` has the three methods of a {@link Clock}. */
export function isClock(value: unknown): value is Clock {
  const c = value as Partial<Clock> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.now === 'function' &&
    typeof c.setTimeout === 'function' &&
    typeof c.clearTimeout === 'function'
  );
}

// Read once: Node defines the global `performance` as a getter, which every call would go through.
const perf = performance;

/** The real clock: `performance.now()` and `unref`'d Node timers. */
export const systemClock: Clock = Object.freeze({
  now: () => perf.now(),
  setTimeout(fn: () => void, ms: number, options?: TimerOptions): TimerHandle {
    const handle = setTimeout(fn, ms) as unknown as { unref?: () => void };
    if (options?.keepAlive !== true) handle.unref?.();
    return handle;
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
});

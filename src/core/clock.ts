/**
 * Time as the library sees it. Every timestamp inside breakwater comes from a `Clock`, so a
 * test (or a simulation) can swap in {@link FakeClock} from `breakwater/testing` and drive
 * time by hand.
 */

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

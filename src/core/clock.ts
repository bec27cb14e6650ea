/**
 * Time as the library sees it. Every timestamp inside breakwater comes from a `Clock`, so a
 * test (or a simulation) can swap in {@link FakeClock} from `breakwater/testing` and drive
 * time by hand.
 */

/** A timer handle returned by {@link Clock.setTimeout}. Opaque to the library. */
export type TimerHandle = unknown;

/** A source of monotonic time and of timers. */
export interface Clock {
  /** Monotonic milliseconds (may be fractional). Only differences are meaningful. */
  now(): number;
  /**
   * Runs `fn` after `ms` milliseconds. Timers started by breakwater never keep the process
   * alive: the system clock `unref`s them.
   */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a timer started by {@link Clock.setTimeout}. Unknown handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The real clock: `performance.now()` and `unref`'d Node timers. */
export const systemClock: Clock = Object.freeze({
  now: () => performance.now(),
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const handle = setTimeout(fn, ms) as unknown as { unref?: () => void };
    handle.unref?.();
    return handle;
  },
  clearTimeout(handle: TimerHandle): void {
    clearTimeout(handle as ReturnType<typeof setTimeout>);
  },
});

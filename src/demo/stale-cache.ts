import type { Clock } from '../core/clock.js';

/**
 * The last good answer per key, served when the live call fails, for as long as it is younger
 * than `maxAgeMs`. Bounded: the oldest key is dropped beyond `maxEntries`.
 *
 * A stand-in, local to the demo, for the library's `staleCache` fallback policy; the demo's
 * service C uses it exactly where that policy would sit (outside its breaker).
 */
export class StaleCache<T> {
  readonly #entries = new Map<string, { value: T; at: number }>();
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;

  constructor(clock: Clock, maxAgeMs: number, maxEntries = 1_000) {
    this.#clock = clock;
    this.#maxAgeMs = maxAgeMs;
    this.#maxEntries = maxEntries;
  }

  /** Remembers a good answer. */
  set(key: string, value: T): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, at: this.#clock.now() });
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** The remembered answer if it is young enough. */
  get(key: string): T | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || this.#clock.now() - entry.at > this.#maxAgeMs) return undefined;
    return entry.value;
  }
}

import type { Window } from './window.js';

const FAILURE = 1;
const SLOW = 2;

/**
 * The last `size` counted calls, as a ring of one byte per call (bit 0 failure, bit 1 slow) with
 * running totals: recording overwrites the oldest entry and adjusts the totals in O(1).
 */
export class CountWindow implements Window {
  calls = 0;
  failures = 0;
  slowCalls = 0;
  readonly #ring: Uint8Array;
  #next = 0;

  constructor(size: number) {
    this.#ring = new Uint8Array(size);
  }

  record(_now: number, failure: boolean, slow: boolean): void {
    const ring = this.#ring;
    if (this.calls === ring.length) {
      const old = ring[this.#next] ?? 0;
      if ((old & FAILURE) !== 0) this.failures--;
      if ((old & SLOW) !== 0) this.slowCalls--;
    } else {
      this.calls++;
    }
    ring[this.#next] = (failure ? FAILURE : 0) | (slow ? SLOW : 0);
    if (failure) this.failures++;
    if (slow) this.slowCalls++;
    this.#next = this.#next + 1 === ring.length ? 0 : this.#next + 1;
  }

  recordUntimedSuccess(): boolean {
    this.record(0, false, false);
    return true;
  }

  roll(): void {
    // Count windows forget by count, not by age.
  }

  reset(): void {
    this.#ring.fill(0);
    this.#next = 0;
    this.calls = this.failures = this.slowCalls = 0;
  }
}

import type { Clock, TimerHandle } from './clock.js';

/** An entry of a {@link DeadlineQueue}: something that expires at `deadline`. */
export interface Expiring {
  deadline: number;
  prev: Expiring | undefined;
  next: Expiring | undefined;
  expire(): void;
}

/**
 * Timeouts for many calls with one timer.
 *
 * All calls through one policy share one timeout duration, so their deadlines arrive in the order
 * the calls started: a FIFO list is already sorted. One timer waits for the head. A call that
 * settles unlinks itself in O(1) and does not touch the timer; when the timer fires it expires
 * what is due and re-arms for the new head, or lapses when the list is empty. So the cost per call
 * is two pointer updates instead of `setTimeout` + `clearTimeout`, and a breaker with nothing in
 * flight holds no timer once the last armed one has fired.
 */
export class DeadlineQueue {
  #head: Expiring | undefined;
  #tail: Expiring | undefined;
  #timer: TimerHandle = undefined;
  #armedFor = Infinity;
  readonly #clock: Clock;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** True while a timer is pending (for tests of timer hygiene). */
  get armed(): boolean {
    return this.#timer !== undefined;
  }

  push(entry: Expiring): void {
    entry.prev = this.#tail;
    entry.next = undefined;
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    if (this.#timer === undefined) this.#arm(entry.deadline);
  }

  remove(entry: Expiring): void {
    const { prev, next } = entry;
    if (prev) prev.next = next;
    else if (this.#head === entry) this.#head = next;
    else return; // not queued
    if (next) next.prev = prev;
    else this.#tail = prev;
    entry.prev = entry.next = undefined;
  }

  #arm(deadline: number): void {
    this.#armedFor = deadline;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, deadline - this.#clock.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    const now = this.#clock.now();
    // Timers may fire a little early or late; anything due by now (or by the armed time) expires.
    const due = Math.max(now, this.#armedFor);
    let entry = this.#head;
    while (entry !== undefined && entry.deadline <= due) {
      this.remove(entry);
      entry.expire();
      entry = this.#head;
    }
    if (entry !== undefined) this.#arm(entry.deadline);
  };
}

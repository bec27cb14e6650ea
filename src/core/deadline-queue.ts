import type { Clock, TimerHandle } from './clock.js';

/**
 * An entry of a {@link DeadlineQueue}: something that expires at `deadline`. `prev` and `next`
 * belong to the queue: both `undefined` while the entry is not queued (set so before its first
 * push), both set by `push`, both cleared by `remove`. An entry is in one queue at a time.
 */
export interface Expiring {
  readonly deadline: number;
  prev: Expiring | undefined;
  next: Expiring | undefined;
  expire(): void;
}

/**
 * Timeouts for many calls without a timer per call.
 *
 * All calls through one breaker share one timeout duration, so their deadlines arrive in the order
 * the calls started: a FIFO list is already sorted. A call that settles unlinks itself in O(1); the
 * queue asks its clock's {@link Alarm} to wake it at its head's deadline, expires what is due then,
 * and asks again for the new head, or not at all when it is empty. So the cost per call is a few
 * pointer updates instead of `setTimeout` + `clearTimeout`, and a breaker itself never holds a
 * timer: one timer per clock serves every breaker.
 */
export class DeadlineQueue {
  // A circular doubly linked list reached through its newest entry (the head is `#tail.next`).
  // Speed trick: a push stores the entry in this long-lived object once, not twice (head and
  // tail), which spares the garbage collector's write barrier a second slow path per call.
  // Benchmark row `closed-timeout`.
  #tail: Expiring | undefined;
  /** When the alarm will wake this queue; `Infinity` while it is not scheduled. */
  wakeAt = Infinity;
  readonly #alarm: Alarm;

  constructor(clock: Clock) {
    this.#alarm = alarmOf(clock);
  }

  /** True while the queue is scheduled on its clock's alarm (for tests of timer hygiene). */
  get armed(): boolean {
    return this.wakeAt !== Infinity;
  }

  push(entry: Expiring): void {
    const tail = this.#tail;
    if (tail === undefined) {
      entry.prev = entry.next = entry;
    } else {
      const head = tail.next;
      entry.prev = tail;
      entry.next = head;
      tail.next = entry;
      if (head !== undefined) head.prev = entry;
    }
    this.#tail = entry;
    if (this.wakeAt === Infinity) this.#alarm.schedule(this, entry.deadline);
  }

  remove(entry: Expiring): void {
    const { prev, next } = entry;
    if (prev === undefined || next === undefined) return; // not queued
    if (next === entry) {
      this.#tail = undefined;
    } else {
      prev.next = next;
      next.prev = prev;
      if (this.#tail === entry) this.#tail = prev;
    }
    entry.prev = entry.next = undefined;
  }

  /** Called by the alarm: expires every entry due by `due`, then asks to be woken for the next. */
  wake(due: number): void {
    // An expiring entry may push a new one (a call started by a timed-out call's fallback or
    // listener). That push must not schedule the queue for its own deadline, later than those of
    // the entries still queued: while waking, `wakeAt` is not `Infinity`, and the head is
    // scheduled once at the end.
    this.wakeAt = due;
    try {
      let entry = this.#tail?.next;
      while (entry !== undefined && entry.deadline <= due) {
        this.remove(entry);
        entry.expire();
        entry = this.#tail?.next;
      }
    } finally {
      this.wakeAt = Infinity;
      const head = this.#tail?.next;
      if (head !== undefined) this.#alarm.schedule(this, head.deadline);
    }
  }
}

/**
 * One timer for every deadline queue of a clock: a binary heap of queues by wake time, and a timer
 * for the earliest. A queue is in the heap at most once; a queue whose calls all settled stays
 * until its wake time and then leaves, so the timer lapses at most one timeout after the last call.
 */
class Alarm {
  readonly #clock: Clock;
  readonly #heap: DeadlineQueue[] = [];
  #timer: TimerHandle = undefined;
  #armedFor = Infinity;
  /** True while `#fire` runs: expiring calls may schedule queues, and it arms once at the end. */
  #firing = false;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  schedule(queue: DeadlineQueue, at: number): void {
    queue.wakeAt = at;
    const heap = this.#heap;
    // Sift up: move later parents down until the queue's place is found.
    let i = heap.length;
    heap.push(queue);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent];
      if (above === undefined || above.wakeAt <= at) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = queue;
    if (!this.#firing && at < this.#armedFor) {
      if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
      this.#arm(at);
    }
  }

  #arm(at: number): void {
    this.#armedFor = at;
    this.#timer = this.#clock.setTimeout(this.#fire, Math.max(0, at - this.#clock.now()));
  }

  readonly #fire = (): void => {
    this.#timer = undefined;
    // Timers may fire a little early or late; anything due by now (or by the armed time) wakes.
    const due = Math.max(this.#clock.now(), this.#armedFor);
    this.#armedFor = Infinity;
    const heap = this.#heap;
    let top = heap[0];
    this.#firing = true;
    try {
      while (top !== undefined && top.wakeAt <= due) {
        this.#pop();
        top.wakeAt = Infinity;
        top.wake(due);
        top = heap[0];
      }
    } finally {
      this.#firing = false;
      top = heap[0];
      if (top !== undefined) this.#arm(top.wakeAt);
    }
  };

  /** Removes the earliest queue: the last one sifts down from the top. */
  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      let at = 2 * i + 1; // the earlier of the two children
      if ((heap[at + 1]?.wakeAt ?? Infinity) < (heap[at]?.wakeAt ?? Infinity)) at++;
      const child = heap[at];
      if (child === undefined || child.wakeAt >= last.wakeAt) break;
      heap[i] = child;
      i = at;
    }
    heap[i] = last;
  }
}

/** Alarms by clock: every breaker on the system clock shares one; a fake clock has its own. */
const alarms = new WeakMap<Clock, Alarm>();

function alarmOf(clock: Clock): Alarm {
  let alarm = alarms.get(clock);
  if (alarm === undefined) alarms.set(clock, (alarm = new Alarm(clock)));
  return alarm;
}

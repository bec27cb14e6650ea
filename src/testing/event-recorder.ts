import type { BreakerEvents, CircuitBreaker } from '../index.js';
import type { Disposable } from '../core/events.js';

/** One recorded event: its name and payload. */
export type RecordedEvent = {
  [K in keyof BreakerEvents]: {
    /** The event's name (`stateChange`, `success`, …). */
    readonly type: K;
    /** The event's payload. */
    readonly event: BreakerEvents[K];
  };
}[keyof BreakerEvents];

const EVENT_NAMES: readonly (keyof BreakerEvents)[] = [
  'stateChange',
  'success',
  'failure',
  'timeout',
  'ignored',
  'rejected',
  'fallback',
];

/**
 * Records every event of a breaker, in order, for assertions in tests.
 *
 * @example
 * using recorder = new EventRecorder(breaker);
 * ...
 * expect(recorder.transitions()).toEqual(['closed->open', 'open->half-open']);
 */
export class EventRecorder implements Disposable {
  /** Every event recorded so far, oldest first (fleet events are not recorded). */
  readonly events: RecordedEvent[] = [];
  readonly #subscriptions: Disposable[];

  constructor(breaker: CircuitBreaker) {
    this.#subscriptions = EVENT_NAMES.map((type) =>
      breaker.on(type, (event: unknown) => this.events.push({ type, event } as RecordedEvent)),
    );
  }

  /** Events of one type. */
  of<K extends keyof BreakerEvents>(type: K): BreakerEvents[K][] {
    return this.events.filter((e) => e.type === type).map((e) => e.event as BreakerEvents[K]);
  }

  /** State changes as `from->to` strings. */
  transitions(): string[] {
    return this.of('stateChange').map((e) => `${e.from}->${e.to}`);
  }

  /** Event names in order. */
  types(): string[] {
    return this.events.map((e) => e.type);
  }

  /** Stops recording (the events recorded so far stay). */
  dispose(): void {
    for (const s of this.#subscriptions) s.dispose();
  }

  /** The same as `dispose()`, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }
}

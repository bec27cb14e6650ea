/**
 * Typed events with disposable subscriptions. Emitting to an event nobody listens to costs one
 * property read, so the hot path can report everything without paying for it.
 */
import { describeError } from './describe-error.js';
import { processWarning } from './warn.js';

/** A subscription handle: call `dispose()` (or use `using`) to unsubscribe. */
export interface Disposable {
  /** Ends the subscription; calling it again does nothing. */
  dispose(): void;
  /** The same as `dispose()`, for `using`. */
  [Symbol.dispose](): void;
}

/** A listener for events of payload type `T`. */
export type Listener<T> = (event: T) => void;

/**
 * Reports an error of a listener (thrown, or the rejection of the promise it returned) without
 * letting it reach the call that emitted the event: listeners observe, they never change the
 * outcome of a call or a breaker. `who` names the listener, e.g. `a "failure" listener of "db"`.
 */
export function reportListenerError(who: string, error: unknown, rejected = false): void {
  processWarning(
    `breakwater: ${who} ${rejected ? 'returned a rejected promise' : 'threw'}: ${describeError(error, 'stack')}`,
    'BreakwaterListenerWarning',
    'BREAKWATER_LISTENER',
  );
}

/**
 * Watches what a listener returned: when it is a promise or thenable (an `async` listener), its
 * rejection is reported like a throw instead of going unhandled. A `then` that throws is reported
 * too. Costs one `typeof` for listeners that return nothing.
 */
export function watchListenerResult(result: unknown, who: string): void {
  if (typeof result !== 'object' && typeof result !== 'function') return;
  if (result === null) return;
  try {
    const then = (result as { then?: unknown }).then;
    if (typeof then !== 'function') return;
    (then as PromiseLike<unknown>['then']).call(result, undefined, (error: unknown) => {
      reportListenerError(who, error, true);
    });
  } catch (error) {
    reportListenerError(who, error);
  }
}

/**
 * A map of event names to listener lists for one event source. `EventMap` maps each name to its
 * payload type.
 */
export class Emitter<EventMap extends object> {
  readonly #source: string;
  /** Made on the first subscription: most sources are never listened to. */
  #listeners: { [K in keyof EventMap]?: Listener<EventMap[K]>[] } | undefined;
  #count = 0;

  readonly #watched: readonly (keyof EventMap)[];
  #watchedCount = 0;

  /** `watched`: events whose listeners `watchedActive` reports, with one field read. */
  constructor(source: string, watched: readonly (keyof EventMap)[] = []) {
    this.#source = source;
    this.#watched = watched;
  }

  /** True when any listener is subscribed to one of the `watched` events. */
  get watchedActive(): boolean {
    return this.#watchedCount > 0;
  }

  /** Subscribes `listener` to `event`; the returned handle unsubscribes it. */
  on<K extends keyof EventMap>(event: K, listener: Listener<EventMap[K]>): Disposable {
    if (typeof listener !== 'function') {
      throw new TypeError(`on("${String(event)}"): listener must be a function (got ${typeof listener})`);
    }
    // Copy on write: an emit in progress keeps iterating the list it started with.
    const listeners: { [E in keyof EventMap]?: Listener<EventMap[E]>[] } = (this.#listeners ??= {});
    listeners[event] = [...(listeners[event] ?? []), listener];
    this.#count++;
    const watched = this.#watched.includes(event);
    if (watched) this.#watchedCount++;
    let live = true;
    const dispose = (): void => {
      if (!live) return;
      live = false;
      this.#count--;
      if (watched) this.#watchedCount--;
      // Remove this subscription only: the same function may be subscribed more than once.
      const left = [...(listeners[event] ?? [])];
      const at = left.indexOf(listener);
      if (at >= 0) left.splice(at, 1);
      listeners[event] = left.length > 0 ? left : undefined;
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** True when any listener is subscribed to any event. */
  get active(): boolean {
    return this.#count > 0;
  }

  /** True when at least one listener is subscribed to `event`; check before building a payload. */
  has(event: keyof EventMap): boolean {
    return this.#listeners?.[event] !== undefined;
  }

  /**
   * Calls every listener of `event` with `payload`; a listener that throws or returns a rejected
   * promise is reported as a process warning, never rethrown.
   */
  emit<K extends keyof EventMap>(event: K, payload: EventMap[K]): void {
    const list = this.#listeners?.[event];
    if (list === undefined) return;
    for (const listener of list) {
      try {
        const result = (listener as (event: EventMap[K]) => unknown)(payload);
        if (result !== undefined) watchListenerResult(result, this.#who(event));
      } catch (error) {
        reportListenerError(this.#who(event), error);
      }
    }
  }

  #who(event: keyof EventMap): string {
    return `a "${String(event)}" listener of "${this.#source}"`;
  }
}

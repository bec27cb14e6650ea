/**
 * One telemetry stream. Breakers and policies given a `telemetry` option report into it; the
 * Prometheus and OpenTelemetry exporters and the dashboard read only from it. Reporting costs one
 * property read when nobody subscribes, so a stream can be attached everywhere up front.
 */
import type { Disposable } from './events.js';

/** How a call through a policy ended. */
export type CallOutcome = 'success' | 'failure' | 'timeout' | 'ignored' | 'rejected';

/**
 * How a `staleCache` answered a call: `fresh` (the function answered), `stale` (a remembered
 * result answered a failure), `miss` (the function failed and nothing could answer: the error goes on).
 */
export type CacheResult = 'fresh' | 'stale' | 'miss';

/**
 * What a `queueForLater` did with a request: `queued` (stored after a failure), `dropped` (refused
 * at the door, never stored), `replayed` (a replay succeeded), `replay-failed` (a replay failed and
 * the request waits for a later drain), `dead-lettered` (moved to the dead-letter list).
 */
export type QueueAction = 'queued' | 'dropped' | 'replayed' | 'replay-failed' | 'dead-lettered';

/** An event on the stream. `policy` is the reporting breaker's or policy's name. */
export type TelemetryEvent =
  | {
      readonly type: 'call';
      readonly policy: string;
      readonly kind: string;
      readonly outcome: CallOutcome;
      /** NaN for a rejected call (it did not run) and for calls admitted before anyone listened. */
      readonly durationMs: number;
      readonly slow: boolean;
    }
  | {
      readonly type: 'transition';
      readonly policy: string;
      readonly kind: string;
      readonly from: string;
      readonly to: string;
      readonly reason: string;
      readonly generation: number;
    }
  | { readonly type: 'fallback'; readonly policy: string; readonly kind: string }
  | {
      readonly type: 'retry';
      readonly policy: string;
      readonly kind: string;
      readonly attempt: number;
      readonly delayMs: number;
    }
  | {
      readonly type: 'bulkhead';
      readonly policy: string;
      readonly kind: string;
      readonly action: 'queued' | 'dequeued' | 'rejected';
      readonly running: number;
      readonly queued: number;
    }
  | {
      /** A `timeout` policy gave up on a call at its deadline. */
      readonly type: 'timeout';
      readonly policy: string;
      readonly kind: string;
      readonly timeoutMs: number;
    }
  | {
      /** One answer of a `staleCache`. */
      readonly type: 'cache';
      readonly policy: string;
      readonly kind: string;
      readonly result: CacheResult;
    }
  | {
      /** One step of a request through a `queueForLater`. */
      readonly type: 'queue';
      readonly policy: string;
      readonly kind: string;
      readonly action: QueueAction;
      /** The stored request's id (absent for `dropped`: it was never stored). */
      readonly id?: string;
    }
  | {
      /** A breaker's fleet attachment: store health (`degraded` / `restored`) and fleet transitions. */
      readonly type: 'fleet';
      readonly policy: string;
      readonly kind: string;
      readonly event: string;
      readonly state: string;
      readonly generation: number;
      readonly healthy: boolean;
    }
  | { readonly type: 'registered' | 'unregistered'; readonly policy: string; readonly kind: string };

/**
 * Something that reports into a stream and can be asked for its current view (a breaker's
 * `stats`). Sources are held weakly: a dropped breaker disappears from `sources()`.
 */
export interface TelemetrySource<Snapshot = unknown> {
  readonly name: string;
  readonly kind: string;
  snapshot(): Snapshot;
}

/** A telemetry stream; see the module comment. */
export class Telemetry {
  #listeners: ((event: TelemetryEvent) => void)[] = [];
  readonly #sources = new Set<WeakRef<TelemetrySource>>();

  /** True while anyone subscribes; reporters check it before building an event. */
  get active(): boolean {
    return this.#listeners.length > 0;
  }

  /** Receives every event from now on. A throwing listener is reported as a process warning. */
  subscribe(listener: (event: TelemetryEvent) => void): Disposable {
    if (typeof listener !== 'function')
      throw new TypeError(`Telemetry.subscribe: listener must be a function (got ${typeof listener})`);
    this.#listeners = [...this.#listeners, listener];
    let live = true;
    const dispose = (): void => {
      if (!live) return;
      live = false;
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
    return { dispose, [Symbol.dispose]: dispose };
  }

  /** Delivers `event` to every subscriber. */
  emit(event: TelemetryEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (error) {
        const proc = (globalThis as { process?: { emitWarning?: (w: string, o: object) => void } }).process;
        proc?.emitWarning?.(`breakwater: a telemetry subscriber threw: ${String(error)}`, {
          type: 'BreakwaterListenerWarning',
        });
      }
    }
  }

  /** Adds a source (a breaker does this when constructed with this stream) and reports it. */
  register(source: TelemetrySource): void {
    this.#sources.add(new WeakRef(source));
    if (this.active) this.emit({ type: 'registered', policy: source.name, kind: source.kind });
  }

  /** Removes a source (a registry does this when it evicts a breaker) and reports it. */
  unregister(source: TelemetrySource): void {
    for (const ref of this.#sources) {
      if (ref.deref() === source) {
        this.#sources.delete(ref);
        if (this.active) this.emit({ type: 'unregistered', policy: source.name, kind: source.kind });
      }
    }
  }

  /** The live sources, in registration order; collected ones are forgotten on the way. */
  sources(): TelemetrySource[] {
    const live: TelemetrySource[] = [];
    for (const ref of this.#sources) {
      const source = ref.deref();
      if (source === undefined) this.#sources.delete(ref);
      else live.push(source);
    }
    return live;
  }
}

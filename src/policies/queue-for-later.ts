import { type Clock, systemClock, MAX_TIMER_MS } from '../core/clock.js';
import { isBulkheadFullError, isCircuitOpenError } from '../core/errors.js';
import type { Disposable } from '../core/events.js';
import type { AnsweringPolicy } from '../core/pipeline.js';
import type { ExecuteOptions, PolicyContext, Protected } from '../core/policy.js';
import type { QueueAction, Telemetry } from '../core/telemetry.js';
import { checkSignal, isAbortSignal, OptionChecker, signalError, checkClock } from '../core/validate.js';
import {
  checkName,
  checkObject,
  checkTelemetry,
  Contexts,
  isAborted,
  warn,
  warnOnRejection,
} from './common.js';
import { isQueueEncodeError, QueueAppendUnknownError, QueueEncodeError } from './queue-errors.js';
import { QueueFullError } from './queue-full-error.js';
import {
  type DeadLetter,
  MemoryQueueStorage,
  type QueuedItem,
  type QueueStorage,
  type UndecodableEntry,
} from './queue-storage.js';
import { describeError } from '../core/describe-error.js';

/**
 * What a caller receives when its request was queued instead of answered. The request is stored
 * and will be replayed (at least once); `replay` gets the same `id` as `context.receipt`.
 */
export interface QueuedReceipt {
  /** Always `'queued'`: tells a receipt from the function's own result (see {@link isQueuedReceipt}). */
  readonly status: 'queued';
  /** The receipt id: chosen before the append, stored with the item, handed to `replay`. */
  readonly id: string;
  /** Name of the queue. */
  readonly queue: string;
  /** The error that made the call fail (or be rejected). */
  readonly reason: unknown;
}

/** True when `value` is a {@link QueuedReceipt}. */
export function isQueuedReceipt(value: unknown): value is QueuedReceipt {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Partial<QueuedReceipt>).status === 'queued' &&
    typeof (value as Partial<QueuedReceipt>).id === 'string'
  );
}

/** What one `drain()` did. */
export interface DrainReport {
  /** Replays that succeeded (acknowledged and removed). */
  readonly replayed: number;
  /** Replays that failed and were put back for a later drain. */
  readonly requeued: number;
  /**
   * Replays that failed for the `maxAttempts`-th time and went to the dead-letter list, and
   * entries the storage could not decode (dead-lettered with their raw text).
   */
  readonly deadLettered: number;
  /** Items put back without an attempt (the replay was refused by a breaker or bulkhead, or the drain was aborted). */
  readonly deferred: number;
}

/** Something whose `stateChange` event says when a dependency is healthy again: a `CircuitBreaker`. */
export interface StateChangeSource {
  /** Subscribes to state changes; the handle ends the subscription. */
  on(event: 'stateChange', listener: (event: { readonly to: string }) => void): Disposable;
  /** The current state; when absent, the last `stateChange` (initially `'closed'`). */
  readonly state?: string;
}

/** What `replay` is given besides the payload. */
export interface ReplayContext extends PolicyContext {
  /** 1 for the first replay of the item. */
  readonly attempt: number;
  /** The receipt id the caller was given (stable across attempts): deduplicate on it. */
  readonly receipt: string;
}

/** Options of {@link queueForLater}. */
export interface QueueForLaterOptions<P, A extends unknown[] = unknown[]> {
  /** Performs a stored request again. Required. A rejection counts as a failed attempt. */
  readonly replay: (payload: P, context: ReplayContext) => unknown;
  /** The payload of a call made through `wrap`, from its arguments. Default: the arguments array. */
  readonly payload?: (...args: A) => P;
  /** Where requests wait. Default: a `MemoryQueueStorage`. */
  readonly storage?: QueueStorage<P>;
  /** Requests held at most (queued + being replayed); more are refused with `QueueFullError`. Default `1_000`. */
  readonly maxQueued?: number;
  /** Replays of one request before it is dead-lettered. Default `5`. */
  readonly maxAttempts?: number;
  /** Called with each request moved to the dead-letter list and the error of its last replay. */
  readonly onDeadLetter?: (item: DeadLetter<P>, error: unknown) => void;
  /** Called with each entry the storage could not decode (it was moved to the dead-letter list as it was). */
  readonly onUndecodable?: (entry: UndecodableEntry) => void;
  /**
   * Drain automatically: once when attached (if the breaker is closed), whenever the breaker
   * changes to `closed`, and every `drainIntervalMs` while it is closed.
   */
  readonly breaker?: StateChangeSource;
  /**
   * Period of the automatic drain, on the queue's clock (an `unref`'d timer that `dispose()`
   * stops); `false` turns the periodic drain off. Default `30_000` with a `breaker`; without one,
   * nothing drains automatically unless this is given (then the queue drains when created and
   * every `drainIntervalMs`).
   */
  readonly drainIntervalMs?: number | false;
  /** Which errors queue the request. Default: every error (except a caller abort). */
  readonly when?: (error: unknown) => boolean;
  /** Items leased from the storage at a time while draining. Default `10`. */
  readonly batchSize?: number;
  /** Label in receipts and errors. Default `'queueForLater'`. */
  readonly name?: string;
  /** Time source for `enqueuedAt` / `deadAt` and the periodic drain. Default: the system clock. */
  readonly clock?: Clock;
  /** A telemetry stream to report into (a `queue` event per request queued, dropped, replayed, failed or dead-lettered). */
  readonly telemetry?: Telemetry;
}

/** Per-call options of {@link QueueForLater.execute}. */
export interface QueueExecuteOptions<P> extends ExecuteOptions {
  /** The request to store if the call fails. */
  readonly payload: P;
  /**
   * The receipt id to store it under. Default: a random UUID. Pass the `receipt` of a
   * `QueueAppendUnknownError` to queue the request again without a second identity.
   */
  readonly receipt?: string;
}

const KNOWN = [
  'replay',
  'payload',
  'storage',
  'maxQueued',
  'maxAttempts',
  'onDeadLetter',
  'onUndecodable',
  'breaker',
  'drainIntervalMs',
  'when',
  'batchSize',
  'name',
  'clock',
  'telemetry',
] as const;

/**
 * Stores a request that failed (or was rejected by an open circuit) and answers the caller with a
 * {@link QueuedReceipt}; replays stored requests on `drain()`, and by itself when the given
 * `breaker` closes. For work that may happen later (emails, webhooks, audit writes), not for
 * answers the caller needs now.
 *
 * - **At least once**: an item leaves the storage only after its replay succeeded, so a crash
 *   between the replay and the acknowledgement replays it again; make `replay` idempotent.
 * - **Bounded**: at most `maxQueued` requests; a full queue rejects at the door with
 *   `QueueFullError` (the caller learns at once), so nothing accepted is ever dropped.
 * - **Dead letters**: each drain tries each item at most once; a failed replay goes back to the
 *   tail with its attempt count; after `maxAttempts` failures it moves to the storage's
 *   dead-letter list and to `onDeadLetter`. A replay refused by `CircuitOpenError` or
 *   `BulkheadFullError` does not count as an attempt and ends the drain. An entry the storage
 *   cannot decode is dead-lettered as it was (`onUndecodable`); the rest goes on.
 * - **Receipts**: each request gets its receipt id before it is stored; `replay` receives it as
 *   `context.receipt`. A request the storage cannot encode is refused (`QueueEncodeError`); an
 *   append whose outcome is unknown rejects with `QueueAppendUnknownError` carrying the receipt.
 * - **Drains by itself** with a `breaker`: when attached, on each change to `closed`, and every
 *   `drainIntervalMs` while closed.
 *
 * @example
 * const outbox = queueForLater({ replay: (mail: Mail) => mailer.send(mail), breaker, maxQueued: 10_000 });
 * const send = outbox.wrap(breaker.wrap(mailer.send.bind(mailer)));
 */
export function queueForLater<P, A extends unknown[] = unknown[]>(
  options: QueueForLaterOptions<P, A>,
): QueueForLater<P, A> {
  return new QueueForLater<P, A>(options);
}

/** The policy made by {@link queueForLater}. */
export class QueueForLater<P, A extends unknown[] = unknown[]> implements Disposable {
  /** Label in receipts and errors. */
  readonly name: string;
  /** Requests held at most. */
  readonly maxQueued: number;
  /** Replays of one request before it is dead-lettered. */
  readonly maxAttempts: number;
  /** Where requests wait. */
  readonly storage: QueueStorage<P>;
  /** Type-level marker: calls may resolve with a receipt instead of the function's result. */
  declare readonly answers?: QueuedReceipt;
  readonly #options: QueueForLaterOptions<P, A>;
  readonly #clock: Clock;
  readonly #batchSize: number;
  readonly #contexts = new Contexts();
  readonly #subscription: Disposable | undefined;
  readonly #drainIntervalMs: number | false;
  readonly #telemetry: Telemetry | undefined;
  #draining: Promise<DrainReport> | undefined;
  #state = 'closed';
  #timer: unknown;
  #disposed = false;
  #warned = false;

  constructor(options: QueueForLaterOptions<P, A>) {
    const check = new OptionChecker('queueForLater');
    if (typeof options !== 'object' || (options as unknown) === null) {
      check.fail('options', options, 'an object with replay', 'type');
      check.throwIfAny();
    }
    checkObject(check, options, KNOWN);
    const o = options;
    this.name = checkName(check, o.name, 'queueForLater');
    check.func('replay', o.replay);
    for (const key of ['payload', 'onDeadLetter', 'onUndecodable', 'when'] as const)
      if (o[key] !== undefined) check.func(key, o[key]);
    this.maxQueued = o.maxQueued ?? 1_000;
    check.number('maxQueued', this.maxQueued, { integer: true, min: 1 });
    this.maxAttempts = o.maxAttempts ?? 5;
    check.number('maxAttempts', this.maxAttempts, { integer: true, min: 1 });
    const auto = o.breaker !== undefined || o.drainIntervalMs !== undefined;
    this.#drainIntervalMs = o.drainIntervalMs ?? (auto ? 30_000 : false);
    if (this.#drainIntervalMs !== false)
      check.number('drainIntervalMs', this.#drainIntervalMs, { min: 1, max: MAX_TIMER_MS });
    this.#batchSize = o.batchSize ?? 10;
    check.number('batchSize', this.#batchSize, { integer: true, min: 1 });
    const storage = o.storage ?? new MemoryQueueStorage<P>();
    for (const method of ['append', 'take', 'ack', 'requeue', 'deadLetter', 'deadLetters', 'size'] as const) {
      if (typeof (storage as Partial<QueueStorage<P>>)[method] !== 'function') {
        check.fail(
          'storage',
          storage,
          'a QueueStorage (append, take, ack, requeue, deadLetter, deadLetters, size)',
          'type',
        );
        break;
      }
    }
    if (o.breaker !== undefined && typeof (o.breaker as Partial<StateChangeSource>).on !== 'function')
      check.fail('breaker', o.breaker, 'a CircuitBreaker (or anything with on("stateChange"))', 'type');
    this.#clock = o.clock ?? systemClock;
    checkClock(check, this.#clock);
    this.#telemetry = checkTelemetry(check, o.telemetry);
    check.throwIfAny();
    this.storage = storage;
    this.#options = o;
    this.#subscription = o.breaker?.on('stateChange', (event) => {
      this.#state = event.to;
      if (event.to === 'closed') this.#autoDrain();
    });
    if (auto) {
      // Work left by a previous process (or an earlier blip) drains without waiting for a transition.
      queueMicrotask(() => {
        this.#tick();
      });
      this.#arm();
    }
  }

  /**
   * Runs `fn`; when it fails (and `when` agrees), stores `payload` and resolves with a
   * {@link QueuedReceipt}. Rejects with `QueueFullError` when the queue is full, and with the
   * error itself for a caller abort.
   */
  async execute<T>(fn: Protected<T>, options: QueueExecuteOptions<P>): Promise<T | QueuedReceipt> {
    if (typeof fn !== 'function')
      throw new TypeError(`queueForLater "${this.name}": execute(fn) needs a function`);
    if (typeof options !== 'object' || (options as object | null) === null || !('payload' in options))
      throw new TypeError(`queueForLater "${this.name}": execute(fn, { payload }) needs a payload`);
    if (options.receipt !== undefined && (typeof options.receipt !== 'string' || options.receipt === ''))
      throw new TypeError(
        `queueForLater "${this.name}": execute(fn, { receipt }) needs a non-empty string (got ${typeof options.receipt})`,
      );
    const signal = options.signal;
    checkSignal(`queueForLater "${this.name}": execute(fn, { signal })`, signal);
    try {
      return await fn(this.#contexts.for(signal));
    } catch (error) {
      if (isAborted(signal) || (this.#options.when !== undefined && !this.#options.when(error))) throw error;
      const receipt = options.receipt ?? globalThis.crypto.randomUUID();
      const item = { payload: options.payload, attempts: 0, enqueuedAt: this.#clock.now(), receipt };
      let id: string | undefined;
      try {
        id = await this.storage.append(item, this.maxQueued);
      } catch (storageError) {
        if (isQueueEncodeError(storageError))
          throw new QueueEncodeError(this.name, storageError.path, storageError.what, { cause: error });
        throw new QueueAppendUnknownError(this.name, receipt, error, storageError);
      }
      if (id === undefined) {
        this.#emit('refused');
        throw new QueueFullError(this.name, this.maxQueued, error);
      }
      this.#emit('queued', receipt);
      return { status: 'queued', id: receipt, queue: this.name, reason: error };
    }
  }

  /** Returns a function with `fn`'s parameters whose failed calls are queued (payload from the `payload` option). */
  wrap<B extends A, R>(
    fn: (...args: B) => R | PromiseLike<R>,
  ): (...args: B) => Promise<Awaited<R> | QueuedReceipt> {
    if (typeof fn !== 'function')
      throw new TypeError(`queueForLater "${this.name}": wrap(fn) needs a function`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    const toPayload = this.#options.payload ?? ((...args: A) => args as unknown as P);
    return function (this: unknown, ...args: B): Promise<Awaited<R> | QueuedReceipt> {
      return self.execute(() => fn.apply(this, args), { payload: toPayload(...args) }) as Promise<
        Awaited<R> | QueuedReceipt
      >;
    };
  }

  /** A policy bound to one payload, for use in `pipeline(...)`. */
  forPayload(payload: P): AnsweringPolicy<QueuedReceipt> & {
    /** Type-level marker: calls may resolve with a receipt instead of the function's result. */
    readonly answers?: QueuedReceipt;
  } {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      execute: <T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T | QueuedReceipt> => {
        let signal: AbortSignal | undefined;
        try {
          signal = options?.signal; // a throwing getter or proxy rejects the call
        } catch (error) {
          return Promise.reject(error);
        }
        return self.execute(fn, { payload, signal });
      },
      wrap: <B extends unknown[], R>(fn: (...args: B) => R | PromiseLike<R>) =>
        function (this: unknown, ...args: B): Promise<Awaited<R> | QueuedReceipt> {
          return self.execute(() => fn.apply(this, args), { payload }) as Promise<Awaited<R> | QueuedReceipt>;
        },
    };
  }

  /** Requests held now (queued or being replayed). */
  size(): Promise<number> {
    return this.storage.size();
  }

  /** The dead-letter list, oldest first. */
  deadLetters(): Promise<readonly DeadLetter<P>[]> {
    return this.storage.deadLetters();
  }

  /**
   * Replays the stored requests, oldest first, one at a time, each at most once per drain. A drain
   * asked for while one runs returns the running one. `signal` ends it early (the rest stays queued).
   */
  drain(options: { readonly signal?: AbortSignal } = {}): Promise<DrainReport> {
    const signal = (options as { readonly signal?: AbortSignal } | null)?.signal;
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(signalError(`queueForLater "${this.name}": drain({ signal })`, signal));
    }
    this.#draining ??= this.#drain(signal).finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  /**
   * Stops listening to the breaker and the periodic drain; a drain running now ends after the
   * replay in progress. Stored requests stay in the storage.
   */
  dispose(): void {
    this.#disposed = true;
    this.#subscription?.dispose();
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The same as `dispose()`, for `using`. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** Re-arms the periodic drain (the timer is `unref`'d by the system clock). */
  #arm(): void {
    if (this.#drainIntervalMs === false || this.#disposed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#arm();
      this.#tick();
    }, this.#drainIntervalMs);
  }

  /** Drains when the breaker (if any) is closed. */
  #tick(): void {
    if (this.#disposed) return;
    const state = this.#options.breaker?.state;
    if ((typeof state === 'string' ? state : this.#state) === 'closed') this.#autoDrain();
  }

  #autoDrain(): void {
    this.drain().then(
      () => {
        this.#warned = false;
      },
      (error: unknown) => {
        // One warning per outage of the storage, not one per period.
        if (this.#warned) return;
        this.#warned = true;
        warn(`automatic drain of "${this.name}" failed`, error);
      },
    );
  }

  async #drain(signal: AbortSignal | undefined): Promise<DrainReport> {
    const report = { replayed: 0, requeued: 0, deadLettered: 0, deferred: 0 };
    // A drain running when the queue is disposed ends after the replay in progress (the rest of
    // its batch goes back); a drain asked for after `dispose()` runs as asked.
    const live = !this.#disposed;
    const halted = (): boolean => stop || isAborted(signal) || (live && this.#disposed);
    let left = await this.storage.size();
    let stop = false;
    let undecodable = 0;
    const onUndecodable = (entry: UndecodableEntry): void => {
      undecodable++;
      report.deadLettered++;
      this.#report(entry);
    };
    while (left > 0) {
      undecodable = 0;
      const items = await this.storage.take(Math.min(this.#batchSize, left), onUndecodable);
      if (items.length === 0 && undecodable === 0) break;
      left -= items.length + undecodable;
      for (const item of items) {
        if (halted()) {
          await this.storage.requeue(item);
          report.deferred++;
          continue;
        }
        const outcome = await this.#replayOne(item, signal);
        report[outcome]++;
        if (outcome === 'deferred') stop = true;
      }
      if (halted()) break;
    }
    return report;
  }

  #report(entry: UndecodableEntry): void {
    reportUndecodable(this.name, this.#options.onUndecodable, entry);
  }

  async #replayOne(item: QueuedItem<P>, signal: AbortSignal | undefined): Promise<keyof DrainReport> {
    // A storage that counts deliveries cut short by a crash may hand out an item already at the limit.
    if (item.attempts >= this.maxAttempts) {
      const error = new Error(
        `replayed ${item.attempts} times without an outcome (its consumer stopped mid-replay)`,
      );
      return this.#bury({ ...item, lastError: describe(error) }, error);
    }
    const context: ReplayContext = {
      signal: this.#contexts.for(signal).signal,
      attempt: item.attempts + 1,
      receipt: item.receipt ?? item.id,
    };
    try {
      await this.#options.replay(item.payload, context);
    } catch (error) {
      if (isCircuitOpenError(error) || isBulkheadFullError(error) || isAborted(signal)) {
        await this.storage.requeue(item);
        return 'deferred';
      }
      const failed = { ...item, attempts: item.attempts + 1, lastError: describe(error) };
      if (failed.attempts < this.maxAttempts) {
        await this.storage.requeue(failed);
        this.#emit('replay-failed', item.receipt ?? item.id);
        return 'requeued';
      }
      return this.#bury(failed, error);
    }
    await this.storage.ack(item.id);
    this.#emit('replayed', item.receipt ?? item.id);
    return 'replayed';
  }

  /** Reports `action` when anyone listens (`id`: the stored request's). */
  #emit(action: QueueAction, id?: string): void {
    const telemetry = this.#telemetry;
    if (telemetry?.active !== true) return;
    telemetry.emit(
      id === undefined
        ? { type: 'queue', policy: this.name, kind: 'queueForLater', action }
        : { type: 'queue', policy: this.name, kind: 'queueForLater', action, id },
    );
  }

  async #bury(item: QueuedItem<P>, error: unknown): Promise<'deadLettered'> {
    const dead = { ...item, deadAt: this.#clock.now() };
    await this.storage.deadLetter(dead);
    this.#emit('dead-lettered', item.receipt ?? item.id);
    if (this.#options.onDeadLetter !== undefined) {
      try {
        const result = (this.#options.onDeadLetter as (...args: unknown[]) => unknown)(dead, error);
        warnOnRejection(result, `onDeadLetter of "${this.name}" returned a rejected promise`);
      } catch (callbackError) {
        warn(`onDeadLetter of "${this.name}" threw`, callbackError);
      }
    }
    return 'deadLettered';
  }
}

/** Reports an entry the storage dead-lettered because it could not decode it. */
function reportUndecodable(
  name: string,
  callback: ((entry: UndecodableEntry) => unknown) | undefined,
  entry: UndecodableEntry,
): void {
  if (callback === undefined) {
    warn(`queue "${name}" moved an undecodable entry ${entry.id} to its dead-letter list`, entry.error);
    return;
  }
  try {
    const result = callback(entry);
    warnOnRejection(result, `onUndecodable of "${name}" returned a rejected promise`);
  } catch (callbackError) {
    warn(`onUndecodable of "${name}" threw`, callbackError);
  }
}

// Never throws (a null-prototype object, a revoked Proxy...): the item must still be requeued or buried.
const describe = (error: unknown): string => describeError(error);

import { type Clock, systemClock } from '../core/clock.js';
import type { ExecuteOptions, Policy, Protected } from '../core/policy.js';
import type { CacheResult, Telemetry } from '../core/telemetry.js';
import { checkSignal, OptionChecker, checkClock } from '../core/validate.js';
import {
  checkName,
  checkObject,
  checkTelemetry,
  Contexts,
  isAborted,
  warn,
  warnOnRejection,
} from './common.js';

/** Options of {@link staleCache}. */
export interface StaleCacheOptions<A extends unknown[] = unknown[]> {
  /** Ms a remembered result may be served after it was stored (`Infinity`: no limit). Required. */
  readonly ttl: number;
  /** The key of a call made through `wrap`, from its arguments. Default: `JSON.stringify(args)`. */
  readonly key?: (...args: A) => string;
  /** Keys remembered at most; the least recently used is forgotten first. Default `1_000`. */
  readonly maxEntries?: number;
  /** Which errors may be answered from the cache. Default: every error (except a caller abort). */
  readonly when?: (error: unknown) => boolean;
  /** Called when a stale result is served instead of an error. */
  readonly onStale?: (event: {
    readonly key: string;
    readonly ageMs: number;
    readonly error: unknown;
  }) => void;
  /** Label for docs and pipelines. Default `'staleCache'`. */
  readonly name?: string;
  /** Time source for ages. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * A telemetry stream to report every answer into: a `cache` event (`fresh`, `stale` or `miss`)
   * for event listeners; counted in place for the exporters (`telemetry.policyCounter`).
   */
  readonly telemetry?: Telemetry;
}

/** Per-call options of {@link StaleCache.execute}. */
export interface StaleCacheExecuteOptions extends ExecuteOptions {
  /** What the result is remembered under and looked up by. */
  readonly key: string;
}

interface Entry {
  readonly value: unknown;
  readonly storedAt: number;
}

const KIND = 'staleCache';
/** Counters per policy: one per result, in `CACHE_RESULT_ORDER` (`fresh`, `stale`, `miss`). */
const RESULTS = 3;

const KNOWN = ['ttl', 'key', 'maxEntries', 'when', 'onStale', 'name', 'clock', 'telemetry'] as const;

/**
 * Serves the last good result for the same key when a call fails or is rejected (for example with
 * `CircuitOpenError` while the dependency is down), as long as that result is younger than `ttl`.
 * Every call still goes to the function: this is a fallback, not a cache in front of it. Memory is
 * bounded: at most `maxEntries` keys, least recently used forgotten first.
 *
 * `execute(fn, { key })` names the key per call; `wrap(fn)` computes it from the arguments with the
 * `key` option; `forKey(key)` gives a plain `Policy` for one key, to use inside `pipeline(...)`.
 *
 * @example
 * const lastKnown = staleCache({ ttl: 5 * 60_000, key: (id: string) => `user:${id}` });
 * const getUser = lastKnown.wrap(pipeline(breaker, timeout(1_000)).wrap(fetchUser));
 */
export function staleCache<A extends unknown[] = unknown[]>(options: StaleCacheOptions<A>): StaleCache<A> {
  return new StaleCache<A>(options);
}

/** The policy made by {@link staleCache}. */
export class StaleCache<A extends unknown[] = unknown[]> {
  /** Label for docs and pipelines. */
  readonly name: string;
  /** Max age of a served result, in ms. */
  readonly ttl: number;
  /** Keys remembered at most. */
  readonly maxEntries: number;
  readonly #key: (...args: A) => string;
  readonly #when: ((error: unknown) => boolean) | undefined;
  readonly #onStale: StaleCacheOptions<A>['onStale'];
  readonly #clock: Clock;
  readonly #telemetry: Telemetry | undefined;
  /** The stream's counters of this kind and name, fetched on the first answer an exporter counts. */
  #counts: Float64Array | undefined;
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recently used.
  readonly #entries = new Map<string, Entry>();
  readonly #contexts = new Contexts();

  constructor(options: StaleCacheOptions<A>) {
    const check = new OptionChecker('staleCache');
    if (typeof options !== 'object' || (options as unknown) === null) {
      check.fail('options', options, 'an object with ttl', 'type');
      check.throwIfAny();
    }
    checkObject(check, options, KNOWN);
    const o = options;
    this.name = checkName(check, o.name, 'staleCache');
    check.number('ttl', o.ttl, { min: 0, minExclusive: true, allowInfinity: true });
    this.ttl = o.ttl;
    this.maxEntries = o.maxEntries ?? 1_000;
    check.number('maxEntries', this.maxEntries, { integer: true, min: 1 });
    if (o.key !== undefined) check.func('key', o.key);
    if (o.when !== undefined) check.func('when', o.when);
    if (o.onStale !== undefined) check.func('onStale', o.onStale);
    this.#clock = o.clock ?? systemClock;
    checkClock(check, this.#clock);
    this.#telemetry = checkTelemetry(check, o.telemetry);
    check.throwIfAny();
    this.#key = o.key ?? ((...args: A) => JSON.stringify(args));
    this.#when = o.when;
    this.#onStale = o.onStale;
  }

  /** Keys remembered now (entries past their ttl included until they are looked up or evicted). */
  get size(): number {
    return this.#entries.size;
  }

  /** Runs `fn`; remembers a result under `key`, or answers a failure with the last result for it. */
  async execute<T>(fn: Protected<T>, options: StaleCacheExecuteOptions): Promise<T> {
    if (typeof fn !== 'function')
      throw new TypeError(`staleCache "${this.name}": execute(fn) needs a function`);
    const key = (options as Partial<StaleCacheExecuteOptions> | undefined)?.key;
    if (typeof key !== 'string')
      throw new TypeError(
        `staleCache "${this.name}": execute(fn, { key }) needs a string key (got ${typeof key})`,
      );
    const signal = options.signal;
    checkSignal(`staleCache "${this.name}": execute(fn, { signal })`, signal);
    let value: T;
    try {
      value = await fn(this.#contexts.for(signal));
    } catch (error) {
      return this.#stale(key, error, signal) as T;
    }
    this.#remember(key, value);
    if (this.#telemetry?.active === true) this.#report('fresh', 0);
    return value;
  }

  /** Returns a function with `fn`'s parameters whose calls are keyed by the `key` option; `this` is passed on. */
  wrap<B extends A, R>(fn: (...args: B) => R | PromiseLike<R>): (...args: B) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError(`staleCache "${this.name}": wrap(fn) needs a function`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return function (this: unknown, ...args: B): Promise<Awaited<R>> {
      return self.execute(() => fn.apply(this, args), { key: self.#key(...args) }) as Promise<Awaited<R>>;
    };
  }

  /** A `Policy` bound to one key, for use in `pipeline(...)`. */
  forKey(key: string): Policy {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return {
      execute: <T>(fn: Protected<T>, options?: ExecuteOptions) => {
        let signal: AbortSignal | undefined;
        try {
          signal = options?.signal; // a throwing getter or proxy rejects the call
        } catch (error) {
          return Promise.reject(error);
        }
        return self.execute(fn, { key, signal });
      },
      wrap: <B extends unknown[], R>(fn: (...args: B) => R | PromiseLike<R>) =>
        function (this: unknown, ...args: B): Promise<Awaited<R>> {
          return self.execute(() => fn.apply(this, args), { key }) as Promise<Awaited<R>>;
        },
    };
  }

  /** Forgets one key, or everything. */
  clear(key?: string): void {
    if (key === undefined) this.#entries.clear();
    else this.#entries.delete(key);
  }

  #remember(key: string, value: unknown): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, storedAt: this.#clock.now() });
    if (this.#entries.size > this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  /**
   * Called while the stream is active: counted in place for aggregate readers (the exporters), an
   * event for event listeners; no event object is built while only exporters read the stream.
   */
  #report(result: CacheResult, index: number): void {
    const telemetry = this.#telemetry;
    if (telemetry === undefined) return;
    if (telemetry.aggregating) {
      const counts = (this.#counts ??= telemetry.policyCounter(KIND, this.name, RESULTS));
      counts[index] = (counts[index] ?? 0) + 1;
    }
    if (telemetry.callsActive) telemetry.emit({ type: 'cache', policy: this.name, kind: KIND, result });
  }

  /**
   * The stale answer to `error` for `key`, or throws `error` when there is none (a `miss`; a caller
   * abort is not reported: nobody is waiting for an answer).
   */
  #stale(key: string, error: unknown, signal: AbortSignal | undefined): unknown {
    if (isAborted(signal)) throw error;
    const entry = this.#when === undefined || this.#when(error) ? this.#entries.get(key) : undefined;
    const ageMs = entry === undefined ? 0 : this.#clock.now() - entry.storedAt;
    if (entry === undefined || ageMs >= this.ttl) {
      if (entry !== undefined) this.#entries.delete(key);
      if (this.#telemetry?.active === true) this.#report('miss', 2);
      throw error;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#onStale !== undefined) {
      try {
        const result = (this.#onStale as (event: unknown) => unknown)({ key, ageMs, error });
        warnOnRejection(result, `onStale of "${this.name}" returned a rejected promise`);
      } catch (callbackError) {
        warn(`onStale of "${this.name}" threw`, callbackError);
      }
    }
    if (this.#telemetry?.active === true) this.#report('stale', 1);
    return entry.value;
  }
}

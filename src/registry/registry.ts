import { CircuitBreaker, sourceOf } from '../breaker/circuit-breaker.js';
import { Emitter, type Disposable, type Listener } from '../core/events.js';
import { show } from '../core/validate.js';
import { processWarning } from '../core/warn.js';
import type { EvictionReason, RegistryEvents } from './events.js';
import {
  type BreakerRegistryOptions,
  resolveRegistryOptions,
  type ResolvedRegistryOptions,
} from './options.js';

interface Entry {
  readonly breaker: CircuitBreaker;
  /** Clock time of the last `get` of this key. */
  lastUsed: number;
}

/** At the cap, how many of the least recently used breakers one `get` examines for eviction. */
const EVICTION_SCAN = 64;

/**
 * One circuit breaker per key (a host, an origin, a tenant), created on first use, with memory
 * bounded whatever the traffic.
 *
 * Bounds. A breaker unused (no `get`) for `idleTtl` ms is evicted; idleness is checked lazily by
 * the registry's own operations, in a sweep that runs at most once per `idleTtl / 10` ms, so an
 * idle breaker leaves within `idleTtl * 1.1` of its last use once anything touches the registry.
 * There is no timer. At `maxBreakers`, a new key evicts the least recently used evictable
 * breaker. Only a breaker that is `closed` with no call in flight is evictable: evicting an open
 * one would forget an outage and let traffic through, and a manually `isolate`d one would forget
 * the operator. A breaker found un-evictable at the cap is moved to the back of the queue, so
 * each `get` examines at most 64 breakers and the next one looks at others.
 *
 * Overflow. When no evictable breaker is found, `get` returns a working breaker that is not
 * registered and emits `overflow`: `size` never exceeds `maxBreakers`, at the price that calls
 * for that key are not counted together until room frees up. An overflow breaker is local-only
 * and unreported: it joins neither the `fleet` nor the `telemetry` stream of the defaults (nothing
 * would ever detach it, and its name, the key's, would collide with the key's registered breaker).
 *
 * Call `get(key)` for each call rather than keeping the breaker: a `get` is what keeps it alive.
 *
 * @example
 * const breakers = new BreakerRegistry({ defaults: { failureThreshold: 5 }, maxBreakers: 1_000 });
 * await breakers.get(tenantId).execute(({ signal }) => callTenant(tenantId, { signal }));
 */
export class BreakerRegistry implements Iterable<[string, CircuitBreaker]> {
  readonly #options: ResolvedRegistryOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #events = new Emitter<RegistryEvents>('BreakerRegistry');
  readonly #sweepEvery: number;
  #nextSweep: number;
  #warnedLocalOnly = false;

  constructor(options: BreakerRegistryOptions = {}) {
    this.#options = resolveRegistryOptions(options);
    this.#sweepEvery = this.#options.idleTtl / 10;
    this.#nextSweep = this.#options.clock.now() + this.#sweepEvery;
  }

  /** Most breakers held at once. */
  get maxBreakers(): number {
    return this.#options.maxBreakers;
  }

  /** The breaker of `key`, created with the defaults on first use; marks it recently used. */
  get(key: string): CircuitBreaker {
    if (typeof key !== 'string') {
      throw new TypeError(`BreakerRegistry.get(key): key must be a string (got ${typeof key})`);
    }
    const now = this.#options.clock.now();
    this.#sweepIfDue(now);
    const entries = this.#entries;
    const entry = entries.get(key);
    if (entry !== undefined) {
      entry.lastUsed = now;
      entries.delete(key); // re-insert: a Map iterates in insertion order, oldest first
      entries.set(key, entry);
      return entry.breaker;
    }
    if (entries.size >= this.#options.maxBreakers && !this.#evictForRoom()) return this.#overflow(key);
    const breaker = this.#create(key, this.#options.defaults);
    entries.set(key, { breaker, lastUsed: now });
    if (this.#events.has('added')) this.#events.emit('added', { key, breaker });
    return breaker;
  }

  /** The breaker of `key` if registered, without creating it or marking it used. */
  peek(key: string): CircuitBreaker | undefined {
    this.#sweepIfDue(this.#options.clock.now());
    return this.#entries.get(key)?.breaker;
  }

  /** True when `key` has a registered breaker. */
  has(key: string): boolean {
    this.#sweepIfDue(this.#options.clock.now());
    return this.#entries.has(key);
  }

  /** Breakers registered now (never more than `maxBreakers`). */
  get size(): number {
    this.#sweepIfDue(this.#options.clock.now());
    return this.#entries.size;
  }

  /** Removes the breaker of `key`, whatever its state; returns whether there was one. */
  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#remove(key, entry, 'delete');
    return true;
  }

  /** Removes every breaker. */
  clear(): void {
    for (const [key, entry] of this.#entries) this.#remove(key, entry, 'clear');
  }

  /** Evicts every breaker idle for `idleTtl` now, without waiting for the next lazy sweep; returns how many. */
  prune(): number {
    const now = this.#options.clock.now();
    this.#nextSweep = now + this.#sweepEvery;
    const idleTtl = this.#options.idleTtl;
    let evicted = 0;
    for (const [key, entry] of this.#entries) {
      if (now - entry.lastUsed >= idleTtl && evictable(entry.breaker)) {
        this.#remove(key, entry, 'idle');
        evicted++;
      }
    }
    return evicted;
  }

  /** `[key, breaker]` pairs, least recently used first, for exporters and dashboards. */
  *entries(): IterableIterator<[string, CircuitBreaker]> {
    this.#sweepIfDue(this.#options.clock.now());
    for (const [key, entry] of this.#entries) yield [key, entry.breaker];
  }

  /** Same as {@link BreakerRegistry.entries}. */
  [Symbol.iterator](): IterableIterator<[string, CircuitBreaker]> {
    return this.entries();
  }

  /** Subscribes to `added`, `evicted` or `overflow`; the returned handle unsubscribes. */
  on<K extends keyof RegistryEvents>(event: K, listener: Listener<RegistryEvents[K]>): Disposable {
    return this.#events.on(event, listener);
  }

  /**
   * A breaker for `key` that is not registered. It never joins the defaults' fleet: nothing would
   * ever detach it, so each one would hold a subscription and sync timers for good. Nor their
   * telemetry stream: names are identities there, and the key's registered breaker may come back.
   */
  #overflow(key: string): CircuitBreaker {
    const { fleet, telemetry, ...local } = this.#options.defaults;
    const breaker = this.#create(key, local);
    // A `create` that reports into the defaults' stream anyway leaves it again.
    telemetry?.unregister(breaker);
    const attached = breaker.fleet;
    // A `create` that attaches a fleet of its own is detached too.
    if (attached !== undefined) void attached.close().catch(() => undefined);
    const localOnly = fleet !== undefined || attached !== undefined;
    if (this.#events.has('overflow')) this.#events.emit('overflow', { key, breaker, localOnly });
    else if (localOnly && !this.#warnedLocalOnly) {
      this.#warnedLocalOnly = true;
      processWarning(
        `BreakerRegistry: the registry is full (maxBreakers ${this.#options.maxBreakers}) of breakers it may not evict; ` +
          `the breaker for "${key}" and further overflow breakers are local-only (not attached to the fleet). ` +
          "Listen for 'overflow' or raise maxBreakers.",
        'BreakwaterRegistryWarning',
      );
    }
    return breaker;
  }

  #create(key: string, defaults: ResolvedRegistryOptions['defaults']): CircuitBreaker {
    const o = this.#options;
    const name = o.prefix === undefined ? key : `${o.prefix}:${key}`;
    const options = { ...defaults, name, clock: defaults.clock ?? o.clock };
    if (o.create === undefined) return new CircuitBreaker(options);
    const breaker = o.create(key, options);
    if (!isBreaker(breaker)) {
      throw new TypeError(
        `BreakerRegistry: create("${key}") must return a CircuitBreaker (got ${show(breaker)})`,
      );
    }
    return breaker;
  }

  #sweepIfDue(now: number): void {
    if (now >= this.#nextSweep && this.#entries.size > 0) this.prune();
  }

  /** Evicts the least recently used evictable breaker among the oldest few; false if none was. */
  #evictForRoom(): boolean {
    const entries = this.#entries;
    let held: [string, Entry][] | undefined;
    let found = false;
    for (const pair of entries) {
      if (evictable(pair[1].breaker)) {
        this.#remove(pair[0], pair[1], 'capacity');
        found = true;
        break;
      }
      (held ??= []).push(pair);
      if (held.length === EVICTION_SCAN) break;
    }
    // Held ones (open, in flight...) go to the back, so the next scan looks at others.
    if (held !== undefined) {
      for (const [key, entry] of held) {
        entries.delete(key);
        entries.set(key, entry);
      }
    }
    return found;
  }

  #remove(key: string, entry: Entry, reason: EvictionReason): void {
    this.#entries.delete(key);
    // An evicted breaker leaves the telemetry stream too, so exporters drop its label sets.
    const source = sourceOf(entry.breaker);
    if (source !== undefined) this.#options.defaults.telemetry?.unregister(source);
    // ... and its fleet attachment (timers, subscription) is released.
    void entry.breaker.fleet?.close().catch(() => undefined);
    if (this.#events.has('evicted')) this.#events.emit('evicted', { key, breaker: entry.breaker, reason });
  }
}

/** Duck-typed, so that a breaker from another copy of the package is accepted. */
function isBreaker(value: unknown): value is CircuitBreaker {
  const b = value as Partial<CircuitBreaker> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.execute === 'function' &&
    typeof b.reset === 'function' &&
    'stats' in b
  );
}

/** Only a closed breaker with nothing in flight may go: anything else holds information. */
function evictable(breaker: CircuitBreaker): boolean {
  return breaker.state === 'closed' && breaker.stats.inFlight === 0;
}

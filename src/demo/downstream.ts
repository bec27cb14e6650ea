/**
 * How a demo service calls the next one. Two implementations of one interface, one per mode:
 * a plain timeout, or the library's own parts — `createFetch` from `breakwater/fetch` (one
 * circuit breaker per origin, whose timeout aborts the request) with a fallback policy outside
 * it, the order the README recommends: fallback → breaker. Service C answers from a
 * `staleCache`, service A with a degraded answer through `fallback`.
 */
import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../breaker/options.js';
import type { StateName } from '../breaker/state-machine.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Telemetry } from '../core/telemetry.js';
import { type BreakerFetch, createFetch } from '../fetch/create-fetch.js';
import { fallback, type FallbackPolicy } from '../policies/fallback.js';
import { type StaleCache, staleCache } from '../policies/stale-cache.js';
import { BreakerRegistry } from '../registry/registry.js';
import { type Answer, getJson } from './http.js';

/** The next service, as seen from the one calling it. */
export interface Downstream {
  /** Fetches `path` from the next service; `signal` is the inbound request's (client gone). */
  get(path: string, signal: AbortSignal): Promise<Answer>;
}

/** Timeouts only: the call is aborted after `timeoutMs`, and its error goes up as it is. */
export function timeoutOnly(base: string, timeoutMs: number, clock: Clock = systemClock): Downstream {
  return {
    async get(path, signal) {
      const controller = new AbortController();
      const onAbort = (): void => {
        controller.abort(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const timer = clock.setTimeout(() => {
        controller.abort(new Error(`timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      try {
        return await getJson(base + path, controller.signal);
      } finally {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
      }
    },
  };
}

/** The breaker settings of every protected hop: open at a 50 % failure rate over the last 20 calls. */
export function hopBreakerOptions(
  timeoutMs: number,
  recoveryMs: number,
): Omit<CircuitBreakerOptions, 'name' | 'initialState'> {
  return {
    timeout: timeoutMs,
    failureThreshold: Infinity,
    failureRateThreshold: 0.5,
    minimumCalls: 10,
    window: { type: 'count', size: 20 },
    recoveryTimeout: recoveryMs,
    halfOpenRequests: 2,
    successThreshold: 2,
  };
}

/** Options of a {@link ProtectedHop}. */
export interface ProtectedHopOptions {
  /** The hop, as the report names it (`A->B`); breaker names are `${name}:${origin}`. */
  readonly name: string;
  /** Base URL of the next service. */
  readonly base: string;
  /** Breaker options of the hop (see {@link hopBreakerOptions}). */
  readonly breaker: Omit<CircuitBreakerOptions, 'name' | 'initialState'>;
  /** `stale-cache`: answer from the last good answer younger than `staleMaxAgeMs`; `default`: a degraded answer. */
  readonly fallback?: 'stale-cache' | 'default';
  /** Oldest cached answer served (`stale-cache`). */
  readonly staleMaxAgeMs?: number;
  /** Where the hop's breakers report (the dashboard reads it). */
  readonly telemetry?: Telemetry;
  /** Called on every state change of the hop's breaker. */
  readonly onTransition?: (change: { from: StateName; to: StateName; reason: string }) => void;
  readonly clock?: Clock;
}

/** A protected hop: the next service through `createFetch`, with an optional fallback outside it. */
export class ProtectedHop implements Downstream {
  /** The hop's name (`A->B`). */
  readonly name: string;
  /** The per-origin breakers of the hop's fetch (one origin here: the next service). */
  readonly registry: BreakerRegistry;
  readonly #base: string;
  readonly #origin: string;
  readonly #fetch: BreakerFetch;
  readonly #cache: StaleCache | undefined;
  readonly #default: FallbackPolicy<null> | undefined;

  constructor(o: ProtectedHopOptions) {
    this.name = o.name;
    this.#base = o.base;
    this.#origin = new URL(o.base).origin;
    const clock = o.clock ?? systemClock;
    this.registry = new BreakerRegistry({
      defaults: o.telemetry === undefined ? o.breaker : { ...o.breaker, telemetry: o.telemetry },
      prefix: o.name,
      clock,
    });
    const onTransition = o.onTransition;
    if (onTransition !== undefined) {
      this.registry.on('added', ({ breaker }) => {
        breaker.on('stateChange', onTransition);
      });
    }
    // Created now rather than on the first call, so that the dashboard lists it from the start.
    this.registry.get(this.#origin);
    this.#fetch = createFetch({ registry: this.registry });
    if (o.fallback === 'stale-cache') {
      this.#cache = staleCache({
        ttl: o.staleMaxAgeMs ?? 60_000,
        name: `${o.name} stale cache`,
        clock,
        ...(o.telemetry === undefined ? {} : { telemetry: o.telemetry }),
      });
    } else if (o.fallback === 'default') {
      this.#default = fallback(null, {
        name: `${o.name} default answer`,
        ...(o.telemetry === undefined ? {} : { telemetry: o.telemetry }),
      });
    }
  }

  /** The hop's breaker, once the first call has created it. */
  get breaker(): CircuitBreaker | undefined {
    return this.registry.peek(this.#origin);
  }

  /** State of the hop's breaker (`closed` before the first call). */
  get state(): StateName {
    return this.breaker?.state ?? 'closed';
  }

  /** Back to closed, with an empty window, for every breaker of the hop. */
  reset(): void {
    for (const [, breaker] of this.registry) breaker.reset();
  }

  async get(path: string, signal: AbortSignal): Promise<Answer> {
    const call = ({ signal: callSignal }: { signal: AbortSignal }): Promise<Answer> =>
      getJson(this.#base + path, callSignal, this.#fetch);
    if (this.#cache !== undefined) {
      // The call settles either with the live answer or with a cached one: tell them apart.
      const live = { answer: undefined as Answer | undefined };
      const answer = await this.#cache.execute(async (context) => (live.answer = await call(context)), {
        key: path,
        signal,
      });
      return answer === live.answer ? answer : { ...answer, degraded: true, source: 'stale-cache' };
    }
    if (this.#default !== undefined) {
      const answer = await this.#default.execute(call, { signal });
      return answer ?? { id: path.slice(path.lastIndexOf('/') + 1), degraded: true, source: 'default' };
    }
    return call({ signal });
  }
}

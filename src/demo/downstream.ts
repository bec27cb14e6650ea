/**
 * How a demo service calls the next one. Two implementations of one interface, one per mode:
 * a plain timeout, or a {@link CircuitBreaker} (whose timeout aborts the request) with an
 * optional fallback outside it, the order the README recommends: fallback → breaker.
 *
 * The protected form is written with `CircuitBreaker` directly; `createFetch` from
 * `breakwater/fetch` (one breaker per origin) can replace `#call`, and the `staleCache` /
 * `fallback` policies can replace the `fallback` function.
 */
import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { CircuitBreakerOptions } from '../breaker/options.js';
import { type Clock, systemClock } from '../core/clock.js';
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

/** Answers instead of an error (the error may be a `CircuitOpenError`); throwing passes it on. */
export type Fallback = (error: unknown, path: string) => Answer;

/** A breaker at the hop, plus an optional fallback. */
export class BreakerDownstream implements Downstream {
  readonly breaker: CircuitBreaker;
  readonly #base: string;
  readonly #fallback: Fallback | undefined;
  readonly #onSuccess: ((path: string, answer: Answer) => void) | undefined;

  constructor(
    base: string,
    options: CircuitBreakerOptions,
    fallback?: Fallback,
    onSuccess?: (path: string, answer: Answer) => void,
  ) {
    this.#base = base;
    this.breaker = new CircuitBreaker(options);
    this.#fallback = fallback;
    this.#onSuccess = onSuccess;
  }

  async get(path: string, signal: AbortSignal): Promise<Answer> {
    let answer: Answer;
    try {
      answer = await this.#call(path, signal);
    } catch (error) {
      if (this.#fallback === undefined || signal.aborted) throw error;
      return this.#fallback(error, path);
    }
    this.#onSuccess?.(path, answer);
    return answer;
  }

  #call(path: string, signal: AbortSignal): Promise<Answer> {
    return this.breaker.execute(({ signal: callSignal }) => getJson(this.#base + path, callSignal), {
      signal,
    });
  }
}

/** The breaker settings of every protected hop: open at a 50 % failure rate over the last 20 calls. */
export function hopBreakerOptions(
  name: string,
  timeoutMs: number,
  recoveryMs: number,
): CircuitBreakerOptions {
  return {
    name,
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

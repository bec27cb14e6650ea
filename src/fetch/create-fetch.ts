import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import type { BreakerRegistry } from '../registry/index.js';
import { HttpStatusError, isHttpStatusError } from './http-status-error.js';
import { type CreateFetchOptions, resolveFetchOptions, type ResolvedFetchOptions } from './options.js';
import { honoursRetryAfter, retryAfterMs } from './retry-after.js';

/** A protected `fetch`, with the registry that holds its per-origin breakers. */
export interface BreakerFetch {
  (input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** The per-origin breakers, keyed by origin (`https://api.example.com`). */
  readonly registry: BreakerRegistry;
}

/**
 * Returns a `fetch` that runs every request through the circuit breaker of its origin.
 *
 * - Failures: network errors, timeouts, and responses whose status `isFailureStatus` accepts
 *   (5xx and 429 by default). Other statuses, 404 included, are answers, not failures.
 * - Responses come back unchanged, failure statuses included: same object, body unread. When the
 *   circuit is open the fetch rejects with `CircuitOpenError` without sending anything.
 * - `Retry-After` (seconds or HTTP date) on a 429 or 503 that leaves the circuit open keeps it
 *   open that long, at most `retryAfterCap` ms.
 * - `init.signal` (or the `Request`'s signal) cancels the call; the fetch underneath receives a
 *   signal that also aborts when the breaker's timeout expires. `init.dispatcher` and every other
 *   `init` field pass through untouched; nothing global (such as undici's dispatcher) is changed.
 *
 * @example
 * const fetch = createFetch({ breaker: { failureThreshold: 5, recoveryTimeout: 30_000 }, timeout: 5_000 });
 * const response = await fetch('https://api.example.com/orders/42'); // a 503 is returned, and counted
 */
export function createFetch(options: CreateFetchOptions = {}): BreakerFetch {
  const o = resolveFetchOptions(options);
  const protectedFetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    run(o, input, init);
  return Object.defineProperty(protectedFetch, 'registry', {
    value: o.registry,
    enumerable: true,
  }) as BreakerFetch;
}

async function run(
  o: ResolvedFetchOptions,
  input: string | URL | Request,
  init: RequestInit | undefined,
): Promise<Response> {
  const isRequest = isRequestLike(input);
  const url = new URL(isRequest ? input.url : String(input));
  const key = url.origin === 'null' ? url.protocol : url.origin;
  const callerSignal = init?.signal ?? (isRequest ? input.signal : undefined);
  let held: Response | undefined; // the last failure response, returned if nothing better comes

  const attempt = async (signal: AbortSignal | undefined): Promise<Response> => {
    discard(held);
    held = undefined;
    const breaker = o.registry.get(key);
    // A retried Request needs a fresh body each time; the caller's copy stays unread.
    const request = o.retry !== undefined && isRequest ? input.clone() : input;
    try {
      return await breaker.execute(
        async (context) => {
          const response = await o.fetch(request, { ...init, signal: follow(context.signal, signal) });
          if (o.isFailureStatus(response.status, response)) throw new HttpStatusError(breaker.name, response);
          return response;
        },
        signal === undefined ? undefined : { signal },
      );
    } catch (error) {
      if (isHttpStatusError(error)) {
        held = error.response;
        extendForRetryAfter(o, breaker, error.response);
      }
      throw error;
    }
  };

  try {
    return await (o.retry === undefined
      ? attempt(callerSignal ?? undefined)
      : o.retry.execute(
          ({ signal }) => attempt(signal),
          callerSignal == null ? undefined : { signal: callerSignal },
        ));
  } catch (error) {
    // Outcomes travel as errors inside; at the edge a failure status is the response itself.
    if (isHttpStatusError(error) && error.response === held) return error.response;
    discard(held);
    throw error;
  }
}

/** A `Request`, from this runtime's fetch or another implementation (such as npm undici). */
function isRequestLike(input: string | URL | Request): input is Request {
  return (
    typeof input === 'object' &&
    !(input instanceof URL) &&
    typeof (input as Partial<Request>).url === 'string'
  );
}

/**
 * The signal for the fetch underneath: the breaker's (timeout or abort), and also the caller's,
 * which must still reach the body after the breaker has seen the headers and let go.
 */
function follow(breakerSignal: AbortSignal, caller: AbortSignal | undefined): AbortSignal {
  return caller === undefined || caller === breakerSignal
    ? breakerSignal
    : AbortSignal.any([breakerSignal, caller]);
}

function extendForRetryAfter(o: ResolvedFetchOptions, breaker: CircuitBreaker, response: Response): void {
  if (o.retryAfterCap === 0 || !honoursRetryAfter(response.status)) return;
  const ms = retryAfterMs(response.headers);
  if (ms !== undefined) breaker.extendOpen(Math.min(ms, o.retryAfterCap));
}

/** Frees the connection of a response nobody will read. */
function discard(response: Response | undefined): void {
  response?.body?.cancel().catch(() => undefined);
}

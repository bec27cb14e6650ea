import type { BreakerRegistry, CircuitBreaker } from '../index.js';
import { HttpStatusError, isHttpStatusError } from './http-status-error.js';
import { type CreateFetchOptions, resolveFetchOptions, type ResolvedFetchOptions } from './options.js';
import { isRedirectStatus, nextHop } from './redirect.js';
import { type Hop, isRequestLike, parseCall } from './request.js';
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
 * - Redirects are followed here, one hop at a time (the fetch underneath gets `redirect: 'manual'`),
 *   so each hop goes through, and is judged by, the breaker of the origin it is sent to. The
 *   caller's `redirect` mode (`'follow'`, `'error'`, `'manual'`) and fetch's redirect rules hold.
 * - A failure response the caller does not get (a fallback answered, a retry discarded it) and the
 *   body of every redirect followed are cancelled, so their connections are freed.
 * - `init.signal` (or the `Request`'s signal) cancels the call; the fetch underneath receives a
 *   signal that also aborts when the breaker's timeout expires. `init.dispatcher` and every other
 *   `init` field pass through untouched; nothing global (such as undici's dispatcher) is changed.
 *   Bad arguments (an `init` that is not an object, a `signal` that is not an `AbortSignal`)
 *   reject with a `TypeError` and reach no breaker.
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

async function run(o: ResolvedFetchOptions, input: string | URL | Request, init: unknown): Promise<Response> {
  const call = parseCall(input, init);
  const callerSignal = call.signal;
  const request = isRequestLike(input) ? input : undefined;
  // A 307 or 308 resends a Request's body: an unread copy is kept for it.
  const needsSpare =
    call.redirect === 'follow' &&
    request !== undefined &&
    request.body !== null &&
    call.first.init.body == null;
  let held: Response | undefined; // the last failure response, returned if nothing better comes

  /** One hop through the breaker of the origin it goes to. */
  const send = async (hop: Hop, redirected: boolean, signal: AbortSignal | undefined): Promise<Response> => {
    const breaker = o.registry.get(hop.key);
    let failure: Response | undefined;
    try {
      const result = await breaker.execute(
        async (context) => {
          const response = await o.fetch(hop.input, {
            ...hop.init,
            redirect: 'manual',
            signal: follow(context.signal, signal),
          });
          if (redirected) markRedirected(response);
          if (o.isFailureStatus(response.status, response)) {
            failure = response;
            throw new HttpStatusError(breaker.name, response);
          }
          return response;
        },
        signal === undefined ? undefined : { signal },
      );
      release(failure, result); // a fallback answered instead
      return result;
    } catch (error) {
      if (isHttpStatusError(error)) {
        held = error.response;
        extendForRetryAfter(o, breaker, error.response);
      }
      release(failure, held);
      throw error;
    }
  };

  /** The whole redirect chain, each hop judged by its own origin's breaker. */
  const attempt = async (signal: AbortSignal | undefined): Promise<Response> => {
    discard(held);
    held = undefined;
    const spare = needsSpare ? request.clone() : undefined;
    // A retried Request needs a fresh body each time; the caller's copy stays unread.
    let hop: Hop =
      request !== undefined && (o.retry !== undefined || needsSpare)
        ? { ...call.first, input: request.clone() }
        : call.first;
    for (let followed = 0; ; followed++) {
      const response = await send(hop, followed > 0, signal);
      if (call.redirect === 'manual' || !isRedirectStatus(statusOf(response))) return response;
      const location = response.headers.get('location');
      if (call.redirect === 'follow' && location === null) return response;
      discard(response); // a redirect nobody will read
      if (call.redirect === 'error') {
        throw new TypeError(
          `createFetch: ${hop.url.href} redirected (${response.status}) and redirect is 'error'`,
        );
      }
      hop = await nextHop(hop, response.status, location ?? '', followed, spare);
    }
  };

  try {
    const result = await (o.retry === undefined
      ? attempt(callerSignal)
      : o.retry.execute(
          ({ signal }) => attempt(signal),
          callerSignal === undefined ? undefined : { signal: callerSignal },
        ));
    release(held, result); // the retry policy answered otherwise (its own fallback)
    return result;
  } catch (error) {
    // Outcomes travel as errors inside; at the edge a failure status is the response itself.
    if (isHttpStatusError(error) && error.response === held) return error.response;
    discard(held);
    throw error;
  }
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

/** Discards `response` unless it is what the caller gets (`kept`), or its body flows on in it. */
function release(response: Response | undefined, kept: unknown): void {
  if (response === undefined || response === kept) return;
  if (response.body !== null && (kept as Partial<Response> | null | undefined)?.body === response.body)
    return;
  discard(response);
}

/** A response reached through redirects says so, as fetch's own does. */
function markRedirected(response: unknown): void {
  if (typeof response === 'object' && response !== null && !(response as Response).redirected) {
    Object.defineProperty(response, 'redirected', { value: true, configurable: true });
  }
}

function statusOf(value: unknown): unknown {
  return typeof value === 'object' && value !== null ? (value as { status?: unknown }).status : undefined;
}

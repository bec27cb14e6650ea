/**
 * `breakwater/fetch`: a `fetch` with one circuit breaker per origin.
 *
 * @packageDocumentation
 */
export { createFetch, type BreakerFetch } from './create-fetch.js';
export {
  defaultIsFailureStatus,
  type CreateFetchOptions,
  type ExecutingPolicy,
  type FetchFunction,
} from './options.js';
export { HttpStatusError, isHttpStatusError } from './http-status-error.js';
export { retryAfterMs } from './retry-after.js';

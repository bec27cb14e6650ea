/**
 * `Retry-After` (RFC 9110 §10.2.3): either a number of seconds or an HTTP date. A date is read
 * relative to the response's own `Date` header, which an origin server with a clock must send,
 * so the local clock (and its skew) plays no part; a date without a `Date` header is ignored.
 */

const SECONDS = /^\d+$/;

/** Ms the response asks the client to wait, or `undefined` when it does not say (or says it badly). */
export function retryAfterMs(headers: Headers): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (SECONDS.test(value)) return Number(value) * 1_000;
  const at = Date.parse(value);
  const date = headers.get('date');
  const base = date === null ? Number.NaN : Date.parse(date);
  if (Number.isNaN(at) || Number.isNaN(base)) return undefined;
  return Math.max(0, at - base);
}

/** The statuses whose `Retry-After` lengthens the open period. */
export function honoursRetryAfter(status: number): boolean {
  return status === 429 || status === 503;
}

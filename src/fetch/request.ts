/**
 * What a protected fetch reads from its arguments, once, before any breaker sees the call: a
 * caller's mistake (an `init` that is not an object, a getter that throws, a `signal` that is not
 * an `AbortSignal`, an unknown `redirect` mode) rejects the call and is never counted against the
 * origin.
 */

/** How redirects are handled, as in fetch: `'follow'` (default), `'error'` or `'manual'`. */
export type RedirectMode = 'follow' | 'error' | 'manual';

/** One request of a redirect chain: where it goes, and the fetch arguments that send it there. */
export interface Hop {
  readonly url: URL;
  /** The key of the breaker that judges this hop: the URL's origin (its scheme when opaque). */
  readonly key: string;
  readonly input: string | URL | Request;
  /** The caller's `init` fields; the protected fetch sets `signal` and `redirect` itself. */
  readonly init: RequestInit;
}

/** The call, read and checked. */
export interface ParsedCall {
  readonly first: Hop;
  /** The caller's signal (`init.signal`, else the `Request`'s), or `undefined`. */
  readonly signal: AbortSignal | undefined;
  readonly redirect: RedirectMode;
}

/**
 * `RequestInit` members read through the prototype chain too, so that an `init` whose fields are
 * getters (a `Request` passed as `init`) is read as fetch reads it; other own fields pass through.
 */
const INIT_KEYS = [
  'body',
  'cache',
  'credentials',
  'dispatcher',
  'duplex',
  'headers',
  'integrity',
  'keepalive',
  'method',
  'mode',
  'priority',
  'redirect',
  'referrer',
  'referrerPolicy',
  'signal',
  'window',
] as const;

const MODES: readonly string[] = ['follow', 'error', 'manual'];

/** Reads `input` and `init` as fetch would. Throws a `TypeError` naming what was wrong. */
export function parseCall(input: string | URL | Request, rawInit: unknown): ParsedCall {
  const init = readInit(rawInit);
  const request = isRequestLike(input) ? input : undefined;
  const url = new URL(isRequestLike(input) ? input.url : String(input));
  const signal = init.signal === undefined ? request?.signal : init.signal;
  if (signal !== undefined && signal !== null && !(signal instanceof AbortSignal)) {
    throw new TypeError(`createFetch: signal must be an AbortSignal (got ${describe(signal)})`);
  }
  const redirect: unknown = init.redirect ?? request?.redirect ?? 'follow';
  if (typeof redirect !== 'string' || !MODES.includes(redirect)) {
    throw new TypeError(
      `createFetch: redirect must be 'follow', 'error' or 'manual' (got ${describe(redirect)})`,
    );
  }
  return {
    first: { url, key: keyOf(url), input, init },
    signal: signal ?? undefined,
    redirect: redirect as RedirectMode,
  };
}

/** The breaker key of a URL: its origin, or its scheme when the origin is opaque (`data:`...). */
export function keyOf(url: URL): string {
  return url.origin === 'null' ? url.protocol : url.origin;
}

/** A `Request`, from this runtime's fetch or another implementation (such as npm undici). */
export function isRequestLike(input: unknown): input is Request {
  return (
    typeof input === 'object' &&
    input !== null &&
    !(input instanceof URL) &&
    typeof (input as Partial<Request>).url === 'string'
  );
}

/** A copy of `init` (fetch treats `undefined` and `null` as no options; anything else not an object is an error). */
function readInit(init: unknown): RequestInit {
  if (init === undefined || init === null) return {};
  if (typeof init !== 'object' && typeof init !== 'function') {
    throw new TypeError(`createFetch: init must be an object (got ${describe(init)})`);
  }
  const copy: Record<string, unknown> = { ...init };
  for (const key of INIT_KEYS) {
    if (!Object.hasOwn(copy, key)) {
      const value = (init as Record<string, unknown>)[key];
      if (value !== undefined) copy[key] = value;
    }
  }
  return copy;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'object')
    return (value as { constructor?: { name?: string } }).constructor?.name ?? 'an object';
  return typeof value;
}

/**
 * Redirects, followed one hop at a time so that each hop is judged by the breaker of the origin
 * that answered it. The rules are those of the Fetch standard's "HTTP-redirect fetch":
 *
 * - at most 20 redirects; a `Location` that does not parse, or is not http(s), fails the fetch;
 * - 301 and 302 turn a POST into a GET without a body, 303 turns anything but GET and HEAD into a
 *   GET without a body (the `content-*` headers of the body go with it); 307 and 308 resend the
 *   method and the body, which must therefore be one fetch can send again (not a stream);
 * - a redirect to another origin drops `authorization`, `proxy-authorization`, `cookie` and
 *   `host`, as Node's fetch does;
 * - a `Location` without a fragment keeps the current one.
 */
import { type Hop, isRequestLike, keyOf } from './request.js';

/** The most redirects one fetch follows, as in fetch. */
export const MAX_REDIRECTS = 20;

const BODY_HEADERS = ['content-encoding', 'content-language', 'content-location', 'content-type'];
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];

/** 301, 302, 303, 307, 308. */
export function isRedirectStatus(status: unknown): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

/**
 * The hop a redirect leads to. `followed` counts the redirects before this one; `spare` is an
 * unread copy of a `Request` input's body, for a 307 or 308. Throws a `TypeError` where fetch
 * would fail with a network error.
 */
export async function nextHop(
  from: Hop,
  status: number,
  location: string,
  followed: number,
  spare: Request | undefined,
): Promise<Hop> {
  let url: URL;
  try {
    url = new URL(location, from.url);
  } catch {
    throw new TypeError(`createFetch: ${from.url.href} redirected to an invalid URL (${location})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`createFetch: ${from.url.href} redirected to a non-HTTP URL (${url.href})`);
  }
  if (followed >= MAX_REDIRECTS) {
    throw new TypeError(`createFetch: more than ${MAX_REDIRECTS} redirects (the last from ${from.url.href})`);
  }
  if (url.hash === '' && from.url.hash !== '') url.hash = from.url.hash;

  const request = isRequestLike(from.input) ? from.input : undefined;
  let method = from.init.method ?? request?.method ?? 'GET';
  const upper = method.toUpperCase(); // fetch compares normalized methods
  const headers = new Headers(from.init.headers ?? request?.headers);
  let body: BodyInit | null = from.init.body ?? null;
  const fromRequest = body === null && request !== undefined && request.body !== null;
  if (status !== 303 && body !== null && !replayable(body)) {
    throw new TypeError(
      `createFetch: ${from.url.href} answered ${status}, which resends the body, but a stream body cannot be sent twice`,
    );
  }
  if (
    ((status === 301 || status === 302) && upper === 'POST') ||
    (status === 303 && upper !== 'GET' && upper !== 'HEAD')
  ) {
    method = 'GET';
    body = null;
    for (const name of BODY_HEADERS) headers.delete(name);
  } else if (fromRequest && spare !== undefined) {
    body = await spare.arrayBuffer();
  }
  if (url.origin !== from.url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
  return { url, key: keyOf(url), input: url.href, init: { ...from.init, method, headers, body } };
}

/** A body fetch can extract again: anything but a stream or an async iterable. */
function replayable(body: BodyInit): boolean {
  return !(
    typeof body === 'object' &&
    (body instanceof ReadableStream ||
      Symbol.asyncIterator in body ||
      typeof (body as { getReader?: unknown }).getReader === 'function')
  );
}

/**
 * Who may read the dashboard.
 *
 * - **Host allow-list.** A page on another site can point its own name at 127.0.0.1 (DNS
 *   rebinding) and then read the dashboard as a same-origin page; its requests still carry its
 *   own name in `Host`. So requests are served only when `Host` names the loopback interface
 *   (`localhost`, `127.0.0.1`, `[::1]`), an address `listen` was given, or one of the
 *   `allowedHosts`; others get 421 Misdirected Request. `allowedHosts: ['*']` turns this off (a
 *   proxy in front that checks the name itself).
 * - **Read token.** With `readToken`, every read route needs it: `Authorization: Bearer <token>`,
 *   or the cookie the page sets when first opened as `…/?token=<token>` (HttpOnly, SameSite=Strict,
 *   so the browser's event stream carries it and no other site's page can).
 */
import type { IncomingMessage } from 'node:http';
import { tokenMatches } from './control.js';

/** The names served by default. */
export const LOOPBACK_HOSTS = Object.freeze(['localhost', '127.0.0.1', '[::1]']);

/** The cookie that carries the read token. */
export const READ_COOKIE = 'breakwater_read';

/** A host name as compared: lower case, no trailing dot, IPv6 in brackets, no port. */
export function normaliseHost(name: string): string {
  let host = name.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end < 0 ? host : host.slice(0, end + 1);
  } else if (host.split(':').length > 2) {
    host = `[${host}]`; // a bare IPv6 address (only in options; a Host header brackets it)
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

/** The allow-list of `Host` names. */
export class HostAllowList {
  readonly #names: Set<string>;
  readonly #any: boolean;

  constructor(allowed: readonly string[]) {
    this.#any = allowed.includes('*');
    this.#names = new Set([...LOOPBACK_HOSTS, ...allowed.filter((h) => h !== '*').map(normaliseHost)]);
  }

  /** Adds a name (an address `listen` was given). Wildcard addresses add nothing. */
  add(name: string): void {
    const host = normaliseHost(name);
    if (host !== '0.0.0.0' && host !== '[::]' && host !== '') this.#names.add(host);
  }

  /** True when a request with this `Host` header may be served. */
  allows(header: string | undefined): boolean {
    if (this.#any) return true;
    return header !== undefined && this.#names.has(normaliseHost(header));
  }
}

/** The read token presented by a request (bearer header or cookie), if any. */
export function presentedReadToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  const bearer = auth === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (bearer?.[1] !== undefined) return bearer[1];
  const cookies = req.headers.cookie;
  if (cookies === undefined) return undefined;
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === READ_COOKIE) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** True when `req` carries the read token whose digest is `digest`. */
export function readAllowed(req: IncomingMessage, digest: Buffer): boolean {
  const token = presentedReadToken(req);
  return token !== undefined && tokenMatches(token, digest);
}

/** True when `token` is the read token whose digest is `digest`. */
export function isReadToken(token: string, digest: Buffer): boolean {
  return tokenMatches(token, digest);
}

/** The `Set-Cookie` value that hands the read token to the page's later requests. */
export function readCookie(token: string): string {
  return `${READ_COOKIE}=${encodeURIComponent(token)}; HttpOnly; SameSite=Strict`;
}

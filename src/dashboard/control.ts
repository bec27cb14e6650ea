/**
 * Manual control from the dashboard: `POST …/api/breakers/:name/isolate|reset`, allowed only when
 * the dashboard was created with `allowControl: true`, and only with `Authorization: Bearer <token>`.
 * A request without credentials gets 401, a wrong token 403, another method 405. Browsers cannot
 * send the header cross-origin without a CORS preflight, which the dashboard never grants.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Telemetry } from '../core/telemetry.js';
import { breakerSources } from '../telemetry/sources.js';

/** The actions the dashboard can take on a breaker. */
export type ControlAction = 'isolate' | 'reset';

/** Writes a JSON response. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Compares a presented token with the configured one in constant time. */
export function tokenMatches(presented: string, expected: Buffer): boolean {
  return timingSafeEqual(digest(presented), expected);
}

/** Handles a control request whose path already matched; `encodedName` is as it appeared in the path. */
export function handleControl(
  req: IncomingMessage,
  res: ServerResponse,
  telemetry: Telemetry,
  encodedName: string,
  action: ControlAction,
  control: { allowed: boolean; tokenDigest: Buffer | undefined },
): void {
  req.resume(); // the body is not used; let it drain
  if (req.method !== 'POST') {
    sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
    return;
  }
  if (!control.allowed || control.tokenDigest === undefined) {
    sendJson(res, 403, { error: 'manual control is disabled on this dashboard' });
    return;
  }
  const header = req.headers.authorization;
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match?.[1] === undefined) {
    sendJson(
      res,
      401,
      { error: 'a bearer token is required' },
      { 'www-authenticate': 'Bearer realm="breakwater"' },
    );
    return;
  }
  if (!tokenMatches(match[1], control.tokenDigest)) {
    sendJson(res, 403, { error: 'wrong token' });
    return;
  }
  let name: string;
  try {
    name = decodeURIComponent(encodedName);
  } catch {
    sendJson(res, 400, { error: 'malformed breaker name in the path' });
    return;
  }
  const targets = breakerSources(telemetry).filter((s) => s.name === name);
  if (targets.length === 0) {
    sendJson(res, 404, { error: 'no breaker with that name', name });
    return;
  }
  for (const source of targets) {
    if (action === 'isolate') source.breaker.isolate();
    else source.breaker.reset();
  }
  sendJson(res, 200, { name, action, state: targets[0]?.breaker.state, breakers: targets.length });
}

/** The digest the presented tokens are compared with. */
export function tokenDigest(token: string): Buffer {
  return digest(token);
}

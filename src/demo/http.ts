/** Small HTTP helpers shared by the demo's services and its client. */
import { type Agent, get, type ServerResponse } from 'node:http';

/** A downstream service answered with a status other than 200. */
export class HttpStatusError extends Error {
  readonly status: number;

  constructor(status: number, url: string) {
    super(`${url} answered ${status}`);
    this.status = status;
  }
}

/** The JSON body every demo service answers with. */
export interface Answer {
  readonly id: string;
  readonly price?: number;
  /** True when a fallback answered instead of the database. */
  readonly degraded: boolean;
  /** Who produced the answer: `database`, `stale-cache` (C) or `default` (A). */
  readonly source: string;
}

/**
 * GETs `url` with `fetchFn` (default: the global `fetch`, keep-alive) and parses its JSON; any
 * status but 200 throws.
 */
export async function getJson(
  url: string,
  signal: AbortSignal,
  fetchFn: (url: string, init: RequestInit) => Promise<Response> = fetch,
): Promise<Answer> {
  const response = await fetchFn(url, { signal });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new HttpStatusError(response.status, url);
  }
  return (await response.json()) as Answer;
}

/** Writes a JSON response unless the client has already gone. */
export function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A plain `http.get` over a keep-alive `agent`, for the load generator: it costs less CPU per
 * request than `fetch`, so the client measures the services rather than itself.
 */
export function clientGet(
  url: string,
  agent: Agent,
  signal: AbortSignal,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent, signal }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body });
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

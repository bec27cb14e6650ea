import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitOpenError, constant, retry } from '../../src/index.js';
import { createFetch } from '../../src/fetch/index.js';
import { waitFor } from '../support/wait.js';
import { type Loopback, Servers } from './loopback.js';

const servers = new Servers();
afterEach(() => servers.closeAll());

const reason = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A server that records each request (body included) and answers with `answer`. */
async function recording(
  answer: (seen: Seen, n: number) => { status: number; headers?: Record<string, string>; body?: string },
): Promise<Loopback & { readonly seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = await servers.start((req, res, n) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      seen.push(entry);
      const a = answer(entry, n);
      res.writeHead(a.status, a.headers).end(a.body ?? '');
    });
  });
  return Object.assign(server, { seen });
}

describe('createFetch — redirects, one breaker per hop', () => {
  it('createFetch — A redirects to a failing B: B’s breaker opens, A’s stays closed and keeps serving', async () => {
    const b = await servers.start((_req, res) => res.writeHead(500).end('broken'));
    const a = await servers.start((req, res) => {
      if (req.url === '/moved') res.writeHead(302, { location: b.url('/new') }).end('see B');
      else res.end('A is fine');
    });
    const fetch = createFetch({ breaker: { failureThreshold: 2, recoveryTimeout: 60_000 } });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(a.url('/moved'));
      expect(response.status).toBe(500);
      expect(response.url).toBe(b.url('/new'));
      expect(response.redirected).toBe(true);
      expect(await response.text()).toBe('broken');
    }
    expect(fetch.registry.get(b.origin).state).toBe('open');
    expect(fetch.registry.get(a.origin).state).toBe('closed');
    expect(fetch.registry.get(a.origin).stats.totals).toMatchObject({ failures: 0, successes: 2 });
    for (let i = 0; i < 5; i++) {
      const response = await fetch(a.url('/direct'));
      expect(await response.text()).toBe('A is fine');
    }
    // Through A again: A answers its redirect, and B's open circuit refuses the next hop.
    const error = await reason(fetch(a.url('/moved')));
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ breaker: b.origin });
    expect(b.received).toBe(2);
    expect(a.received).toBe(8);
  });

  it('createFetch — a retry runs the whole chain again, each hop through its own breaker', async () => {
    const b = await servers.start((_req, res, n) => res.writeHead(n === 1 ? 502 : 200).end(`b ${n}`));
    const a = await servers.start((_req, res) => res.writeHead(307, { location: b.url() }).end());
    const fetch = createFetch({ retry: retry({ maxAttempts: 2, backoff: constant(0) }) });
    const response = await fetch(a.url(), { method: 'POST', body: 'x' });
    expect(await response.text()).toBe('b 2');
    expect([a.received, b.received]).toEqual([2, 2]);
    expect(fetch.registry.get(a.origin).stats.totals).toMatchObject({ successes: 2, failures: 0 });
    expect(fetch.registry.get(b.origin).stats.totals).toMatchObject({ successes: 1, failures: 1 });
  });

  it('createFetch — redirect: manual returns the redirect itself; error rejects without counting a failure', async () => {
    const target = await servers.start((_req, res) => res.end('target'));
    const a = await servers.start((_req, res) => res.writeHead(301, { location: target.url() }).end());
    const fetch = createFetch({ breaker: { failureThreshold: 1 } });
    const manual = await fetch(a.url(), { redirect: 'manual' });
    expect(manual.status).toBe(301);
    expect(manual.headers.get('location')).toBe(target.url());
    const error = await reason(fetch(a.url(), { redirect: 'error' }));
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toMatch(/redirect/);
    expect(await reason(fetch(new Request(a.url(), { redirect: 'error' })))).toBeInstanceOf(TypeError);
    expect(target.received).toBe(0);
    expect(fetch.registry.get(a.origin).state).toBe('closed');
    expect(fetch.registry.get(a.origin).stats.totals.failures).toBe(0);
    expect(await (await fetch(a.url())).text()).toBe('target');
  });

  it('createFetch — 301/302 turn a POST into a GET, 303 turns a PUT into a GET, 307/308 resend method and body', async () => {
    const target = await recording(() => ({ status: 200 }));
    const from = await recording((seen) => ({
      status: Number(seen.url.slice(1)),
      headers: { location: target.url(seen.url) },
    }));
    const fetch = createFetch();
    const send = async (status: number, method: string) =>
      (
        await fetch(from.url(`/${status}`), {
          method,
          body: 'payload',
          headers: { 'content-type': 'text/plain' },
        })
      ).text();
    await send(301, 'POST');
    await send(302, 'POST');
    await send(302, 'PUT');
    await send(303, 'PUT');
    await send(307, 'POST');
    await send(308, 'PATCH');
    expect(target.seen.map((s) => [s.url, s.method, s.body, s.headers['content-type'] ?? null])).toEqual([
      ['/301', 'GET', '', null],
      ['/302', 'GET', '', null],
      ['/302', 'PUT', 'payload', 'text/plain'],
      ['/303', 'GET', '', null],
      ['/307', 'POST', 'payload', 'text/plain'],
      ['/308', 'PATCH', 'payload', 'text/plain'],
    ]);
  });

  it('createFetch — a 307 resends a Request’s body, and the caller’s Request stays unread', async () => {
    const target = await recording((seen) => ({ status: 200, body: seen.body.toUpperCase() }));
    const from = await recording(() => ({ status: 307, headers: { location: target.url('/there') } }));
    const fetch = createFetch();
    const request = new Request(from.url(), { method: 'POST', body: 'payload' });
    expect(await (await fetch(request)).text()).toBe('PAYLOAD');
    expect(request.bodyUsed).toBe(false);
    expect(from.seen[0]?.body).toBe('payload');
  });

  it('createFetch — a 307 with a stream body rejects, as fetch does', async () => {
    const target = await servers.start((_req, res) => res.end());
    const from = await servers.start((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(307, { location: target.url() }).end());
    });
    const fetch = createFetch();
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('once'));
        controller.close();
      },
    });
    const error = await reason(fetch(from.url(), { method: 'POST', body, duplex: 'half' } as RequestInit));
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).toMatch(/stream body/);
    expect(target.received).toBe(0);
  });

  it('createFetch — a cross-origin redirect drops authorization and cookie; a same-origin one keeps them', async () => {
    const other = await recording(() => ({ status: 200 }));
    const from = await recording((seen) =>
      seen.url === '/same'
        ? { status: 302, headers: { location: '/landed' } }
        : seen.url === '/landed'
          ? { status: 200 }
          : { status: 302, headers: { location: other.url('/landed') } },
    );
    const fetch = createFetch();
    const headers = { authorization: 'Bearer secret', cookie: 'id=1', 'x-keep': 'yes' };
    await (await fetch(from.url('/same'), { headers })).text();
    await (await fetch(from.url('/cross'), { headers })).text();
    const landed = from.seen.find((s) => s.url === '/landed');
    expect(landed?.headers).toMatchObject({
      authorization: 'Bearer secret',
      cookie: 'id=1',
      'x-keep': 'yes',
    });
    expect(other.seen[0]?.headers['x-keep']).toBe('yes');
    expect(other.seen[0]?.headers.authorization).toBeUndefined();
    expect(other.seen[0]?.headers.cookie).toBeUndefined();
  });

  it('createFetch — follows at most 20 redirects; a bad Location rejects; none leaves the response as it is', async () => {
    const server = await servers.start((req, res) => {
      const n = Number(req.url?.slice(1));
      if (req.url === '/bad') res.writeHead(302, { location: 'http://[' }).end();
      else if (req.url === '/ftp') res.writeHead(302, { location: 'ftp://127.0.0.1/' }).end();
      else if (req.url === '/none') res.writeHead(302).end('no location');
      else if (n > 0) res.writeHead(302, { location: `/${n - 1}` }).end();
      else res.end('arrived');
    });
    const fetch = createFetch();
    const twenty = await fetch(server.url('/20'));
    expect(await twenty.text()).toBe('arrived');
    expect(twenty.url).toBe(server.url('/0'));
    expect(await reason(fetch(server.url('/21')))).toMatchObject({ message: /more than 20 redirects/ });
    expect(await reason(fetch(server.url('/bad')))).toBeInstanceOf(TypeError);
    expect(await reason(fetch(server.url('/ftp')))).toBeInstanceOf(TypeError);
    const none = await fetch(server.url('/none'));
    expect(none.status).toBe(302);
    expect(await none.text()).toBe('no location');
    expect(fetch.registry.get(server.origin).stats.totals.failures).toBe(0);
  });
});

describe('createFetch — bodies nobody reads are cancelled', () => {
  /** A server whose failure bodies never end: only the client giving up closes the connection. */
  async function endless(status: number, headers: Record<string, string> = {}) {
    return servers.start((_req, res) => {
      res.writeHead(status, headers);
      res.write('the start of a body that never ends');
    });
  }

  it('createFetch — a failure answered by the breaker fallback has its body cancelled', async () => {
    const server = await endless(500);
    const fetch = createFetch({ breaker: { fallback: () => new Response('from cache') } });
    const response = await fetch(server.url());
    expect(await response.text()).toBe('from cache');
    await waitFor(() => server.abandoned === 1, 10_000, 'the server to see abandoned = 1');
  });

  it('createFetch — a failure replaced by an error thrown from the fallback has its body cancelled', async () => {
    const server = await endless(503);
    const why = new Error('degraded');
    const fetch = createFetch({
      breaker: {
        fallback: () => {
          throw why;
        },
      },
    });
    expect(await reason(fetch(server.url()))).toBe(why);
    await waitFor(() => server.abandoned === 1, 10_000, 'the server to see abandoned = 1');
  });

  it('createFetch — a fallback that hands the failure response on keeps its body readable', async () => {
    const server = await servers.start((_req, res) => res.writeHead(500).end('kept'));
    const fetch = createFetch({
      breaker: { fallback: (error) => new Response((error as { response: Response }).response.body) },
    });
    expect(await (await fetch(server.url())).text()).toBe('kept');
  });

  it('createFetch — a failure a retry discards has its body cancelled', async () => {
    const server = await servers.start((_req, res, n) => {
      if (n > 1) return void res.end('second try');
      res.writeHead(503);
      res.write('the start of a body that never ends');
    });
    const fetch = createFetch({ retry: retry({ maxAttempts: 2, backoff: constant(0) }) });
    expect(await (await fetch(server.url())).text()).toBe('second try');
    await waitFor(() => server.abandoned === 1, 10_000, 'the server to see abandoned = 1');
  });

  it('createFetch — the body of a redirect is cancelled before the next hop', async () => {
    const target = await servers.start((_req, res) => res.end('target'));
    const from = await endless(302, { location: target.url() });
    const fetch = createFetch();
    expect(await (await fetch(from.url())).text()).toBe('target');
    await waitFor(() => from.abandoned === 1, 10_000, 'the server to see abandoned = 1');
  });
});

describe('createFetch — bad arguments reject, never throw, never count', () => {
  it('createFetch — a signal that is not an AbortSignal rejects with a TypeError naming signal', async () => {
    const server = await servers.start((_req, res) => res.end('ok'));
    const fetch = createFetch();
    for (const signal of [{}, 'abort', 1]) {
      let pending: Promise<unknown> = Promise.resolve();
      expect(() => (pending = fetch(server.url(), { signal } as unknown as RequestInit))).not.toThrow();
      const error = await reason(pending);
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toMatch(/signal must be an AbortSignal/);
    }
    expect(server.received).toBe(0);
    expect(fetch.registry.size).toBe(0);
    // null is no signal, as in fetch
    expect(await (await fetch(server.url(), { signal: null })).text()).toBe('ok');
  });

  it('createFetch — an init that is not an object, or whose getters throw, rejects and counts nothing', async () => {
    const server = await servers.start((_req, res) => res.end('ok'));
    const fetch = createFetch({ breaker: { failureThreshold: 1 } });
    for (const init of [5, 'GET', true]) {
      const error = await reason(fetch(server.url(), init as unknown as RequestInit));
      expect(error).toBeInstanceOf(TypeError);
      expect(String(error)).toMatch(/init must be an object/);
    }
    const boom = new Error('getter threw');
    const throwing = {
      get headers(): never {
        throw boom;
      },
    };
    let pending: Promise<unknown> = Promise.resolve();
    expect(() => (pending = fetch(server.url(), throwing as RequestInit))).not.toThrow();
    expect(await reason(pending)).toBe(boom);
    const badMode = await reason(fetch(server.url(), { redirect: 'sometimes' as RequestRedirect }));
    expect(badMode).toBeInstanceOf(TypeError);
    expect(String(badMode)).toMatch(/redirect must be/);
    expect(server.received).toBe(0);
    expect(fetch.registry.size).toBe(0);
    expect(await (await fetch(server.url(), undefined)).text()).toBe('ok');
  });

  it('createFetch — an init whose fields are getters (a Request) is read as fetch reads it', async () => {
    const server = await recording((seen) => ({ status: 200, body: `${seen.method} ${seen.body}` }));
    const fetch = createFetch();
    const init = new Request(server.url(), { method: 'POST', body: 'from a getter' });
    expect(await (await fetch(server.url(), init)).text()).toBe('POST from a getter');
  });
});

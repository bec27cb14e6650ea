import { afterEach, describe, expect, it } from 'vitest';
import {
  CallTimeoutError,
  CircuitOpenError,
  type ExecuteOptions,
  type Protected,
  Telemetry,
} from '../../src/index.js';
import { createFetch, HttpStatusError, isHttpStatusError } from '../../src/fetch/index.js';
import { BreakerRegistry } from '../../src/registry/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { waitFor } from '../support/wait.js';
import { Servers } from './loopback.js';

const servers = new Servers();
afterEach(() => servers.closeAll());

const reason = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** A stand-in for a retry policy: up to `attempts` tries, never past an open circuit. */
function simpleRetry(attempts: number, seen: unknown[] = []) {
  return {
    async execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
      const signal = options?.signal ?? new AbortController().signal;
      for (let i = 1; ; i++) {
        try {
          return await fn({ signal });
        } catch (error) {
          seen.push(error);
          if (i >= attempts || error instanceof CircuitOpenError || signal.aborted) throw error;
        }
      }
    },
  };
}

describe('createFetch — failures and answers', () => {
  it('createFetch — 503s open the circuit; that origin then receives nothing while another still works', async () => {
    const down = await servers.start((_req, res) => {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('busy');
    });
    const up = await servers.start((_req, res) => res.end('fine'));
    const fetch = createFetch({ breaker: { failureThreshold: 3, recoveryTimeout: 60_000 } });
    for (let i = 0; i < 3; i++) {
      const response = await fetch(down.url(`/item/${i}`));
      expect(response.status).toBe(503);
      expect(await response.text()).toBe('busy');
    }
    for (let i = 0; i < 5; i++) {
      const error = await reason(fetch(down.url('/item/x')));
      expect(error).toBeInstanceOf(CircuitOpenError);
      expect(error).toMatchObject({ breaker: down.origin, state: 'open' });
    }
    expect(down.received).toBe(3);
    expect(await (await fetch(up.url())).text()).toBe('fine');
    expect(up.received).toBe(1);
    expect(fetch.registry.get(down.origin).state).toBe('open');
    expect(fetch.registry.get(up.origin).state).toBe('closed');
  });

  it('createFetch — 404s and other non-failure statuses never open the circuit', async () => {
    const server = await servers.start((_req, res) => res.writeHead(404).end('no such thing'));
    const fetch = createFetch({ breaker: { failureThreshold: 2 } });
    for (let i = 0; i < 10; i++) {
      const response = await fetch(server.url(`/missing/${i}`));
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('no such thing');
    }
    expect(server.received).toBe(10);
    const breaker = fetch.registry.get(server.origin);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.totals).toMatchObject({ successes: 10, failures: 0 });
  });

  it('createFetch — 429 is a failure; isFailureStatus can change what fails', async () => {
    const limited = await servers.start((_req, res) => res.writeHead(429).end());
    const fetch = createFetch({ breaker: { failureThreshold: 2 } });
    await fetch(limited.url());
    await fetch(limited.url());
    await expect(fetch(limited.url())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(limited.received).toBe(2);

    const missing = await servers.start((_req, res) => res.writeHead(404).end());
    const strict = createFetch({
      breaker: { failureThreshold: 1 },
      isFailureStatus: (status) => status >= 400,
    });
    expect((await strict(missing.url())).status).toBe(404);
    await expect(strict(missing.url())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(missing.received).toBe(1);
  });

  it('createFetch — returns the response unchanged: same object, status, headers, body', async () => {
    const server = await servers.start((req, res) => {
      const status = req.url === '/fail' ? 502 : 201;
      res.writeHead(status, 'Custom Text', { 'x-custom': 'yes', 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: req.url }));
    });
    const returned: Response[] = [];
    const fetch = createFetch({
      fetch: async (input, init) => {
        const response = await globalThis.fetch(input, init);
        returned.push(response);
        return response;
      },
    });
    for (const path of ['/ok', '/fail']) {
      const response = await fetch(server.url(path));
      expect(response).toBe(returned.at(-1));
      expect(response.bodyUsed).toBe(false);
      expect(response.statusText).toBe('Custom Text');
      expect(response.headers.get('x-custom')).toBe('yes');
      expect(await response.json()).toEqual({ path });
    }
    expect(returned.map((r) => r.status)).toEqual([201, 502]);
  });

  it('createFetch — a hanging server: the breaker timeout aborts the request and counts it', async () => {
    const server = await servers.start(() => {
      /* never answers */
    });
    const fetch = createFetch({ timeout: 200, breaker: { failureThreshold: 2 } });
    // The server never answers: only the 200 ms deadline can end these calls.
    for (let i = 0; i < 2; i++) {
      const error = await reason(fetch(server.url()));
      expect(error).toBeInstanceOf(CallTimeoutError);
      expect(error).toMatchObject({ timeoutMs: 200 });
    }
    await waitFor(() => server.abandoned === 2, 10_000, 'the server to see abandoned = 2'); // the fetch underneath was aborted
    await expect(fetch(server.url())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.received).toBe(2);
    expect(fetch.registry.get(server.origin).stats.totals.timeouts).toBe(2);
  });

  it('createFetch — a reset connection is a failure', async () => {
    const server = await servers.start((req) => req.socket.destroy());
    const fetch = createFetch({ breaker: { failureThreshold: 2 } });
    for (let i = 0; i < 2; i++) {
      const error = await reason(fetch(server.url()));
      expect(error).toBeInstanceOf(TypeError); // fetch's network error
    }
    await expect(fetch(server.url())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.received).toBe(2);
    expect(fetch.registry.get(server.origin).stats.totals.failures).toBe(2);
  });

  it('createFetch — one breaker per origin, shared by every path, named after the origin', async () => {
    const a = await servers.start((_req, res) => res.end());
    const b = await servers.start((_req, res) => res.end());
    const fetch = createFetch();
    await fetch(a.url('/x'));
    await fetch(new URL(a.url('/y?z=1')));
    await fetch(new Request(b.url('/z')));
    expect([...fetch.registry].map(([key, breaker]) => [key, breaker.name])).toEqual([
      [a.origin, a.origin],
      [b.origin, b.origin],
    ]);
    expect(fetch.registry.get(a.origin).stats.totals.calls).toBe(2);
  });

  it('createFetch — an invalid URL rejects with a TypeError and registers nothing', async () => {
    const fetch = createFetch();
    await expect(fetch('not a url')).rejects.toBeInstanceOf(TypeError);
    expect(fetch.registry.size).toBe(0);
  });
});

describe('createFetch — Retry-After', () => {
  async function retryAfterServer(status: number, headers: Record<string, string>) {
    return servers.start((_req, res) => res.writeHead(status, headers).end());
  }

  it('createFetch — Retry-After seconds on a 503 keeps the circuit open that long', async () => {
    const server = await retryAfterServer(503, { 'retry-after': '120' });
    const clock = new FakeClock();
    const fetch = createFetch({
      clock,
      timeout: false,
      breaker: { failureThreshold: 1, recoveryTimeout: 1_000 },
    });
    expect((await fetch(server.url())).status).toBe(503);
    const breaker = fetch.registry.get(server.origin);
    expect(breaker.stats.retryAfterMs).toBe(120_000);
    clock.advance(1_000);
    const error = await reason(fetch(server.url()));
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({ retryAfterMs: 119_000 });
    expect(server.received).toBe(1);
    clock.advance(119_000);
    expect(breaker.state).toBe('half-open');
    await fetch(server.url());
    expect(server.received).toBe(2);
  });

  it('createFetch — Retry-After as an HTTP date counts from the response Date header', async () => {
    const server = await retryAfterServer(429, {
      date: 'Wed, 21 Oct 2015 07:28:00 GMT',
      'retry-after': 'Wed, 21 Oct 2015 07:29:30 GMT',
    });
    const fetch = createFetch({ clock: new FakeClock(), timeout: false, breaker: { failureThreshold: 1 } });
    await fetch(server.url());
    expect(fetch.registry.get(server.origin).stats.retryAfterMs).toBe(90_000);
  });

  it('createFetch — a Retry-After date without a Date header is ignored (the local clock is never used)', async () => {
    const server = await servers.start((_req, res) => {
      res.sendDate = false; // Node adds a Date header unless told not to
      res.writeHead(503, { 'retry-after': new Date(Date.now() + 3_600_000).toUTCString() }).end();
    });
    const fetch = createFetch({
      clock: new FakeClock(),
      timeout: false,
      breaker: { failureThreshold: 1, recoveryTimeout: 1_000 },
    });
    const response = await fetch(server.url());
    expect(response.headers.get('date')).toBeNull();
    expect(response.headers.get('retry-after')).toMatch(/GMT$/);
    const breaker = fetch.registry.get(server.origin);
    expect(breaker.state).toBe('open');
    expect(breaker.stats.retryAfterMs).toBe(1_000); // the breaker's own open period, no longer
  });

  it('createFetch — Retry-After is capped by retryAfterCap and never shortens the open period', async () => {
    const long = await retryAfterServer(503, { 'retry-after': '100000' });
    const short = await retryAfterServer(503, { 'retry-after': '0' });
    const fetch = createFetch({
      clock: new FakeClock(),
      timeout: false,
      retryAfterCap: 5_000,
      breaker: { failureThreshold: 1, recoveryTimeout: 1_000 },
    });
    await fetch(long.url());
    await fetch(short.url());
    expect(fetch.registry.get(long.origin).stats.retryAfterMs).toBe(5_000);
    expect(fetch.registry.get(short.origin).stats.retryAfterMs).toBe(1_000);
  });

  it('createFetch — Retry-After is ignored on other statuses, while closed, and when the cap is 0', async () => {
    const other = await retryAfterServer(500, { 'retry-after': '120' });
    const once = await retryAfterServer(503, { 'retry-after': '120' });
    const clock = new FakeClock();
    const fetch = createFetch({
      clock,
      timeout: false,
      breaker: { failureThreshold: 1, recoveryTimeout: 1_000 },
    });
    await fetch(other.url());
    expect(fetch.registry.get(other.origin).stats.retryAfterMs).toBe(1_000);
    const lenient = createFetch({ clock, timeout: false, breaker: { failureThreshold: 2 } });
    await lenient(once.url());
    expect(lenient.registry.get(once.origin).state).toBe('closed'); // one failure of two: no outage yet
    const off = createFetch({
      clock,
      timeout: false,
      retryAfterCap: 0,
      breaker: { failureThreshold: 1, recoveryTimeout: 1_000 },
    });
    await off(once.url());
    expect(off.registry.get(once.origin).stats.retryAfterMs).toBe(1_000);
  });
});

describe('createFetch — signals, retry, pass-through', () => {
  it('createFetch — the caller signal cancels the request, and the cancel is not a failure', async () => {
    const server = await servers.start(() => {
      /* never answers */
    });
    const fetch = createFetch({ timeout: 10_000, breaker: { failureThreshold: 1 } });
    const controller = new AbortController();
    const pending = reason(fetch(server.url(), { signal: controller.signal }));
    await waitFor(() => server.received === 1, 10_000, 'the server to see received = 1');
    const why = new Error('user left');
    controller.abort(why);
    expect(await pending).toBe(why);
    await waitFor(() => server.abandoned === 1, 10_000, 'the server to see abandoned = 1');
    const breaker = fetch.registry.get(server.origin);
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.totals).toMatchObject({ ignored: 1, failures: 0 });
    // Already aborted: nothing is sent.
    expect(await reason(fetch(server.url(), { signal: controller.signal }))).toBe(why);
    expect(server.received).toBe(1);
  });

  it('createFetch — the caller signal of a Request is honoured too', async () => {
    const server = await servers.start(() => {
      /* never answers */
    });
    const fetch = createFetch();
    const controller = new AbortController();
    const pending = reason(fetch(new Request(server.url(), { signal: controller.signal })));
    await waitFor(() => server.received === 1, 10_000, 'the server to see received = 1');
    controller.abort(new Error('stop'));
    expect(await pending).toMatchObject({ message: 'stop' });
  });

  it('createFetch — the caller signal still reaches the body once the headers are in', async () => {
    const server = await servers.start((_req, res) => {
      res.writeHead(200);
      res.write('first chunk');
      /* the rest never comes */
    });
    const fetch = createFetch({ timeout: 10_000 });
    const controller = new AbortController();
    const response = await fetch(server.url(), { signal: controller.signal });
    const body = reason(response.text());
    controller.abort(new Error('enough'));
    expect(await body).toMatchObject({ message: 'enough' });
  }, 5_000);

  it('createFetch — a timeout does not cut a body that is still being read', async () => {
    let rest!: () => void;
    const server = await servers.start((_req, res) => {
      res.writeHead(200);
      res.write('a');
      rest = () => res.end('b');
    });
    const clock = new FakeClock();
    const fetch = createFetch({ timeout: 100, clock });
    const response = await fetch(server.url());
    const text = response.text();
    await clock.advanceAsync(1_000); // far past the deadline while the body is still coming
    rest();
    expect(await text).toBe('ab');
  });

  it('createFetch — retry: retries failure statuses and returns the first good response', async () => {
    const server = await servers.start((_req, res, n) =>
      res.writeHead(n < 3 ? 503 : 200).end(`attempt ${n}`),
    );
    const seen: unknown[] = [];
    const fetch = createFetch({ retry: simpleRetry(3, seen), breaker: { failureThreshold: 5 } });
    const response = await fetch(server.url());
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('attempt 3');
    expect(server.received).toBe(3);
    expect(seen).toHaveLength(2);
    expect(seen.every((e) => e instanceof HttpStatusError && e.status === 503)).toBe(true);
  });

  it('createFetch — retry: when every attempt fails, the last response is returned', async () => {
    const server = await servers.start((_req, res, n) => res.writeHead(503).end(`attempt ${n}`));
    const fetch = createFetch({ retry: simpleRetry(3), breaker: { failureThreshold: 5 } });
    const response = await fetch(server.url());
    expect(response.status).toBe(503);
    expect(await response.text()).toBe('attempt 3');
  });

  it('createFetch — retry: stops at the open circuit, and the server sees no more', async () => {
    const server = await servers.start((_req, res) => res.writeHead(503).end());
    const fetch = createFetch({ retry: simpleRetry(5), breaker: { failureThreshold: 2 } });
    await expect(fetch(server.url())).rejects.toBeInstanceOf(CircuitOpenError);
    expect(server.received).toBe(2);
  });

  it('createFetch — retry: a Request body is sent again on each attempt', async () => {
    const bodies: string[] = [];
    const server = await servers.start((req, res, n) => {
      let text = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (text += chunk));
      req.on('end', () => {
        bodies.push(text);
        res.writeHead(n === 1 ? 503 : 200).end(text.toUpperCase());
      });
    });
    const fetch = createFetch({ retry: simpleRetry(2) });
    const request = new Request(server.url(), { method: 'POST', body: 'payload' });
    const response = await fetch(request);
    expect(await response.text()).toBe('PAYLOAD');
    expect(bodies).toEqual(['payload', 'payload']);
    expect(request.bodyUsed).toBe(false);
  });

  it('createFetch — init passes through untouched, dispatcher included, with the breaker signal', async () => {
    const seen: RequestInit[] = [];
    const dispatcher = { dispatch: () => true };
    const fetch = createFetch({
      fetch: async (_input, init) => {
        seen.push(init ?? {});
        return new Response('ok');
      },
    });
    const init = { method: 'PUT', headers: { a: 'b' }, body: 'x', dispatcher } as RequestInit;
    await fetch('http://127.0.0.1:1/', init);
    const passed = seen[0] as RequestInit & { dispatcher?: unknown };
    expect(passed.dispatcher).toBe(dispatcher);
    expect(passed).toMatchObject({ method: 'PUT', headers: { a: 'b' }, body: 'x' });
    expect(passed.signal).toBeInstanceOf(AbortSignal);
    expect(init.signal).toBeUndefined(); // the caller's object is not written to
  });

  it("createFetch — never touches undici's global dispatcher", async () => {
    const server = await servers.start((_req, res) => res.end());
    await globalThis.fetch(server.url()).then((r) => r.text()); // lets Node create its dispatcher
    const key = Symbol.for('undici.globalDispatcher.1');
    const before = (globalThis as Record<symbol, unknown>)[key];
    expect(before).toBeDefined();
    const fetch = createFetch();
    await (await fetch(server.url())).text();
    expect((globalThis as Record<symbol, unknown>)[key]).toBe(before);
  });

  it('createFetch — a shared registry holds the breakers', async () => {
    const server = await servers.start((_req, res) => res.end());
    const registry = new BreakerRegistry({ prefix: 'http' });
    const fetch = createFetch({ registry });
    expect(fetch.registry).toBe(registry);
    await fetch(server.url());
    expect(registry.peek(server.origin)?.name).toBe(`http:${server.origin}`);
  });

  it('createFetch — reports every bad option together', () => {
    let message = '';
    try {
      createFetch({
        fetch: 'nope' as never,
        retry: {} as never,
        retryAfterCap: -1,
        timeout: 0,
        registry: new BreakerRegistry(),
        maxBreakers: 5,
      });
    } catch (error) {
      expect(error).toBeInstanceOf(TypeError);
      message = (error as Error).message;
    }
    for (const part of [
      'invalid createFetch options',
      'fetch must be a function',
      'retry must be a policy with execute',
      'retryAfterCap must be a finite number >= 0',
      'timeout must be a finite number > 0',
      'maxBreakers must be unset when registry is given',
    ]) {
      expect(message).toContain(part);
    }
    expect(() => createFetch({ breaker: { failureThreshold: 0 } })).toThrow(
      /breaker.*failureThreshold must be an integer >= 1/,
    );
  });

  it('isHttpStatusError — recognises the error by its brand', () => {
    const error = new HttpStatusError('api', new Response(null, { status: 500 }));
    expect(isHttpStatusError(error)).toBe(true);
    expect(isHttpStatusError(new Error('x'))).toBe(false);
    expect(error).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 500, policy: 'api' });
  });

  it('createFetch — has the fetch signature: a string, a URL or a Request, answered with a Response', async () => {
    const server = await servers.start((req, res) => res.end(req.url));
    const f: typeof globalThis.fetch = createFetch();
    for (const input of [server.url('/s'), new URL(server.url('/u')), new Request(server.url('/r'))]) {
      const response = await f(input);
      expect(response).toBeInstanceOf(Response);
      expect(await response.text()).toBe(
        new URL(String(input instanceof Request ? input.url : input)).pathname,
      );
    }
  });
});

describe('createFetch — names', () => {
  it('name — prefixes each breaker name, so two fetches on one telemetry stream keep their series apart', async () => {
    const telemetry = new Telemetry();
    const up = await servers.start((_req, res) => res.end('fine'));
    const orders = createFetch({ name: 'orders', breaker: { telemetry } });
    const billing = createFetch({ name: 'billing', breaker: { telemetry } });
    expect(await (await orders(up.url('/a'))).text()).toBe('fine');
    expect(await (await billing(up.url('/b'))).text()).toBe('fine');
    expect(telemetry.sources().map((s) => s.name)).toEqual([`orders:${up.origin}`, `billing:${up.origin}`]);
    expect([...orders.registry.entries()].map(([, b]) => b.name)).toEqual([`orders:${up.origin}`]);
  });

  it('name — without one, a second fetch on the same stream and origin is refused with an error naming the duplicate', async () => {
    const telemetry = new Telemetry();
    const up = await servers.start((_req, res) => res.end('fine'));
    const first = createFetch({ breaker: { telemetry } });
    const second = createFetch({ breaker: { telemetry } });
    expect((await first(up.url('/a'))).status).toBe(200);
    const error = await reason(second(up.url('/b')));
    expect(String(error)).toContain(`a breaker named "${up.origin}" already reports into this stream`);
  });

  it('name — must be a non-empty string, and not next to a registry', () => {
    expect(() => createFetch({ name: '' })).toThrow(/name/);
    expect(() => createFetch({ name: 'x', registry: new BreakerRegistry() })).toThrow(/name/);
  });
});

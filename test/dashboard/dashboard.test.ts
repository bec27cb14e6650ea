import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry, staleCache } from '../../src/index.js';
import { sourceOf } from '../../src/breaker/circuit-breaker.js';
import { FLEET_CHECK, FLEET_REJECT, type FleetMember } from '../../src/breaker/fleet.js';
import { createDashboard, type DashboardOptions, type DashboardSnapshot } from '../../src/dashboard/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { trip } from '../support/breakers.js';
import { SseClient } from './sse-client.js';

const EVIL = '<img src=x onerror=alert(1)>';
const TOKEN = 'test-token-0123456789abcdef';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function setup(options: Partial<DashboardOptions> = {}) {
  const clock = new FakeClock();
  const telemetry = new Telemetry();
  const dashboard = createDashboard({ source: telemetry, clock, ...options });
  cleanup.push(() => dashboard.close());
  const { url } = await dashboard.listen(0);
  // The stream holds breakers weakly: each is kept until the test's cleanup, so a collection
  // cannot drop one from the dashboard mid-test.
  const held: CircuitBreaker[] = [];
  cleanup.push(() => held.splice(0));
  const breaker = (name: string) => {
    const made = new CircuitBreaker({
      name,
      telemetry,
      clock,
      timeout: false,
      failureThreshold: 2,
      recoveryTimeout: 5_000,
    });
    held.push(made);
    return made;
  };
  const sse = async (headers?: Record<string, string>, query = '') => {
    const client = await SseClient.open(`${url}events${query}`, headers);
    cleanup.push(() => client.close());
    return client;
  };
  return { clock, telemetry, dashboard, url, breaker, sse };
}

const fail = () => Promise.reject(new Error('down'));

describe('createDashboard — page and JSON', () => {
  it('handler — serves one self-contained page with a strict CSP and the title escaped', async () => {
    const { url } = await setup({ title: '<b>"ops"</b> & co' });
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    expect(csp).toContain("connect-src 'self'");
    const html = await res.text();
    expect(html).toContain('<title>&#60;b&#62;&#34;ops&#34;&#60;/b&#62; &#38; co</title>');
    expect(html).not.toContain('<b>"ops"</b>');
    // Nothing is loaded from elsewhere: no external script, stylesheet, import or URL (but the SVG namespace).
    expect(html).not.toMatch(/<script[^>]+src=|<link(?! rel="icon" href="data:,">)|@import|url\(/);
    expect(html.match(/https?:\/\/[^'"\s]*/g)).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('handler — /api/breakers answers every breaker as JSON, names as plain data', async () => {
    const { url, breaker, clock } = await setup();
    const a = breaker('payments');
    breaker(EVIL);
    await a.execute(async () => 'ok');
    await trip(a);
    clock.advance(1_010); // the series show complete seconds
    const res = await fetch(`${url}api/breakers`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const body = (await res.json()) as DashboardSnapshot;
    expect(body.breakers.map((b) => b.name)).toEqual(['payments', EVIL]);
    const p = body.breakers[0]!;
    expect(p).toMatchObject({ state: 'open', generation: 1, timeInStateMs: 1_010 });
    expect(p.totals).toMatchObject({ successes: 1, failures: 2 });
    expect(p.series.calls).toHaveLength(120);
    expect(p.series.calls.at(-1)).toBe(3);
    expect(p.series.failures.at(-1)).toBe(2);
    expect(p.latency.count).toBe(3);
    expect(body.transitions).toEqual([
      { at: 0, breaker: 'payments', from: 'closed', to: 'open', reason: 'failure-threshold', generation: 1 },
    ]);
    expect(body.allowControl).toBe(false);
  });

  it('handler — a breaker whose fleet is open shows open, with its local state beside it', async () => {
    const { url, telemetry, clock } = await setup();
    const member = {
      healthy: true,
      state: 'open',
      generation: 3,
      ticket: FLEET_CHECK,
      admit: () => FLEET_REJECT,
      retryAfterMs: () => 4_000,
      acquire: () => Promise.resolve(undefined),
      record: () => undefined,
      settle: () => undefined,
      close: () => Promise.resolve(),
    } as unknown as FleetMember;
    const shared = new CircuitBreaker({ name: 'shared', telemetry, clock, fleet: { attach: () => member } });
    await shared.execute(async () => 'never runs').catch(() => undefined);
    const body = (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    expect(body.breakers[0]).toMatchObject({
      name: 'shared',
      state: 'open',
      localState: 'closed',
      retryAfterMs: 4_000,
    });
    expect(body.transitions).toMatchObject([
      { breaker: 'shared', from: 'closed', to: 'open', reason: 'fleet' },
    ]);
    expect(shared.name).toBe('shared'); // held until the end of the test
  });

  it('handler — unknown paths get 404 and writes to read-only routes 405', async () => {
    const { url } = await setup();
    expect((await fetch(`${url}nope`)).status).toBe(404);
    const post = await fetch(url, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect((await fetch(`${url}api/breakers`, { method: 'DELETE' })).status).toBe(405);
  });

  it('handler — mounts under any path prefix of another server', async () => {
    const telemetry = new Telemetry();
    const dashboard = createDashboard({ source: telemetry, clock: new FakeClock() });
    const mounted = new CircuitBreaker({ name: 'mounted', telemetry });
    cleanup.push(() => mounted.name); // held to the end: the stream holds breakers weakly
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/ops/breakers/') === true) dashboard.handler(req, res);
      else res.writeHead(418).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () => new Promise((resolve) => server.close(resolve)),
      () => dashboard.close(),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/ops/breakers/`;
    expect((await fetch(base)).status).toBe(200);
    const body = (await (await fetch(`${base}api/breakers`)).json()) as DashboardSnapshot;
    expect(body.breakers[0]!.name).toBe('mounted');
    expect((await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`)).status).toBe(418);
  });

  it('handler — mounted the express way, a request for the mount point without a slash is redirected', async () => {
    const telemetry = new Telemetry();
    const dashboard = createDashboard({ source: telemetry, clock: new FakeClock() });
    // What express does for app.use('/ops', handler): strip the prefix, keep originalUrl.
    const server = createServer((req, res) => {
      const original = req.url ?? '/';
      if (!original.startsWith('/ops')) return void res.writeHead(404).end();
      Object.assign(req, { originalUrl: original, url: original.slice(4) === '' ? '/' : original.slice(4) });
      dashboard.handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanup.push(
      () => new Promise((resolve) => server.close(resolve)),
      () => dashboard.close(),
    );
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const bare = await fetch(`${base}/ops?x=1`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/ops/?x=1');
    expect((await fetch(`${base}/ops`)).url).toBe(`${base}/ops/`);
    expect((await fetch(`${base}/ops/api/breakers`)).status).toBe(200);
  });

  it('createDashboard — validates every option at once', () => {
    const telemetry = new Telemetry();
    expect(() => createDashboard({ source: telemetry, allowControl: true })).toThrow(
      /token must be given when allowControl is true/,
    );
    expect(() => createDashboard({ source: telemetry, allowControl: true, token: 'short' })).toThrow(
      /token must be a string of at least 16 characters/,
    );
    expect(() =>
      createDashboard({ source: {} as never, intervalMs: 0, maxClients: 1.5, nope: 1 } as never),
    ).toThrow(
      /nope is not a known option.*source must be a Telemetry stream.*intervalMs must be.*maxClients must be/,
    );
  });

  it('listen — binds to loopback by default and validates the port', async () => {
    const { url, dashboard } = await setup();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    await expect(() => dashboard.listen(70_000)).rejects.toThrow(/port must be an integer >= 0 <= 65535/);
  });
});

describe('createDashboard — Server-Sent Events', () => {
  it('events — sends retry and a full snapshot on connect, then one per interval', async () => {
    const { breaker, clock, sse } = await setup();
    const b = breaker('inventory');
    const client = await sse();
    expect(client.status).toBe(200);
    expect(client.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const [first] = await client.waitForSnapshots(1);
    expect(client.messages[0]?.retry).toBe(2_000);
    expect(first!.breakers.map((x) => [x.name, x.state])).toEqual([['inventory', 'closed']]);
    await trip(b);
    clock.advance(1_000);
    const [, second] = await client.waitForSnapshots(2);
    expect(second!.breakers[0]!.state).toBe('open');
    expect(second!.transitions[0]).toMatchObject({ breaker: 'inventory', from: 'closed', to: 'open' });
  });

  it('events — a reconnecting client starts again from a full snapshot', async () => {
    const { breaker, sse } = await setup();
    const b = breaker('inventory');
    await trip(b);
    const first = await sse();
    await first.waitForSnapshots(1);
    first.close();
    const again = await sse({ 'last-event-id': '7' });
    const [snap] = await again.waitForSnapshots(1);
    expect(snap!.breakers[0]).toMatchObject({ name: 'inventory', state: 'open' });
    expect(snap!.transitions).toHaveLength(1);
  });

  it('events — sends a heartbeat comment every heartbeatMs', async () => {
    const { clock, sse } = await setup({ heartbeatMs: 5_000 });
    const client = await sse();
    await client.waitForSnapshots(1);
    for (let i = 0; i < 5; i++) clock.advance(1_000);
    await client.waitForSnapshots(6);
    const beats = client.messages.filter((m) => m.comments.includes('heartbeat'));
    expect(beats).toHaveLength(1);
  });

  it('events — one timer for all clients, only while any is connected', async () => {
    const { clock, sse, dashboard } = await setup();
    expect(clock.pendingTimers).toBe(0);
    const clients = [await sse(), await sse(), await sse()];
    await Promise.all(clients.map((c) => c.waitForSnapshots(1)));
    expect(clock.pendingTimers).toBe(1);
    clock.advance(1_000);
    await Promise.all(clients.map((c) => c.waitForSnapshots(2)));
    expect(dashboard.stats().frames).toBe(4); // 3 on connect + 1 shared tick
    for (const c of clients) c.close();
    await expect.poll(() => dashboard.stats().clients).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('events — caps the number of clients (503 beyond maxClients)', async () => {
    const { sse, dashboard } = await setup({ maxClients: 2 });
    const a = await sse();
    await sse();
    const refused = await sse();
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('2');
    expect(dashboard.stats()).toMatchObject({ clients: 2, refusedClients: 1 });
    a.close();
    await expect.poll(() => dashboard.stats().clients).toBe(1);
    expect((await sse()).status).toBe(200);
  });

  async function slowClientRun(options: Partial<DashboardOptions>) {
    const { clock, breaker, sse, dashboard, url } = await setup(options);
    // Held here: the stream holds breakers weakly, and a collected breaker leaves the dashboard.
    const held = Array.from({ length: 500 }, (_, i) =>
      breaker(`breaker-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`),
    );
    const frameBytes = Buffer.byteLength(
      JSON.stringify(await (await fetch(`${url}api/breakers?limit=500`)).json()),
    );
    expect(frameBytes).toBeGreaterThan(300_000);

    // A raw client that sends its request and never reads a byte.
    const { port } = new URL(url);
    const slow = connect(Number(port), '127.0.0.1');
    cleanup.push(() => slow.destroy());
    await new Promise<void>((resolve) => slow.once('connect', resolve));
    slow.pause();
    slow.write('GET /events?limit=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n');
    const fast = await sse(undefined, '?limit=500');
    await expect.poll(() => dashboard.stats().clients).toBe(2);

    // The fast client reads each frame before the next tick, so it never misses one.
    let maxBuffered = 0;
    let ticks = 0;
    for (; ticks < 100 && dashboard.stats().droppedClients === 0; ticks++) {
      clock.advance(1_000);
      maxBuffered = Math.max(maxBuffered, dashboard.stats().bufferedBytes);
      await fast.waitForSnapshots(ticks + 2);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await expect.poll(() => dashboard.stats().clients).toBe(1);
    expect(fast.ended).toBe(false);
    expect(fast.snapshots().at(-1)!.breakers).toHaveLength(held.length);
    return { stats: dashboard.stats(), ticks, maxBuffered, frameBytes };
  }

  it('events — a client with more than maxBufferedBytes waiting is dropped at the next tick', async () => {
    const maxBufferedBytes = 64 * 1024;
    const { stats, ticks, maxBuffered, frameBytes } = await slowClientRun({ maxBufferedBytes });
    expect(stats.droppedClients).toBe(1);
    // Dropped as soon as the kernel's socket buffers are full and a frame waits in the process
    // (a few frames of 600 KB on loopback), not after maxSkippedFrames (5) more.
    expect(ticks).toBeLessThanOrEqual(10);
    // Never more than one frame beyond the bound is held for the slow client (plus what the fast one has in flight).
    expect(maxBuffered).toBeLessThan(maxBufferedBytes + 3 * frameBytes);
  });

  it('events — a client that does not drain misses frames, then is dropped after maxSkippedFrames', async () => {
    const { stats, ticks } = await slowClientRun({ maxBufferedBytes: 64 * 1024 * 1024, maxSkippedFrames: 3 });
    expect(stats.skippedFrames).toBeGreaterThanOrEqual(3);
    expect(stats.droppedClients).toBe(1);
    expect(ticks).toBeLessThanOrEqual(10);
  });

  it('close — ends every stream, unsubscribes and refuses new requests', async () => {
    const { telemetry, sse, dashboard, url } = await setup();
    const client = await sse();
    await client.waitForSnapshots(1);
    expect(telemetry.active).toBe(true);
    const handler = dashboard.handler;
    await dashboard.close();
    await client.waitForEnd();
    expect(client.ended).toBe(true);
    expect(telemetry.active).toBe(false);
    await expect(fetch(url)).rejects.toThrow();
    const res = await new Promise<number>((resolve) => {
      const server = createServer(handler).listen(0, '127.0.0.1', () => {
        request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (r) => {
          r.resume();
          resolve(r.statusCode ?? 0);
          server.close();
        }).end();
      });
    });
    expect(res).toBe(503);
  });
});

describe('createDashboard — manual control', () => {
  const post = (url: string, headers: Record<string, string> = {}, method = 'POST') =>
    fetch(url, { method, headers });

  it('control — 403 when allowControl is off, whatever the token', async () => {
    const { url, breaker } = await setup();
    const b = breaker('payments');
    const res = await post(`${url}api/breakers/payments/isolate`, { authorization: `Bearer ${TOKEN}` });
    expect(res.status).toBe(403);
    expect(b.state).toBe('closed');
  });

  it('control — GET is 405, missing token 401, wrong token 403', async () => {
    const { url, breaker } = await setup({ allowControl: true, token: TOKEN });
    const b = breaker('payments');
    const at = `${url}api/breakers/payments/isolate`;
    const get = await post(at, {}, 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const none = await post(at);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await post(at, { authorization: 'Basic dXNlcjpwYXNz' })).status).toBe(401);
    expect((await post(at, { authorization: `Bearer ${TOKEN}x` })).status).toBe(403);
    expect((await post(at, { authorization: 'Bearer short' })).status).toBe(403);
    expect(b.state).toBe('closed');
  });

  it('control — isolate and reset with the right token; names are URL-decoded; unknown names 404', async () => {
    const { url, breaker } = await setup({ allowControl: true, token: TOKEN });
    const b = breaker(EVIL);
    const auth = { authorization: `Bearer ${TOKEN}` };
    const at = `${url}api/breakers/${encodeURIComponent(EVIL)}`;
    const isolated = await post(`${at}/isolate`, auth);
    expect(isolated.status).toBe(200);
    expect(await isolated.json()).toEqual({ name: EVIL, action: 'isolate', state: 'isolated', breakers: 1 });
    expect(b.state).toBe('isolated');
    expect((await post(`${at}/reset`, auth)).status).toBe(200);
    expect(b.state).toBe('closed');
    expect((await post(`${url}api/breakers/nobody/reset`, auth)).status).toBe(404);
    expect((await post(`${url}api/breakers/%E0%A4%A/reset`, auth)).status).toBe(400);
  });

  it('page — shows the token field only when control is allowed', async () => {
    const off = await setup();
    expect(await (await fetch(off.url)).text()).not.toContain('id="token"');
    const on = await setup({ allowControl: true, token: TOKEN });
    const html = await (await fetch(on.url)).text();
    expect(html).toContain('id="token"');
    expect(html).not.toContain(TOKEN);
  });
});

describe('createDashboard — what happened before it started', () => {
  it('handler — a breaker that tripped before the dashboard is a prior state, not a missing transition', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    // Kept referenced for the whole test: the stream holds its sources weakly.
    const payments = new CircuitBreaker({
      name: 'payments',
      telemetry,
      clock,
      failureThreshold: 2,
      recoveryTimeout: 600_000,
    });
    const idle = new CircuitBreaker({ name: 'idle', telemetry, clock });
    await trip(payments);
    clock.advance(90_000);
    const dashboard = createDashboard({ source: telemetry, clock });
    cleanup.push(() => dashboard.close());
    const { url } = await dashboard.listen(0);
    clock.advance(5_000);
    const read = async () => (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    const before = await read();
    expect(before).toMatchObject({ now: 95_000, since: 90_000, transitions: [], transitionCount: 0 });
    expect(before.breakers.map((b) => [b.name, b.state, b.timeInStateMs])).toEqual([
      ['payments', 'open', 95_000],
      ['idle', 'closed', 95_000],
    ]);
    // The closed breaker of generation 0 never changed state: it is not listed.
    expect(before.priorStates).toEqual([{ at: 0, breaker: 'payments', state: 'open', generation: 1 }]);

    // Once the dashboard sees a transition, it is one like any other and the prior state goes.
    payments.reset();
    const after = await read();
    expect(after.transitions).toEqual([
      { at: 95_000, breaker: 'payments', from: 'open', to: 'closed', reason: 'reset', generation: 2 },
    ]);
    expect(after.transitionCount).toBe(1);
    expect(after.priorStates).toEqual([]);
    expect(idle.state).toBe('closed');
  });
});

describe('createDashboard — bounded history', () => {
  it('tracker — keeps the latest 50 transitions and counts the ones it let go', async () => {
    const { url, breaker } = await setup();
    const b = breaker('flappy');
    for (let i = 0; i < 60; i++) {
      b.isolate();
      b.reset();
    }
    const body = (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    expect(body.transitionCount).toBe(120);
    expect(body.transitions).toHaveLength(50);
    expect(body.transitions[0]).toMatchObject({ from: 'isolated', to: 'closed', generation: 120 });
    expect(body.transitions.at(-1)).toMatchObject({ from: 'closed', to: 'isolated', generation: 71 });
    expect(body.priorStates).toEqual([]);
  });

  it('handler — every answer stale: /api/breakers counts the stale answers per policy', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const breaker = new CircuitBreaker({
      name: 'prices',
      telemetry,
      clock,
      timeout: false,
      failureThreshold: 2,
    });
    const cache = staleCache({ ttl: 600_000, clock, telemetry, name: 'prices stale cache' });
    const get = (fn: () => Promise<number>) => cache.execute(() => breaker.execute(fn), { key: 'sku-1' });
    await get(async () => 42); // remembered before anyone watches
    const dashboard = createDashboard({ source: telemetry, clock });
    cleanup.push(() => dashboard.close());
    const { url } = await dashboard.listen(0);
    for (let i = 0; i < 25; i++) expect(await get(fail)).toBe(42); // failures, then an open circuit
    const body = (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    expect(body.breakers[0]).toMatchObject({ name: 'prices', state: 'open' });
    expect(body.breakers[0]?.totals.fallbacks).toBe(0); // the breaker's own fallback never answered
    expect(body.policies).toEqual([
      {
        name: 'prices stale cache',
        kind: 'staleCache',
        counts: { fresh: 0, stale: 25, miss: 0 },
        lastEventAt: clock.now(),
      },
    ]);
    expect(breaker.state).toBe('open'); // held to the end: the stream holds breakers weakly
  });

  it('tracker — forgets an unregistered breaker', async () => {
    const { url, breaker, telemetry } = await setup();
    const b = breaker('gone');
    breaker('stays');
    telemetry.unregister(sourceOf(b)!);
    const body = (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    expect(body.breakers.map((x) => x.name)).toEqual(['stays']);
  });
});

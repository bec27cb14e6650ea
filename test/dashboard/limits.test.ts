// The dashboard at scale and against hostile clients: paging, the Host allow-list, the read
// token, the per-address stream cap, and bounded history for many short-lived names.
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { createDashboard, type DashboardOptions, type DashboardSnapshot } from '../../src/dashboard/index.js';
import { ActivityTracker } from '../../src/telemetry/activity.js';
import { FakeClock } from '../../src/testing/index.js';
import { SseClient } from './sse-client.js';

const READ = 'read-token-0123456789abcdef';

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

/** A GET with any headers (fetch cannot set `Host`). */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `text` as it is over a new TCP connection and answers everything the server wrote back. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let reply = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (reply += chunk));
    socket.on('close', () => resolve(reply));
    socket.on('error', reject);
  });
}

const fail = () => Promise.reject(new Error('down'));
const ok = () => Promise.resolve('ok');

describe('createDashboard — paging', () => {
  it('api — pages the breakers, in trouble first, with the counts of every class', async () => {
    const { url, breaker, clock } = await setup();
    const held = Array.from({ length: 250 }, (_, i) => breaker(`svc-${String(i).padStart(3, '0')}`));
    for (const b of held.slice(0, 200)) await b.execute(ok);
    // 3 open, 2 failing (one failure, still closed), 1 isolated.
    for (const b of [held[10]!, held[120]!, held[240]!])
      while (b.state === 'closed') await b.execute(fail).catch(() => 0);
    for (const b of [held[50]!, held[60]!]) await b.execute(fail).catch(() => 0);
    held[7]!.isolate();
    clock.advance(1_000);

    const body = (await (await fetch(`${url}api/breakers?limit=4`)).json()) as DashboardSnapshot;
    expect(body).toMatchObject({ total: 250, matched: 250, page: 0, pages: 63, limit: 4 });
    expect(body.counts).toEqual({
      total: 250,
      trouble: 6,
      open: 3,
      'half-open': 0,
      isolated: 1,
      failing: 2,
      slow: 0,
      healthy: 244,
    });
    // Open first (the highest failure rate first: svc-240 had no successes), then isolated.
    expect(body.breakers.map((b) => b.name)).toEqual(['svc-240', 'svc-010', 'svc-120', 'svc-007']);
    expect(body.breakers[0]!.series.calls).toHaveLength(120);

    const trouble = (await (
      await fetch(`${url}api/breakers?show=trouble&limit=4&page=1`)
    ).json()) as DashboardSnapshot;
    expect(trouble).toMatchObject({ matched: 6, page: 1, pages: 2 });
    expect(trouble.breakers.map((b) => b.name)).toEqual(['svc-050', 'svc-060']);

    // A filter finds one breaker far down the list.
    const found = (await (await fetch(`${url}api/breakers?filter=SVC-199`)).json()) as DashboardSnapshot;
    expect(found).toMatchObject({ matched: 1, total: 250 });
    expect(found.breakers.map((b) => b.name)).toEqual(['svc-199']);

    // By name; a page past the end is the last page.
    const last = (await (
      await fetch(`${url}api/breakers?sort=name&limit=100&page=9`)
    ).json()) as DashboardSnapshot;
    expect(last).toMatchObject({ page: 2, pages: 3 });
    expect(last.breakers.at(-1)!.name).toBe('svc-249');
  });

  it('api — the default page holds 100 and limit is capped at 500; bad parameters get 400 naming them', async () => {
    const { url, breaker } = await setup();
    const held = Array.from({ length: 120 }, (_, i) => breaker(`b${i}`));
    const body = (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    expect(body.breakers).toHaveLength(100);
    expect(body.total).toBe(held.length);
    for (const [query, name] of [
      ['limit=501', 'limit'],
      ['limit=0', 'limit'],
      ['page=-1', 'page'],
      ['page=x', 'page'],
      ['limit=0x10', 'limit'],
      ['limit=1e2', 'limit'],
      ['page=%201', 'page'],
      ['sort=age', 'sort'],
      ['show=red', 'show'],
    ] as const) {
      const res = await fetch(`${url}api/breakers?${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: string }).error).toContain(name);
    }
  });

  it('events — each client gets the page it asked for', async () => {
    const { breaker, sse, clock } = await setup();
    const held = Array.from({ length: 30 }, (_, i) => breaker(`n${String(i).padStart(2, '0')}`));
    const a = await sse(undefined, '?sort=name&limit=5&page=2');
    const b = await sse(undefined, '?filter=n2&limit=50');
    clock.advance(1_000);
    const [sa] = (await a.waitForSnapshots(2)).slice(-1);
    const [sb] = (await b.waitForSnapshots(2)).slice(-1);
    expect(sa!.breakers.map((x) => x.name)).toEqual(['n10', 'n11', 'n12', 'n13', 'n14']);
    expect(sb!.matched).toBe(10);
    expect(sb!.total).toBe(held.length);
    const bad = await sse(undefined, '?limit=100000');
    expect(bad.status).toBe(400);
  });
});

describe('createDashboard — hostile clients', () => {
  it('handler — serves loopback names and allowedHosts; any other Host gets 421', async () => {
    const { url } = await setup({ allowedHosts: ['Dash.Example.com'] });
    const port = new URL(url).port;
    for (const host of [
      `127.0.0.1:${port}`,
      `localhost:${port}`,
      'localhost',
      `[::1]:${port}`,
      `dash.example.com:${port}`,
    ])
      expect((await get(`${url}api/breakers`, { host })).status, host).toBe(200);
    for (const host of [
      `evil.example:${port}`,
      'attacker.localhost.evil',
      `127.0.0.1.nip.io:${port}`,
      `:${port}`,
    ]) {
      for (const path of ['', 'events', 'api/breakers']) {
        const res = await get(`${url}${path}`, { host });
        expect(res.status, `${host} /${path}`).toBe(421);
        expect(res.body).not.toContain('breakers":');
      }
    }
  });

  it('handler — a request with an empty Host header or none (HTTP/1.0) is refused, not served', async () => {
    const { url } = await setup();
    const { port } = new URL(url);
    for (const head of ['GET /api/breakers HTTP/1.1\r\nHost:\r\n', 'GET /api/breakers HTTP/1.0\r\n']) {
      const reply = await rawRequest(Number(port), `${head}Connection: close\r\n\r\n`);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(reply)?.[1]);
      expect([400, 421], JSON.stringify(head)).toContain(status);
      expect(reply).not.toContain('breakers":');
    }
  });

  it("handler — allowedHosts ['*'] serves any Host", async () => {
    const { url } = await setup({ allowedHosts: ['*'] });
    expect((await get(`${url}api/breakers`, { host: 'anything.example' })).status).toBe(200);
  });

  it('events — caps the streams from one address (429 beyond maxClientsPerAddress)', async () => {
    const { sse, dashboard } = await setup({ maxClientsPerAddress: 2, maxClients: 10 });
    const a = await sse();
    await sse();
    const refused = await sse();
    expect(refused.status).toBe(429);
    expect(dashboard.stats()).toMatchObject({ clients: 2, refusedClients: 1 });
    a.close();
    await expect.poll(() => dashboard.stats().clients).toBe(1);
    expect((await sse()).status).toBe(200);
  });

  it('handler — with readToken, every read needs it: bearer, or the cookie set by opening ?token=', async () => {
    const { url, breaker } = await setup({ readToken: READ });
    const held = breaker('secret-name');
    for (const path of ['', 'events', 'api/breakers']) {
      const res = await get(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.body).not.toContain('secret-name');
    }
    expect((await get(`${url}api/breakers`, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(
      401,
    );
    const bearer = await get(`${url}api/breakers`, { authorization: `Bearer ${READ}` });
    expect(bearer.status).toBe(200);
    expect(bearer.body).toContain(held.name);

    const wrong = await get(`${url}?token=not-the-token-0123456789`);
    expect(wrong.status).toBe(401);
    const opened = await get(`${url}?token=${READ}`);
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe('./');
    const cookie = opened.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(/^breakwater_read=.+; HttpOnly; SameSite=Strict$/);
    const jar = cookie.split(';')[0]!;
    expect((await get(url, { cookie: jar })).status).toBe(200);
    const stream = await SseClient.open(`${url}events`, { cookie: jar });
    cleanup.push(() => stream.close());
    expect(stream.status).toBe(200);
    expect((await stream.waitForSnapshots(1))[0]!.breakers[0]!.name).toBe('secret-name');
  });

  it('createDashboard — validates readToken, allowedHosts, maxClientsPerAddress, maxTrackedBreakers', () => {
    const source = new Telemetry();
    expect(() =>
      createDashboard({
        source,
        readToken: 'short',
        allowedHosts: 'example.com' as unknown as string[],
        maxClientsPerAddress: 0,
        maxTrackedBreakers: 1.5,
      }),
    ).toThrow(/readToken[\s\S]*allowedHosts[\s\S]*maxClientsPerAddress[\s\S]*maxTrackedBreakers/);
  });
});

describe('ActivityTracker — bounded history', () => {
  const call = (telemetry: Telemetry, policy: string) =>
    telemetry.emit({ kind: 'breaker', type: 'call', policy, outcome: 'success', durationMs: 1 } as never);

  it('tracker — 30,000 short-lived names nobody views: entries stay at most maxBreakers', () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const tracker = new ActivityTracker(telemetry, { clock, maxBreakers: 1_000 });
    cleanup.push(() => tracker.dispose());
    let max = 0;
    for (let i = 0; i < 30_000; i++) {
      call(telemetry, `short-lived-${i}`);
      if (i % 100 === 0) clock.advance(10);
      max = Math.max(max, tracker.size);
    }
    expect(max).toBeLessThanOrEqual(1_000);
    expect(tracker.size).toBeGreaterThan(800); // the latest are still there
    expect(tracker.series('short-lived-29999', Math.floor(clock.now() / 1000)).calls.at(-1)).toBe(1);
  });

  it('tracker — a departed breaker is forgotten departedAfterMs after its last event, live ones kept', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const tracker = new ActivityTracker(telemetry, { clock, departedAfterMs: 60_000 });
    cleanup.push(() => tracker.dispose());
    const live = new CircuitBreaker({ name: 'live', telemetry, clock, timeout: false });
    await live.execute(ok);
    for (let i = 0; i < 500; i++) call(telemetry, `gone-${i}`);
    expect(tracker.size).toBe(501);
    clock.advance(60_000);
    call(telemetry, 'newcomer'); // a new name sweeps
    expect(tracker.size).toBe(2);
    expect(live.name).toBe('live'); // held to the end: the stream holds breakers weakly
  });
});

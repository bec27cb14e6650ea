// The dashboard's fleet view end to end: three forked instances publish their summaries through
// a real redis-server (one with a tripped fleet breaker, one with a tripped local breaker, one
// whose fleet calls fail), and a dashboard in this process shows them all, in JSON and in
// headless Chromium; an instance that is killed is marked gone once its summary expires.
// `UPDATE_SCREENSHOTS=1` also writes docs/dashboard-fleet.png.
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboard, type Dashboard, type DashboardSnapshot } from '../../src/dashboard/index.js';
import type { FleetBreakerStats } from '../../src/dashboard/fleet-source.js';
import { type RedisFleet, redisFleet } from '../../src/redis/index.js';
import { ensureBuilt } from '../process/run-fixture.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { requireTool } from '../support/require-tool.js';
import { waitFor } from '../redis/helpers.js';

const hasRedis = requireRedis('test/dashboard/fleet-view.test.ts');
const browserTool = requireTool({
  name: 'chromium',
  candidates: ['/usr/bin/chromium', 'chromium', 'chromium-browser'],
  install: 'apt-get update && apt-get install -y chromium',
  purpose: 'the dashboard browser tests',
});
const WORKER = join(fileURLToPath(new URL('../fixtures', import.meta.url)), 'fleet-summary-worker.js');
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
];
const FLEET_BREAKERS = ['payments', 'inventory', 'search'];

/** A forked instance and what it said. */
class Instance {
  readonly child: ChildProcess;
  readonly messages: ({ type: string } & Record<string, unknown>)[] = [];
  readonly exited: Promise<number | null>;
  constructor(readonly label: string) {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (m: { type: string } & Record<string, unknown>) => this.messages.push(m));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  async ask(message: object, reply: string, limitMs = 10_000): Promise<Record<string, unknown>> {
    const seen = this.messages.length;
    this.child.send(message);
    await waitFor(
      () => this.messages.slice(seen).some((m) => m.type === reply),
      limitMs,
      `${this.label}: ${reply}`,
    );
    return this.messages.slice(seen).find((m) => m.type === reply)!;
  }
}

describe.skipIf(!hasRedis || !browserTool.found)('dashboard — fleet view across processes', () => {
  let server: RedisServer;
  let redis: Redis;
  let fleet: RedisFleet;
  let dashboard: Dashboard;
  let url: string;
  let context: BrowserContext;
  let profile = '';
  const instances: Instance[] = [];

  beforeAll(async () => {
    ensureBuilt();
    server = await RedisServer.start();
    redis = new Redis({
      port: server.port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    redis.on('error', () => {});
    fleet = redisFleet({ client: redis, prefix: 'fv' });
    dashboard = createDashboard({ fleet, title: 'breakwater fleet' });
    ({ url } = await dashboard.listen(0));
    profile = await mkdtemp(join(tmpdir(), 'breakwater-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browserTool.path!,
      headless: true,
      args: ARGS,
      viewport: { width: 1440, height: 900 },
    });
  }, 120_000);

  afterAll(async () => {
    for (const i of instances)
      if (i.child.exitCode === null && i.child.signalCode === null) i.child.kill('SIGKILL');
    await context.close();
    if (profile !== '') await rm(profile, { recursive: true, force: true });
    await dashboard.close();
    await fleet.close();
    redis.disconnect();
    await server.dispose();
  });

  const snapshot = async (): Promise<DashboardSnapshot> => {
    const res = await fetch(`${url}api/breakers?limit=100`);
    expect(res.status).toBe(200);
    return (await res.json()) as DashboardSnapshot;
  };
  const row = (snap: DashboardSnapshot, name: string) =>
    snap.breakers.find((b) => b.name === name) as unknown as FleetBreakerStats | undefined;

  it('fleet view — every instance, which breaker is open where, a degraded instance, then a gone one', async () => {
    for (const label of ['worker-a', 'worker-b', 'worker-c']) {
      const instance = new Instance(label);
      instances.push(instance);
      await instance.ask(
        {
          type: 'start',
          redisPort: server.port,
          prefix: 'fv',
          label,
          ttlMs: 3_000,
          fleetBreakers: FLEET_BREAKERS,
          localBreakers: [`cache-${label.slice(-1)}`],
        },
        'ready',
      );
    }
    const [a, b, c] = instances as [Instance, Instance, Instance];
    // worker-c's fleet calls fail first (were the fleet open then, it would keep its open period).
    await c.ask({ type: 'break-fleet' }, 'fleet-broken');
    expect((await a.ask({ type: 'trip', name: 'payments' }, 'tripped')).state).toBe('open');
    expect((await b.ask({ type: 'trip', name: 'cache-b' }, 'tripped')).state).toBe('open');

    // JSON: all three instances, payments open fleet-wide (local open on worker-a only).
    let snap = await snapshot();
    const settled = (s: DashboardSnapshot): boolean => {
      const payments = row(s, 'payments');
      const labels = (s.fleet?.instances ?? []).map((i) => `${i.label}:${i.status}`).sort();
      return (
        labels.join() === 'worker-a:live,worker-b:live,worker-c:degraded' &&
        payments?.instances.length === 3 &&
        payments.instances.filter((i) => i.state === 'open').length === 2 &&
        row(s, 'cache-b')?.state === 'open'
      );
    };
    await waitFor(
      async () => settled((snap = await snapshot())),
      20_000,
      () => `the fleet view to settle: ${JSON.stringify(snap.fleet)}`,
      200,
    );
    const payments = row(snap, 'payments')!;
    expect(payments.state).toBe('open');
    const on = Object.fromEntries(payments.instances.map((i) => [i.label, i]));
    expect(on['worker-a']).toMatchObject({
      state: 'open',
      localState: 'open',
      fleetState: 'open',
      healthy: true,
    });
    expect(on['worker-b']).toMatchObject({
      state: 'open',
      localState: 'closed',
      fleetState: 'open',
      healthy: true,
    });
    // worker-c's fleet calls fail: local-only, its own breaker closed.
    expect(on['worker-c']).toMatchObject({ state: 'closed', localState: 'closed', healthy: false });
    expect(row(snap, 'cache-b')!.instances.map((i) => i.label)).toEqual(['worker-b']);
    expect(row(snap, 'inventory')!.instances).toHaveLength(3);
    expect(snap.counts.open).toBe(2);
    expect(snap.total).toBe(FLEET_BREAKERS.length + 3);

    // The page.
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    const chip = (label: string) => page.locator('#instances .instance', { hasText: label });
    await expect
      .poll(() => chip('worker-c').getAttribute('data-status'), { timeout: 20_000 })
      .toBe('degraded');
    await expect.poll(() => chip('worker-a').getAttribute('data-status')).toBe('live');
    await expect.poll(() => chip('worker-b').getAttribute('data-status')).toBe('live');
    const card = (name: string) => page.locator(`.card[data-name="${name}"]`);
    await expect
      .poll(() => card('payments').locator('.badge').textContent(), { timeout: 20_000 })
      .toBe('open');
    await expect
      .poll(() => card('payments').locator('.on-instance').allTextContents())
      .toEqual([
        expect.stringMatching(/^worker-a open · fleet: open · \d+ calls, 3 failed$/),
        expect.stringMatching(/^worker-b open · local: closed · fleet: open · /),
        expect.stringMatching(/^worker-c closed · fleet: .* · local-only · /),
      ]);
    // The row's state is the most severe; the line says on how many instances it holds.
    await expect
      .poll(() => card('payments').locator('.meta').textContent())
      .toMatch(/^open on 2 of 3 instances · generation \d+$/);
    await expect
      .poll(() => card('inventory').locator('.meta').textContent())
      .toMatch(/^closed on 3 instances · /);
    await expect
      .poll(() => card('cache-b').locator('.on-instance').allTextContents())
      .toEqual([expect.stringMatching(/^worker-b open · /)]);
    await expect.poll(() => page.locator('#instances .total').textContent()).toBe('3 instances');
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
      await mkdir(docs, { recursive: true });
      await page.screenshot({ path: join(docs, 'dashboard-fleet.png'), fullPage: true });
    }

    // Reads: at most one a second while the page is open (ZRANGE of the index, then MGET); and
    // publications (the only SET) at most one a second per instance.
    await redis.call('CONFIG', 'RESETSTAT');
    const seconds =
      (await waitFor(async () => (await zranges()) >= 4, 20_000, 'four reads of the index', 100)) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(3 - 0.1);
    expect(await sets()).toBeLessThanOrEqual(3 * (Math.ceil(seconds) + 1));

    // worker-b dies: its summary expires, the page marks it gone and its local breaker leaves.
    b.child.kill('SIGKILL');
    await b.exited;
    await expect.poll(() => chip('worker-b').getAttribute('data-status'), { timeout: 20_000 }).toBe('gone');
    await expect.poll(() => card('cache-b').count()).toBe(0);
    await expect.poll(() => card('payments').locator('.on-instance').count()).toBe(2);
    await expect.poll(() => page.locator('#instances .total').textContent()).toBe('2 instances');

    // No page open: no reads. Await three publications by each live instance first.
    await page.close();
    await waitFor(() => dashboard.stats().clients === 0, 10_000, 'the stream to close');
    const idle = await zranges();
    const until = (await sets()) + 6;
    await waitFor(
      async () => (await sets()) >= until,
      15_000,
      'three publications by each live instance',
      200,
    );
    expect(await zranges()).toBe(idle);
    expect(errors).toEqual([]);

    // Stopping an instance deletes its summary at once.
    await a.ask({ type: 'stop' }, 'stopped');
    expect(await a.exited).toBe(0);
    const left = await fleet.summaries();
    expect(left.map((i) => i.summary?.label)).not.toContain('worker-a');
    expect(a.messages.find((m) => m.type === 'stopped')?.unhandled).toBe(0);
  }, 120_000);

  async function commandCalls(name: string): Promise<number> {
    const info = String(await redis.call('INFO', 'commandstats'));
    const match = new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(info);
    return match === null ? 0 : Number(match[1]);
  }
  const zranges = () => commandCalls('zrange');
  const sets = () => commandCalls('set');
});

// The dashboard in headless Chromium (Debian's package, driven by playwright-core): live state
// changes, names rendered as text, manual control, and the screenshots of docs/observability.md
// (written only with UPDATE_SCREENSHOTS=1).
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry, staleCache, timeout } from '../../src/index.js';
import { createDashboard, type DashboardOptions } from '../../src/dashboard/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { main } from '../../examples/dashboard.js';
import { requireTool } from '../support/require-tool.js';

const browserTool = requireTool({
  name: 'chromium',
  candidates: ['/usr/bin/chromium', 'chromium', 'chromium-browser'],
  install: 'apt-get update && apt-get install -y chromium',
  purpose: 'the dashboard browser tests',
});

const EVIL = '<img src=x onerror=alert(1)>';
const TOKEN = 'browser-test-token-0123456789';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const COLOURS = { closed: 'rgb(46, 160, 67)', open: 'rgb(218, 54, 51)', isolated: 'rgb(137, 87, 229)' };

describe.skipIf(!browserTool.found)('dashboard — in Chromium', () => {
  let context: BrowserContext;
  let profile = '';
  const cleanup: (() => unknown)[] = [];

  beforeAll(async () => {
    profile = await mkdtemp(join(tmpdir(), 'breakwater-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: browserTool.path!,
      headless: true,
      args: ARGS,
      viewport: { width: 1440, height: 900 },
    });
  }, 60_000);

  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  afterAll(async () => {
    await context.close();
    await rm(profile, { recursive: true, force: true });
  });

  /** Opens a page and records console errors and page errors (a CSP violation shows up there). */
  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    cleanup.push(() => page.close());
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('dialog', (d) => {
      errors.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(url);
    return { page, errors };
  }

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
        failureThreshold: 3,
        recoveryTimeout: 10_000,
      });
      held.push(made);
      return made;
    };
    return { clock, dashboard, url, breaker };
  }

  const badge = (page: Page, name: string) =>
    page.evaluate((n) => {
      const card = [...document.querySelectorAll<HTMLElement>('.card')].find((c) => c.dataset.name === n);
      const el = card?.querySelector<HTMLElement>('.badge');
      return el ? { text: el.textContent, colour: getComputedStyle(el).backgroundColor } : null;
    }, name);

  it('page — shows breakers change state live as they trip', async () => {
    const { clock, url, breaker } = await setup();
    const payments = breaker('payments');
    const inventory = breaker('inventory');
    await payments.execute(async () => 'ok');
    const { page, errors } = await open(url);
    await expect.poll(() => badge(page, 'inventory')).toEqual({ text: 'closed', colour: COLOURS.closed });

    while (inventory.state === 'closed')
      await inventory.execute(() => Promise.reject(new Error('down'))).catch(() => 0);
    clock.advance(1_000); // the next frame goes out
    await expect.poll(() => badge(page, 'inventory')).toEqual({ text: 'open', colour: COLOURS.open });
    expect(await badge(page, 'payments')).toEqual({ text: 'closed', colour: COLOURS.closed });
    await expect
      .poll(() => page.locator('#transitions li').first().textContent())
      .toContain('inventory closed → open');
    await expect.poll(() => page.locator('#status').textContent()).toBe('live');

    await page.fill('#filter', 'pay');
    await expect.poll(() => page.locator('.card:visible').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('.card:visible .name').textContent()).toBe('payments');
    expect(errors).toEqual([]);
  });

  it('page — a frame that changes no count keeps the summary, so a click on a count is not lost', async () => {
    const { clock, url, breaker } = await setup();
    const alpha = breaker('alpha');
    const beta = breaker('beta');
    while (beta.state === 'closed')
      await beta.execute(() => Promise.reject(new Error('down'))).catch(() => 0);
    await alpha.execute(async () => 'ok');
    const { page, errors } = await open(url);
    const open1 = page.locator('#summary button[data-show="open"]');
    await expect.poll(() => open1.textContent()).toBe('1 open');
    await open1.evaluate((b) => b.setAttribute('data-mark', 'first'));
    // The next frames change the cards (time in state), not a count.
    const meta = () => page.locator('.card[data-name="alpha"] .meta').textContent();
    const before = await meta();
    clock.advance(5_000);
    await expect.poll(meta).not.toBe(before);
    expect(await open1.getAttribute('data-mark')).toBe('first');
    await open1.click();
    await expect.poll(() => page.locator('.card .name').allTextContents()).toEqual(['beta']);
    expect(errors).toEqual([]);
  });

  it('page — renders a malicious breaker name as text, creating no element', async () => {
    const { clock, url, breaker } = await setup();
    const evil = breaker(EVIL);
    while (evil.state === 'closed') await evil.execute(() => Promise.reject(new Error('x'))).catch(() => 0);
    const { page, errors } = await open(url);
    await expect.poll(() => badge(page, EVIL)).toEqual({ text: 'open', colour: COLOURS.open });
    clock.advance(1_000);
    const found = await page.evaluate((n) => {
      const name = [...document.querySelectorAll('.card .name')].find((e) => e.textContent === n);
      const who = [...document.querySelectorAll('#transitions .who')].map((e) => e.textContent);
      return {
        images: document.querySelectorAll('img').length,
        nameChildren: name?.children.length ?? -1,
        nameText: name?.textContent,
        who,
      };
    }, EVIL);
    expect(found).toEqual({ images: 0, nameChildren: 0, nameText: EVIL, who: [EVIL] });
    expect(errors).toEqual([]);
  });

  it('page — isolates a breaker with the token when control is allowed', async () => {
    const { clock, url, breaker } = await setup({ allowControl: true, token: TOKEN });
    const payments = breaker('payments');
    const { page, errors } = await open(url);
    await expect.poll(() => badge(page, 'payments')).toEqual({ text: 'closed', colour: COLOURS.closed });
    await page.click('button[data-action="isolate"]');
    await expect.poll(() => page.locator('#message').textContent()).toBe('Enter the control token first.');
    expect(payments.state).toBe('closed');
    await page.fill('#token', TOKEN);
    await page.click('button[data-action="isolate"]');
    await expect.poll(() => payments.state).toBe('isolated');
    clock.advance(1_000);
    await expect.poll(() => badge(page, 'payments')).toEqual({ text: 'isolated', colour: COLOURS.isolated });
    await page.click('button[data-action="reset"]');
    await expect.poll(() => payments.state).toBe('closed');
    expect(errors).toEqual([]);
  });

  it('page — created after a breaker tripped: the open state, since when, and counts that agree', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    // Kept referenced for the whole test: the stream holds its sources weakly.
    const payments = new CircuitBreaker({
      name: 'payments',
      telemetry,
      clock,
      timeout: false,
      failureThreshold: 2,
      recoveryTimeout: 600_000,
    });
    while (payments.state === 'closed')
      await payments.execute(() => Promise.reject(new Error('down'))).catch(() => 0);
    clock.advance(90_000);
    const dashboard = createDashboard({ source: telemetry, clock });
    cleanup.push(() => dashboard.close());
    const { url } = await dashboard.listen(0);
    clock.advance(5_000);
    const { page, errors } = await open(url);
    await expect.poll(() => badge(page, 'payments')).toEqual({ text: 'open', colour: COLOURS.open });
    const card = page.locator('.card[data-name="payments"]');
    expect(await card.locator('.meta').textContent()).toContain('open for 1 m 35 s');
    expect(await page.locator('#summary').textContent()).toBe(
      '1 breaker · 1 open · 0 half-open · 0 isolated · 0 failing · 0 slow · 0 healthy',
    );
    const items = page.locator('#transitions li');
    await expect
      .poll(() => items.allTextContents())
      .toEqual([
        'No transitions since this dashboard started (5 s ago).',
        '1 m 35 s agopayments → openentered before this dashboard started · generation 1',
      ]);
    // Nothing reached the breaker since the dashboard started: no calls, and no peak either.
    expect(await card.locator('.legend').textContent()).toBe('since the dashboard started 5 s ago: no calls');
    expect(await card.locator('.stats').textContent()).toContain('calls0');

    // Rejected calls are calls in the sparkline, and the peak is one of the seconds summed.
    await payments.execute(async () => 1).catch(() => 0);
    await payments.execute(async () => 1).catch(() => 0);
    clock.advance(1_000);
    await payments.execute(async () => 1).catch(() => 0);
    clock.advance(1_000);
    await expect
      .poll(() => card.locator('.legend').textContent())
      .toBe('since the dashboard started 7 s ago: 3 calls (0 failed, 3 rejected) · peak 2/s');
    expect(errors).toEqual([]);
  });

  it('page — shows the latest 50 transitions in a box of bounded height and counts the older ones', async () => {
    const { clock, url, breaker } = await setup();
    const flappy = breaker('flappy');
    const { page, errors } = await open(url);
    await expect.poll(() => badge(page, 'flappy')).toEqual({ text: 'closed', colour: COLOURS.closed });
    for (let i = 0; i < 60; i++) {
      flappy.isolate();
      flappy.reset();
    }
    clock.advance(1_000);
    const items = page.locator('#transitions li');
    await expect.poll(() => items.last().textContent()).toBe('70 older transitions not shown.');
    expect(await page.locator('#transitions li.transition').count()).toBe(50);
    expect(await items.first().textContent()).toContain('flappy isolated → closed');
    // The list scrolls inside its box; the page itself stays within the window.
    const size = await page.evaluate(() => {
      const list = document.getElementById('transitions')!;
      return {
        page: document.documentElement.scrollHeight,
        window: window.innerHeight,
        list: list.clientHeight,
        content: list.scrollHeight,
      };
    });
    expect(size.page).toBeLessThanOrEqual(size.window);
    expect(size.list).toBeLessThan(size.content);
    expect(errors).toEqual([]);
  });

  it('page — every answer stale: the policies table shows the stale answers beside the breaker', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    // Kept referenced for the whole test: the stream holds its sources weakly.
    const prices = new CircuitBreaker({
      name: 'prices',
      telemetry,
      clock,
      timeout: false,
      failureThreshold: 2,
    });
    const cache = staleCache({ ttl: 600_000, clock, telemetry, name: 'prices stale cache' });
    const perCall = timeout(50, { clock, telemetry, name: 'prices timeout' });
    const get = (fn: () => Promise<number>) => cache.execute(() => prices.execute(fn), { key: 'sku-1' });
    await get(async () => 42); // remembered before the dashboard started
    const dashboard = createDashboard({ source: telemetry, clock });
    cleanup.push(() => dashboard.close());
    const { url } = await dashboard.listen(0);
    const { page, errors } = await open(url);
    await expect.poll(() => badge(page, 'prices')).toEqual({ text: 'closed', colour: COLOURS.closed });
    expect(await page.locator('#policies').isHidden()).toBe(true);

    for (let i = 0; i < 7; i++) expect(await get(() => Promise.reject(new Error('down')))).toBe(42);
    const slow = perCall.execute(() => new Promise<never>(() => undefined)).catch(() => 0);
    await clock.advanceAsync(50);
    await slow;
    clock.advance(1_000);
    await expect.poll(() => badge(page, 'prices')).toEqual({ text: 'open', colour: COLOURS.open });
    const row = (name: string) => page.locator(`#policies tr[data-name="${name}"]`);
    await expect
      .poll(() => row('prices stale cache').locator('td').allTextContents())
      .toEqual(['prices stale cache', 'staleCache', '0 fresh · 7 stale · 0 misses']);
    expect(await row('prices timeout').locator('td').allTextContents()).toEqual([
      'prices timeout',
      'timeout',
      '1 timeout',
    ]);
    const stale = row('prices stale cache').locator('.count[data-key="stale"]');
    expect(await stale.evaluate((e) => getComputedStyle(e).color)).toBe('rgb(210, 153, 34)');
    expect(await page.locator('#policies').isVisible()).toBe(true);

    await page.fill('#filter', 'timeout');
    await expect.poll(() => row('prices stale cache').isHidden()).toBe(true);
    expect(await row('prices timeout').isVisible()).toBe(true);
    expect(prices.state).toBe('open');
    expect(errors).toEqual([]);
  });

  it('page — 10,000 breakers: in trouble first, the rest as counts, a filter finds one on a later page', async () => {
    const { clock, url, breaker } = await setup();
    // Held for the whole test: the stream holds breakers weakly.
    const held = Array.from({ length: 10_000 }, (_, i) => breaker(`svc-${String(i).padStart(5, '0')}`));
    const down = () => Promise.reject(new Error('down'));
    const up = () => Promise.resolve('ok');
    // A minute of traffic on a few hundred of them; five go down, three fail now and then.
    const busy = held.filter((_, i) => i % 37 === 0);
    const tripped = [held[4_321]!, held[77]!, held[9_000]!, held[1_234]!, held[5_555]!];
    const failing = [held[2_000]!, held[3_000]!, held[6_000]!];
    for (let s = 0; s < 60; s++) {
      for (const b of busy) for (let k = 0; k < (s % 7) + 1; k++) await b.execute(up);
      for (const b of failing) await (s === 50 || s === 55 ? b.execute(down).catch(() => 0) : b.execute(up));
      if (s >= 40) for (const b of tripped) await b.execute(s % 2 === 0 ? down : up).catch(() => 0);
      clock.advance(1_000);
    }
    held[42]!.isolate();
    held[8_888]!.isolate();
    const { page, errors } = await open(url);
    await expect.poll(() => page.locator('.card').count(), { timeout: 20_000 }).toBe(24);
    await expect
      .poll(() => page.locator('#summary').textContent(), { timeout: 20_000 })
      .toBe('10,000 breakers · 5 open · 0 half-open · 2 isolated · 3 failing · 0 slow · 9,990 healthy');
    const states = await page.locator('.card .badge').allTextContents();
    expect(states.slice(0, 7).sort()).toEqual([
      'isolated',
      'isolated',
      'open',
      'open',
      'open',
      'open',
      'open',
    ]);
    const names = await page.locator('.card .name').allTextContents();
    expect(names.slice(7, 10).sort()).toEqual(['svc-02000', 'svc-03000', 'svc-06000']);
    expect(await page.locator('#pager').textContent()).toBe('Showing 1–24 of 10,000 · page 1 of 417');
    expect(await page.locator('#rest').textContent()).toBe(
      '9,976 more on later pages · 9,990 healthy in all',
    );
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
      await mkdir(docs, { recursive: true });
      await page.screenshot({ path: join(docs, 'dashboard-10k.png') });
    }

    // A breaker far down the list, found by the server-side filter.
    await page.fill('#filter', 'svc-09876');
    await expect
      .poll(() => page.locator('.card .name').allTextContents(), { timeout: 20_000 })
      .toEqual(['svc-09876']);
    await expect
      .poll(() => page.locator('#pager').textContent(), { timeout: 20_000 })
      .toBe('Showing 1–1 of 1 matching · page 1 of 1');
    expect(await page.locator('#rest').textContent()).toBe('9,999 other breakers not shown');
    // Only the in-trouble ones, by a click on a count.
    await page.fill('#filter', '');
    await page.locator('#summary button[data-show="open"]').click();
    await expect
      .poll(() => page.locator('.card .badge').allTextContents(), { timeout: 20_000 })
      .toEqual(['open', 'open', 'open', 'open', 'open']);
    expect(errors).toEqual([]);
    expect(held).toHaveLength(10_000);
  }, 120_000);

  it('page — the example renders its five breakers live (with UPDATE_SCREENSHOTS=1, docs/dashboard.png)', async () => {
    const clock = new FakeClock();
    const example = await main({ port: 0, clock, log: () => undefined });
    cleanup.push(() => example.close());
    // Two minutes of made-up traffic, in fake time: inventory is down, search is slowing.
    for (let s = 0; s < 97; s++) await clock.advanceAsync(1_000);
    const { page, errors } = await open(example.url);
    await expect.poll(() => page.locator('.card').count()).toBe(5);
    await expect.poll(() => page.locator('#status').textContent()).toBe('live');
    const states = await page.locator('.card .badge').allTextContents();
    expect(states).toContain('isolated');
    expect(states).toContain('closed');
    expect(states.some((s) => s === 'open' || s === 'half-open')).toBe(true);
    const names = await page
      .locator('.card')
      .evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.name));
    expect([...names].sort()).toEqual(['email', 'inventory', 'payments', 'recommendations', 'search']);
    expect(await badge(page, 'recommendations')).toEqual({ text: 'isolated', colour: COLOURS.isolated });
    for (const card of await page.locator('.card').all()) expect(await card.isVisible()).toBe(true);
    // The README screenshot is rewritten only on request, never as a side effect of a test run.
    if (process.env.UPDATE_SCREENSHOTS === '1') {
      const docs = fileURLToPath(new URL('../../docs/', import.meta.url));
      await mkdir(docs, { recursive: true });
      await page.screenshot({ path: join(docs, 'dashboard.png'), fullPage: true });
    }
    expect(errors).toEqual([]);
  });
});

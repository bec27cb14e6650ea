// `breakwater demo --dashboard`: during the protected run the demo serves one dashboard of every
// service's breakers, and each service with a breaker serves the dashboard of it under
// /dashboard/ on its own loopback port, at the URLs the demo prints.
import { type ChildProcess, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DashboardSnapshot } from '../../src/dashboard/index.js';
import { BIN, ensureBuilt, ROOT } from '../support/build.js';
import { waitFor } from '../support/wait.js';

let child: ChildProcess;
let output = '';
let exit: Promise<number | null>;

/** The URL of the dashboard of every breaker the demo printed. */
function combinedUrl(): string {
  return (
    /dashboard of every breaker \(live until the end of this run\): (http:\/\/127\.0\.0\.1:\d+\/)\n/.exec(
      output,
    )?.[1] ?? ''
  );
}

/** The dashboard URLs the demo printed, by service. */
function dashboardUrls(): Record<string, string> {
  const line = /dashboard per service: (.*)\n/.exec(output)?.[1] ?? '';
  return Object.fromEntries(
    [...line.matchAll(/(\w+) (http:\/\/127\.0\.0\.1:\d+\/dashboard\/)/g)].map((m) => [m[1], m[2]]),
  );
}

describe('breakwater demo --dashboard', () => {
  beforeAll(() => {
    ensureBuilt();
    child = spawn(process.execPath, [BIN, 'demo', '--dashboard', '--duration', '15', '--rate', '20'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    exit = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }, 240_000);

  afterAll(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
    await exit;
  }, 20_000);

  it('demo — the protected run serves each service’s breakers at the printed URLs', async () => {
    await waitFor(
      () => /\[protected\]\s+2s/.test(output),
      90_000,
      () => `the demo to print a protected second; output:\n${output}`,
    );
    expect(output).toContain('dashboard: this run has no breakers; the protected run serves it');
    const urls = dashboardUrls();
    expect(Object.keys(urls)).toEqual(['A', 'B', 'C']);
    const next = { A: 'B', B: 'C', C: 'database' } as const;
    for (const role of ['A', 'B', 'C'] as const) {
      const response = await fetch(`${urls[role]}api/breakers`);
      expect(response.status).toBe(200);
      const snapshot = (await response.json()) as DashboardSnapshot;
      expect(snapshot.breakers).toHaveLength(1);
      const [breaker] = snapshot.breakers;
      expect(breaker?.name).toMatch(new RegExp(`^${role}->${next[role]}:http://127\\.0\\.0\\.1:\\d+$`));
      expect(['closed', 'open', 'half-open']).toContain(breaker?.state);
      expect(breaker?.totals.calls).toBeGreaterThan(0);
    }
    const page = await fetch(urls.A ?? '');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    await page.body?.cancel();
    const bare = await fetch((urls.A ?? '').replace(/\/$/, ''), { redirect: 'manual' });
    expect([bare.status, bare.headers.get('location')]).toEqual([308, '/dashboard/']);
  }, 120_000);

  it('demo — the demo’s own dashboard shows the breakers of every service, with their calls', async () => {
    await waitFor(
      () => /\[protected\]\s+3s/.test(output),
      90_000,
      () => `the demo to print a protected second; output:\n${output}`,
    );
    const url = combinedUrl();
    expect(url).not.toBe('');
    const snapshot = (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;
    const names = snapshot.breakers.map((b) => b.name.replace(/:.*/, '')).sort();
    expect(names).toEqual(['A->B', 'B->C', 'C->database']);
    for (const breaker of snapshot.breakers) {
      expect(['closed', 'open', 'half-open']).toContain(breaker.state);
      // Calls relayed from the service made it into the per-second series.
      expect(breaker.series.calls.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
  }, 120_000);

  it('demo — exits 0 once the protected run is over, and the dashboards are gone with their services', async () => {
    expect(await exit, output).toBe(0);
    expect(output).toMatch(/^Verdict: /m);
    const urls = [...Object.values(dashboardUrls()), combinedUrl()];
    expect(urls).toHaveLength(4);
    for (const url of urls) await expect(fetch(`${url}api/breakers`)).rejects.toThrow();
  }, 120_000);
});

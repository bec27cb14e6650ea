import { describe, expect, it } from 'vitest';
import { main } from '../../examples/dashboard.js';
import type { DashboardSnapshot } from '../../src/dashboard/index.js';
import { FakeClock } from '../../src/testing/index.js';

const snapshot = async (url: string) =>
  (await (await fetch(`${url}api/breakers`)).json()) as DashboardSnapshot;

describe('examples/dashboard.ts', () => {
  it('main — serves the dashboard with live traffic on the system clock', async () => {
    const lines: string[] = [];
    const example = await main({ port: 0, log: (l) => lines.push(l) });
    try {
      expect(lines).toEqual([`breakwater dashboard example: ${example.url}`]);
      expect(example.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      await expect
        .poll(
          async () => (await snapshot(example.url)).breakers.find((b) => b.name === 'payments')?.totals.calls,
          {
            timeout: 5_000,
          },
        )
        .toBeGreaterThan(3);
      const names = (await snapshot(example.url)).breakers.map((b) => [b.name, b.state]);
      expect(names).toContainEqual(['recommendations', 'isolated']);
      expect(names).toHaveLength(5);
    } finally {
      await example.close();
    }
    expect(example.telemetry.active).toBe(false);
  });

  it('main — on a fake clock, inventory goes down 20 s in and its circuit opens; close stops the traffic', async () => {
    const clock = new FakeClock();
    const example = await main({ port: 0, clock, log: () => undefined });
    try {
      for (let s = 0; s < 30; s++) await clock.advanceAsync(1_000);
      const snap = await snapshot(example.url);
      expect(snap.transitions.some((t) => t.breaker === 'inventory' && t.to === 'open')).toBe(true);
      expect(snap.breakers.find((b) => b.name === 'payments')?.state).toBe('closed');
    } finally {
      await example.close();
    }
    await clock.advanceAsync(1_000); // calls in flight finish
    const calls = example.breakers.payments!.stats.totals.calls;
    await clock.advanceAsync(10_000);
    expect(example.breakers.payments!.stats.totals.calls).toBe(calls);
  });
});

// A staleCache counts its answers in place while only exporters read the stream; the Prometheus
// exporter reads the counts at scrape time (docs/observability.md "How the exporters count calls").
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Telemetry, type TelemetryEvent, staleCache } from '../../src/index.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { lines } from './scrape.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const down = (): Promise<number> => Promise.reject(new Error('down'));

/** `fresh` fresh answers, then `stale` stale ones for the same key, then `miss` misses on new keys. */
async function answer(cache: ReturnType<typeof staleCache>, fresh: number, stale: number, miss: number) {
  for (let i = 0; i < fresh; i++) await cache.execute(async () => i, { key: 'k' });
  for (let i = 0; i < stale; i++) await cache.execute(down, { key: 'k' });
  for (let i = 0; i < miss; i++)
    await expect(cache.execute(down, { key: `none-${i}` })).rejects.toThrow('down');
}

const series = (policy: string, fresh: number, stale: number, miss: number): string[] => [
  `breakwater_cache_answers_total{policy="${policy}",kind="staleCache",result="fresh"} ${fresh}`,
  `breakwater_cache_answers_total{policy="${policy}",kind="staleCache",result="stale"} ${stale}`,
  `breakwater_cache_answers_total{policy="${policy}",kind="staleCache",result="miss"} ${miss}`,
];

describe('prometheusMetrics — stale cache answers read at scrape time', () => {
  it('scrape — with only the exporter attached, no event is built per answer and the counts are exact', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    const reader: TelemetryEvent[] = [];
    prometheusMetrics({ telemetry, registry });
    telemetry.subscribe((event) => reader.push(event), { aggregates: true });
    const emit = vi.spyOn(telemetry, 'emit');
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    expect(lines(await registry.metrics(), 'breakwater_cache_answers_total')).toEqual([]);
    await answer(cache, 4, 7, 2);
    expect(emit).not.toHaveBeenCalled();
    expect(reader).toEqual([]);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE breakwater_cache_answers_total counter');
    expect(lines(text, 'breakwater_cache_answers_total')).toEqual(series('prices', 4, 7, 2));
    // Reading does not reset them.
    expect(lines(await registry.metrics(), 'breakwater_cache_answers_total')).toEqual(
      series('prices', 4, 7, 2),
    );
  });

  it('scrape — with an event listener too, events flow to it alone and the counts are not doubled', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const reader: TelemetryEvent[] = [];
    telemetry.subscribe((event) => reader.push(event), { aggregates: true });
    const listener: TelemetryEvent[] = [];
    telemetry.subscribe((event) => listener.push(event));
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 2, 3, 1);
    expect(listener.map((e) => (e.type === 'cache' ? e.result : e.type))).toEqual([
      'fresh',
      'fresh',
      'stale',
      'stale',
      'stale',
      'miss',
    ]);
    expect(listener[0]).toEqual({ type: 'cache', policy: 'prices', kind: 'staleCache', result: 'fresh' });
    expect(reader).toEqual([]);
    expect(lines(await registry.metrics(), 'breakwater_cache_answers_total')).toEqual(
      series('prices', 2, 3, 1),
    );
  });

  it('scrape — answers given while nobody aggregates are not counted; an event listener alone gets them all', async () => {
    const telemetry = new Telemetry();
    const listener: TelemetryEvent[] = [];
    const sub = telemetry.subscribe((event) => listener.push(event));
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 1, 1, 0);
    expect(listener).toHaveLength(2);
    expect([...telemetry.policyCounters('staleCache')]).toEqual([]);
    sub.dispose();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    await answer(cache, 0, 1, 1);
    expect(listener).toHaveLength(2);
    expect(lines(await registry.metrics(), 'breakwater_cache_answers_total')).toEqual(
      series('prices', 0, 1, 1),
    );
  });

  it('scrape — two stale caches with one name sum into one series; other names have their own', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const clock = new FakeClock();
    const a = staleCache({ ttl: 60_000, clock, telemetry, name: 'prices' });
    const b = staleCache({ ttl: 60_000, clock, telemetry, name: 'prices' });
    const c = staleCache({ ttl: 60_000, clock, telemetry, name: 'users' });
    await answer(a, 1, 2, 0);
    await answer(b, 3, 0, 1);
    await answer(c, 0, 0, 5);
    expect(lines(await registry.metrics(), 'breakwater_cache_answers_total')).toEqual([
      ...series('prices', 4, 2, 1),
      ...series('users', 0, 0, 5),
    ]);
  });

  it('dispose — the cache series leave the registry; the counts stay on the stream for the next exporter', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    const metrics = prometheusMetrics({ telemetry, registry });
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 1, 0, 0);
    metrics.dispose();
    expect(registry.getSingleMetric('breakwater_cache_answers_total')).toBeUndefined();
    await answer(cache, 1, 0, 0); // nobody reads: not counted
    const again = new Registry();
    prometheusMetrics({ telemetry, registry: again });
    expect(lines(await again.metrics(), 'breakwater_cache_answers_total')).toEqual(series('prices', 1, 0, 0));
  });
});

describe('Telemetry.policyCounter', () => {
  it('policyCounter — shared per kind and name; a different size for the same counters is refused', () => {
    const telemetry = new Telemetry();
    const counts = telemetry.policyCounter('staleCache', 'prices', 3);
    expect(telemetry.policyCounter('staleCache', 'prices', 3)).toBe(counts);
    expect(telemetry.policyCounter('other', 'prices', 2)).not.toBe(counts);
    expect(() => telemetry.policyCounter('staleCache', 'prices', 4)).toThrow(
      'Telemetry.policyCounter: the staleCache counters named "prices" have 3 numbers, not 4',
    );
    expect([...telemetry.policyCounters('staleCache').keys()]).toEqual(['prices']);
    expect([...telemetry.policyCounters('nothing')]).toEqual([]);
    expect(() => telemetry.policyCounter('staleCache', 'x', 0)).toThrow(
      'Telemetry.policyCounter: size must be an integer ≥ 1 (got 0)',
    );
  });
});

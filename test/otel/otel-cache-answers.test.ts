// A staleCache counts its answers in place while only exporters read the stream; the
// OpenTelemetry exporter records what was counted at collection time
// (docs/observability.md "How the exporters count calls").
import { AggregationTemporality, type DataPoint, type MetricData } from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Telemetry, type TelemetryEvent, staleCache } from '../../src/index.js';
import { otelMetrics } from '../../src/otel/index.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { sdkMeter } from './sdk-reader.js';
import { lines } from '../prometheus/scrape.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const setup = sdkMeter;

/** `[fresh, stale, miss]` of `policy` in a collection (undefined: no point). */
function answers(all: MetricData[], policy: string): (number | undefined)[] {
  const m = all.find((x) => x.descriptor.name === 'breakwater.cache.answers');
  const points = (m?.dataPoints ?? []) as DataPoint<number>[];
  return ['fresh', 'stale', 'miss'].map(
    (result) =>
      points.find(
        (p) =>
          p.attributes['breakwater.policy.name'] === policy &&
          p.attributes['breakwater.policy.kind'] === 'staleCache' &&
          p.attributes['breakwater.cache.result'] === result,
      )?.value,
  );
}

const down = (): Promise<number> => Promise.reject(new Error('down'));

async function answer(cache: ReturnType<typeof staleCache>, fresh: number, stale: number, miss: number) {
  for (let i = 0; i < fresh; i++) await cache.execute(async () => i, { key: 'k' });
  for (let i = 0; i < stale; i++) await cache.execute(down, { key: 'k' });
  for (let i = 0; i < miss; i++)
    await expect(cache.execute(down, { key: `none-${i}` })).rejects.toThrow('down');
}

describe('otelMetrics — stale cache answers recorded at collection time', () => {
  it('collect — with only the exporter attached, no event is built per answer; the counts are exact over collections', async () => {
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const emit = vi.spyOn(telemetry, 'emit');
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 2, 5, 1);
    expect(emit).not.toHaveBeenCalled();
    expect(answers(await read(), 'prices')).toEqual([2, 5, 1]);
    await answer(cache, 1, 0, 2);
    expect(answers(await read(), 'prices')).toEqual([3, 5, 3]);
    expect(answers(await read(), 'prices')).toEqual([3, 5, 3]);
  });

  it('collect — under delta temporality each collection holds the answers since the previous one', async () => {
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup(AggregationTemporality.DELTA);
    otelMetrics({ telemetry, meterProvider });
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 1, 2, 0);
    expect(answers(await read(), 'prices')).toEqual([1, 2, undefined]);
    await answer(cache, 0, 1, 0);
    expect(answers(await read(), 'prices')).toEqual([undefined, 1, undefined]);
    expect(answers(await read(), 'prices')).toEqual([undefined, undefined, undefined]);
  });

  it('collect — beside an event listener and Prometheus, events flow to the listener and neither exporter counts twice', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const listener: TelemetryEvent[] = [];
    telemetry.subscribe((event) => listener.push(event));
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 3, 2, 1);
    expect(listener.filter((e) => e.type === 'cache')).toHaveLength(6);
    expect(answers(await read(), 'prices')).toEqual([3, 2, 1]);
    expect(lines(await registry.metrics(), 'breakwater_cache_answers_total')).toEqual([
      'breakwater_cache_answers_total{policy="prices",kind="staleCache",result="fresh"} 3',
      'breakwater_cache_answers_total{policy="prices",kind="staleCache",result="stale"} 2',
      'breakwater_cache_answers_total{policy="prices",kind="staleCache",result="miss"} 1',
    ]);
  });

  it('otelMetrics — attached later, counts from its attachment; dispose records what was counted until then', async () => {
    const telemetry = new Telemetry();
    prometheusMetrics({ telemetry, registry: new Registry() });
    const cache = staleCache({ ttl: 60_000, clock: new FakeClock(), telemetry, name: 'prices' });
    await answer(cache, 4, 0, 0);
    const { meterProvider, read } = setup();
    const metrics = otelMetrics({ telemetry, meterProvider });
    await answer(cache, 1, 1, 0);
    metrics.dispose();
    await answer(cache, 1, 1, 1);
    expect(answers(await read(), 'prices')).toEqual([1, 1, undefined]);
  });
});

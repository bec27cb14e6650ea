// The OpenTelemetry exporter reads the counts the breakers keep and records them at collection
// time (docs/observability.md "How the exporters count calls").
import {
  AggregationTemporality,
  DataPointType,
  MeterProvider,
  type DataPoint,
  type Histogram,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { otelMetrics } from '../../src/otel/index.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { sdkMeter } from './sdk-reader.js';
import { sample } from '../prometheus/scrape.js';
import { timedCall } from '../telemetry/scripted-traffic.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const setup = sdkMeter;

const B = 'breakwater.breaker.name';
const O = 'breakwater.outcome';

function points<T>(all: MetricData[], name: string, attributes: Record<string, string>): DataPoint<T>[] {
  const m = all.find((x) => x.descriptor.name === name);
  return ((m?.dataPoints ?? []) as DataPoint<T>[]).filter((p) =>
    Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );
}

function histogram(all: MetricData[], breaker: string, outcome: string): Histogram | undefined {
  return points<Histogram>(all, 'breakwater.call.duration', { [B]: breaker, [O]: outcome })[0]?.value;
}

function calls(all: MetricData[], breaker: string, outcome: string): number | undefined {
  return points<number>(all, 'breakwater.calls', { [B]: breaker, [O]: outcome })[0]?.value;
}

/** `provider`, with every `add` and `record` on its counters and histograms noted in `recorded`. */
function counting(provider: MeterProvider, recorded: string[]): MeterProvider {
  const note =
    (name: string, instrument: object) =>
    (method: 'add' | 'record') =>
    (...args: unknown[]) => {
      recorded.push(name);
      (instrument as Record<string, (...a: unknown[]) => void>)[method]!(...args);
    };
  return {
    getMeter: (...args: Parameters<MeterProvider['getMeter']>) => {
      const meter = provider.getMeter(...args);
      return Object.assign(Object.create(meter) as typeof meter, {
        createCounter: (name: string, options?: object) => {
          const counter = meter.createCounter(name, options);
          return { add: note(name, counter)('add') };
        },
        createHistogram: (name: string, options?: object) => {
          const histogram = meter.createHistogram(name, options);
          return { record: note(name, histogram)('record') };
        },
      });
    },
  } as unknown as MeterProvider;
}

function breaker(telemetry: Telemetry, clock: FakeClock, name = 'db'): CircuitBreaker {
  return new CircuitBreaker({ name, telemetry, clock, timeout: false, failureThreshold: 100 });
}

describe('otelMetrics — calls recorded at collection time', () => {
  it('collect — buckets, sum, count, min and max are exact after several collections', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const b = breaker(telemetry, clock);
    for (const ms of [3, 4, 40]) await timedCall(clock, b, ms);
    const first = histogram(await read(), 'db', 'success')!;
    expect(first).toMatchObject({ count: 3, min: 0.003, max: 0.04 });
    expect(first.sum).toBeCloseTo(0.047, 12);
    for (const ms of [0.5, 4.5, 700]) await timedCall(clock, b, ms);
    await timedCall(clock, b, 20, true);
    const all = await read();
    const h = histogram(all, 'db', 'success')!;
    expect(h.count).toBe(6);
    expect(h.sum).toBeCloseTo(0.752, 12);
    expect(h.min).toBe(0.0005);
    expect(h.max).toBe(0.7);
    expect(h.buckets.boundaries).toEqual([
      0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]);
    expect(h.buckets.counts).toEqual([1, 0, 3, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]);
    expect(calls(all, 'db', 'success')).toBe(6);
    expect(calls(all, 'db', 'failure')).toBe(1);
    expect(histogram(all, 'db', 'failure')).toMatchObject({ count: 1, min: 0.02, max: 0.02 });
  });

  it('collect — under delta temporality each collection holds the calls since the previous one', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup(AggregationTemporality.DELTA);
    otelMetrics({ telemetry, meterProvider });
    const b = breaker(telemetry, clock);
    await timedCall(clock, b, 2);
    await timedCall(clock, b, 2);
    expect(calls(await read(), 'db', 'success')).toBe(2);
    await timedCall(clock, b, 30);
    const all = await read();
    expect(calls(all, 'db', 'success')).toBe(1);
    expect(histogram(all, 'db', 'success')).toMatchObject({ count: 1, sum: 0.03 });
    expect(calls(await read(), 'db', 'success')).toBeUndefined();
  });

  it('collect — no event is built per call and nothing reaches the SDK until it collects', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    const recorded: string[] = [];
    otelMetrics({ telemetry, meterProvider: counting(meterProvider, recorded) });
    const emit = vi.spyOn(telemetry, 'emit');
    const b = breaker(telemetry, clock);
    for (let i = 0; i < 5; i++) await timedCall(clock, b, 1);
    expect(emit.mock.calls.filter(([event]) => event.type === 'call')).toEqual([]);
    expect(recorded).toEqual([]);
    expect(calls(await read(), 'db', 'success')).toBe(5);
    expect(recorded.filter((name) => name === 'breakwater.call.duration')).toHaveLength(5);
    expect(recorded.filter((name) => name === 'breakwater.calls')).toHaveLength(1);
  });

  it('otelMetrics — an exporter attached later counts from its attachment', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    prometheusMetrics({ telemetry, registry: new Registry() });
    const b = breaker(telemetry, clock);
    await timedCall(clock, b, 1);
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    await timedCall(clock, b, 1);
    expect(calls(await read(), 'db', 'success')).toBe(1);
  });

  it('otelMetrics — beside a Prometheus exporter with other buckets, both are exact at their own boundaries', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry, buckets: [0.003, 0.2] });
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const b = breaker(telemetry, clock);
    for (const ms of [2, 2.9, 3, 4, 150, 300]) await timedCall(clock, b, ms);
    const text = await registry.metrics();
    const le = (bound: string) =>
      sample(text, 'breakwater_call_duration_seconds_bucket', {
        breaker: 'db',
        outcome: 'success',
        le: bound,
      });
    expect([le('0.003'), le('0.2'), le('+Inf')]).toEqual([3, 5, 6]);
    const h = histogram(await read(), 'db', 'success')!;
    // OpenTelemetry's own boundaries (ms): 1, 2.5, 5, 10, 25, 50, 100, 250, 500, ...
    expect(h.buckets.counts.slice(0, 9)).toEqual([0, 1, 3, 0, 0, 0, 0, 1, 1]);
    expect(h.sum).toBeCloseTo(0.4619, 12);
  });

  it('otelMetrics — the duration histogram keeps its type and unit', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    await timedCall(clock, breaker(telemetry, clock), 1);
    const d = (await read()).find((m) => m.descriptor.name === 'breakwater.call.duration')!;
    expect(d.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(d.descriptor.unit).toBe('s');
  });
});

import { metrics } from '@opentelemetry/api';
import { DataPointType, type DataPoint, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry, queueForLater, staleCache, timeout } from '../../src/index.js';
import { otelMetrics } from '../../src/otel/index.js';
import { LIBRARY_VERSION } from '../../src/telemetry/metric-names.js';
import { FakeClock } from '../../src/testing/index.js';
import { sdkMeter } from './sdk-reader.js';
import { runScript, scripted, timedCall } from '../telemetry/scripted-traffic.js';

function setup() {
  const { meterProvider, collect } = sdkMeter();
  return { meterProvider, read: collect };
}

function metric(all: MetricData[], name: string): MetricData {
  const found = all.find((m) => m.descriptor.name === name);
  if (found === undefined)
    throw new Error(`no metric ${name}; have ${all.map((m) => m.descriptor.name).join(', ')}`);
  return found;
}

function point<T>(m: MetricData, attributes: Record<string, string>): DataPoint<T> | undefined {
  const points = m.dataPoints as DataPoint<T>[];
  return points.find(
    (p) =>
      Object.keys(p.attributes).length === Object.keys(attributes).length &&
      Object.entries(attributes).every(([k, v]) => p.attributes[k] === v),
  );
}

const P = 'payments';
const B = 'breakwater.breaker.name';

describe('otelMetrics — scripted traffic', () => {
  it('otelMetrics — uses the meter "breakwater" with the library version', async () => {
    const s = scripted(P);
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry: s.telemetry, meterProvider });
    await runScript(s);
    const { scope } = await read();
    expect(scope).toMatchObject({ name: 'breakwater', version: LIBRARY_VERSION });
  });

  it('otelMetrics — counts calls by breaker and outcome', async () => {
    const s = scripted(P);
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry: s.telemetry, meterProvider });
    await runScript(s);
    const calls = metric((await read()).metrics, 'breakwater.calls');
    expect(calls.dataPointType).toBe(DataPointType.SUM);
    expect(calls.descriptor.unit).toBe('{call}');
    const value = (outcome: string) => point<number>(calls, { [B]: P, 'breakwater.outcome': outcome })?.value;
    expect(value('success')).toBe(4);
    expect(value('failure')).toBe(3);
    expect(value('rejected')).toBe(2);
    expect(value('timeout')).toBeUndefined();
  });

  it('otelMetrics — counts transitions with from and to attributes', async () => {
    const s = scripted(P);
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry: s.telemetry, meterProvider });
    await runScript(s);
    const t = metric((await read()).metrics, 'breakwater.transitions');
    const value = (from: string, to: string) =>
      point<number>(t, { [B]: P, 'breakwater.transition.from': from, 'breakwater.transition.to': to })?.value;
    expect(value('closed', 'open')).toBe(1);
    expect(value('open', 'half-open')).toBe(1);
    expect(value('half-open', 'closed')).toBe(1);
    expect(t.dataPoints).toHaveLength(3);
  });

  it('otelMetrics — records call durations in seconds with the default buckets', async () => {
    const s = scripted(P);
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry: s.telemetry, meterProvider });
    await runScript(s);
    const d = metric((await read()).metrics, 'breakwater.call.duration');
    expect(d.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(d.descriptor.unit).toBe('s');
    const success = point<Histogram>(d, { [B]: P, 'breakwater.outcome': 'success' })!.value;
    expect(success.count).toBe(4);
    expect(success.sum).toBeCloseTo(0.51, 9);
    expect(success.min).toBeCloseTo(0.005, 9);
    expect(success.max).toBeCloseTo(0.25, 9);
    expect(success.buckets.boundaries).toContain(0.25);
    const failure = point<Histogram>(d, { [B]: P, 'breakwater.outcome': 'failure' })!.value;
    expect(failure.count).toBe(3);
    expect(point(d, { [B]: P, 'breakwater.outcome': 'rejected' })).toBeUndefined();
  });

  it('otelMetrics — the state gauge has one point per state, 1 for the current', async () => {
    const s = scripted(P);
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry: s.telemetry, meterProvider });
    const states = async () => {
      const g = metric((await read()).metrics, 'breakwater.state');
      expect(g.dataPointType).toBe(DataPointType.GAUGE);
      expect(g.dataPoints).toHaveLength(6);
      return (g.dataPoints as DataPoint<number>[])
        .filter((p) => p.value === 1)
        .map((p) => p.attributes['breakwater.breaker.state']);
    };
    expect(await states()).toEqual(['closed']);
    for (let i = 0; i < 3; i++) await timedCall(s.clock, s.breaker, 1, true);
    expect(await states()).toEqual(['open']);
    s.clock.advance(1_000);
    expect(await states()).toEqual(['half-open']);
  });

  it('otelMetrics — counts fallbacks, retries and bulkhead rejections by policy', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const breaker = new CircuitBreaker({ name: 'fb', telemetry, clock, timeout: false, fallback: () => 0 });
    await breaker.execute(() => Promise.reject(new Error('x')));
    telemetry.emit({ type: 'retry', policy: 'r', kind: 'retry', attempt: 1, delayMs: 5 });
    telemetry.emit({
      type: 'bulkhead',
      policy: 'b',
      kind: 'bulkhead',
      action: 'rejected',
      running: 2,
      queued: 0,
    });
    telemetry.emit({
      type: 'bulkhead',
      policy: 'b',
      kind: 'bulkhead',
      action: 'queued',
      running: 2,
      queued: 1,
    });
    const all = (await read()).metrics;
    const pol = (name: string, kind: string) => ({
      'breakwater.policy.name': name,
      'breakwater.policy.kind': kind,
    });
    expect(point<number>(metric(all, 'breakwater.fallbacks'), pol('fb', 'breaker'))?.value).toBe(1);
    expect(point<number>(metric(all, 'breakwater.retries'), pol('r', 'retry'))?.value).toBe(1);
    expect(point<number>(metric(all, 'breakwater.bulkhead.rejections'), pol('b', 'bulkhead'))?.value).toBe(1);
  });

  it('otelMetrics — counts timeouts, stale cache answers and queue events from the policies themselves', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const down = () => Promise.reject(new Error('down'));
    const slow = timeout(50, { clock, telemetry, name: 'db' })
      .execute(() => new Promise<never>(() => undefined))
      .catch(() => 0);
    await clock.advanceAsync(50);
    await slow;
    const cache = staleCache({ ttl: 60_000, clock, telemetry, name: 'prices' });
    await cache.execute(async () => 10, { key: 'sku' });
    for (let i = 0; i < 3; i++) await cache.execute(down, { key: 'sku' });
    await cache.execute(down, { key: 'other' }).catch(() => 0);
    const outbox = queueForLater<string>({
      replay: () => Promise.reject(new Error('still down')),
      maxAttempts: 1,
      telemetry,
      name: 'mail',
    });
    await outbox.execute(down, { payload: 'a' });
    await outbox.drain();

    const all = (await read()).metrics;
    const pol = (name: string, kind: string, extra: Record<string, string> = {}) => ({
      'breakwater.policy.name': name,
      'breakwater.policy.kind': kind,
      ...extra,
    });
    expect(point<number>(metric(all, 'breakwater.timeouts'), pol('db', 'timeout'))?.value).toBe(1);
    const cached = (result: string) =>
      point<number>(
        metric(all, 'breakwater.cache.answers'),
        pol('prices', 'staleCache', { 'breakwater.cache.result': result }),
      )?.value;
    expect([cached('fresh'), cached('stale'), cached('miss')]).toEqual([1, 3, 1]);
    const queue = (action: string) =>
      point<number>(
        metric(all, 'breakwater.queue.events'),
        pol('mail', 'queueForLater', { 'breakwater.queue.action': action }),
      )?.value;
    expect([queue('queued'), queue('dead-lettered'), queue('replayed')]).toEqual([1, 1, undefined]);
  });
});

describe('otelMetrics — lifecycle', () => {
  it('otelMetrics — dispose stops counting and drops the state callback', async () => {
    const s = scripted(P);
    const { meterProvider, read } = setup();
    const handle = otelMetrics({ telemetry: s.telemetry, meterProvider });
    await timedCall(s.clock, s.breaker, 1);
    handle.dispose();
    expect(s.telemetry.active).toBe(false);
    await timedCall(s.clock, s.breaker, 1);
    const all = (await read()).metrics;
    expect(
      point<number>(metric(all, 'breakwater.calls'), { [B]: P, 'breakwater.outcome': 'success' })?.value,
    ).toBe(1);
    expect(all.find((m) => m.descriptor.name === 'breakwater.state')?.dataPoints ?? []).toHaveLength(0);
  });

  it('otelMetrics — a breaker that leaves the stream drops out of the state gauge', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const { meterProvider, read } = setup();
    otelMetrics({ telemetry, meterProvider });
    const a = new CircuitBreaker({ name: 'a', telemetry, clock });
    const b = new CircuitBreaker({ name: 'b', telemetry, clock });
    const { sourceOf } = await import('../../src/breaker/circuit-breaker.js');
    telemetry.unregister(sourceOf(a)!);
    const g = metric((await read()).metrics, 'breakwater.state');
    expect(new Set(g.dataPoints.map((p) => p.attributes[B]))).toEqual(new Set([b.name]));
  });

  it('otelMetrics — without a meterProvider it uses the global API (a no-op without an SDK)', async () => {
    const noop = scripted(P);
    const unused = otelMetrics({ telemetry: noop.telemetry }); // no global provider yet: a no-op
    expect(noop.telemetry.active).toBe(true);
    unused.dispose();
    expect(noop.telemetry.active).toBe(false);
    const { meterProvider, read } = setup();
    expect(metrics.setGlobalMeterProvider(meterProvider)).toBe(true);
    try {
      const s = scripted(P);
      const handle = otelMetrics({ telemetry: s.telemetry });
      metric((await read()).metrics, 'breakwater.state'); // reported through the global provider
      handle.dispose();
    } finally {
      metrics.disable();
    }
  });

  it('otelMetrics — validates its options', () => {
    expect(() => otelMetrics({ telemetry: {}, meterProvider: {}, bogus: true } as never)).toThrow(
      /invalid otelMetrics options: bogus is not a known option.*telemetry must be a Telemetry stream.*meterProvider must be an OpenTelemetry MeterProvider/,
    );
  });

  it('LIBRARY_VERSION — equals the package version', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(LIBRARY_VERSION).toBe(pkg.version);
  });
});

import { Registry, register as globalRegistry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry, queueForLater, staleCache, timeout } from '../../src/index.js';
import { sourceOf } from '../../src/breaker/circuit-breaker.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { runScript, scripted, timedCall } from '../telemetry/scripted-traffic.js';
import { lines, sample } from './scrape.js';

const P = 'payments';

describe('prometheusMetrics — scripted traffic', () => {
  it('prometheusMetrics — counts calls by outcome after a scripted sequence', async () => {
    const s = scripted(P);
    const registry = new Registry();
    prometheusMetrics({ telemetry: s.telemetry, registry });
    await runScript(s);
    const text = await registry.metrics();
    const calls = (outcome: string) => sample(text, 'breakwater_calls_total', { breaker: P, outcome });
    expect(calls('success')).toBe(4);
    expect(calls('failure')).toBe(3);
    expect(calls('rejected')).toBe(2);
    expect(calls('timeout')).toBe(0);
    expect(calls('ignored')).toBe(0);
    expect(text).toContain('# TYPE breakwater_calls_total counter');
    expect(text).toContain('# HELP breakwater_calls_total Calls through a circuit breaker');
  });

  it('prometheusMetrics — counts transitions with from and to labels', async () => {
    const s = scripted(P);
    const registry = new Registry();
    prometheusMetrics({ telemetry: s.telemetry, registry });
    await runScript(s);
    const text = await registry.metrics();
    const t = (from: string, to: string) =>
      sample(text, 'breakwater_transitions_total', { breaker: P, from, to });
    expect(t('closed', 'open')).toBe(1);
    expect(t('open', 'half-open')).toBe(1);
    expect(t('half-open', 'closed')).toBe(1);
    expect(lines(text, 'breakwater_transitions_total')).toHaveLength(3);
  });

  it('prometheusMetrics — records call durations in seconds, rejected calls untimed', async () => {
    const s = scripted(P);
    const registry = new Registry();
    prometheusMetrics({ telemetry: s.telemetry, registry });
    await runScript(s);
    const text = await registry.metrics();
    const h = 'breakwater_call_duration_seconds';
    expect(text).toContain(`# TYPE ${h} histogram`);
    expect(sample(text, `${h}_count`, { breaker: P, outcome: 'success' })).toBe(4);
    expect(sample(text, `${h}_sum`, { breaker: P, outcome: 'success' })).toBeCloseTo(0.51, 9);
    expect(sample(text, `${h}_bucket`, { breaker: P, outcome: 'success', le: '0.005' })).toBe(2);
    expect(sample(text, `${h}_bucket`, { breaker: P, outcome: 'success', le: '0.1' })).toBe(2);
    expect(sample(text, `${h}_bucket`, { breaker: P, outcome: 'success', le: '0.25' })).toBe(4);
    expect(sample(text, `${h}_count`, { breaker: P, outcome: 'failure' })).toBe(3);
    expect(sample(text, `${h}_sum`, { breaker: P, outcome: 'failure' })).toBeCloseTo(0.06, 9);
    expect(sample(text, `${h}_count`, { breaker: P, outcome: 'rejected' })).toBeUndefined();
  });

  it('prometheusMetrics — the state gauge is 1 for the current state and 0 for the others, read at scrape time', async () => {
    const s = scripted(P);
    const registry = new Registry();
    prometheusMetrics({ telemetry: s.telemetry, registry });
    const state = async () => {
      const text = await registry.metrics();
      const ones = lines(text, 'breakwater_state').filter((l) => l.endsWith(' 1'));
      expect(lines(text, 'breakwater_state')).toHaveLength(6);
      return ones;
    };
    expect(await state()).toEqual([`breakwater_state{breaker="${P}",state="closed"} 1`]);
    for (let i = 0; i < 3; i++) await timedCall(s.clock, s.breaker, 1, true);
    expect(await state()).toEqual([`breakwater_state{breaker="${P}",state="open"} 1`]);
    // No call happens: the due transition to half-open is seen when the gauge reads the breaker.
    s.clock.advance(1_000);
    expect(await state()).toEqual([`breakwater_state{breaker="${P}",state="half-open"} 1`]);
    const text = await registry.metrics();
    expect(sample(text, 'breakwater_transitions_total', { breaker: P, from: 'open', to: 'half-open' })).toBe(
      1,
    );
    s.breaker.isolate();
    expect(await state()).toEqual([`breakwater_state{breaker="${P}",state="isolated"} 1`]);
  });

  it('prometheusMetrics — every outcome starts at 0 for breakers on the stream, before and after creation', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const early = new CircuitBreaker({ name: 'early', telemetry, clock });
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const late = new CircuitBreaker({ name: 'late', telemetry, clock });
    const text = await registry.metrics();
    for (const b of [early, late]) {
      for (const outcome of ['success', 'failure', 'timeout', 'ignored', 'rejected'])
        expect(sample(text, 'breakwater_calls_total', { breaker: b.name, outcome })).toBe(0);
    }
  });

  it('prometheusMetrics — counts fallbacks with policy and kind labels', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const breaker = new CircuitBreaker({
      name: 'fb',
      telemetry,
      clock,
      timeout: false,
      fallback: () => 'cached',
    });
    await expect(breaker.execute(() => Promise.reject(new Error('x')))).resolves.toBe('cached');
    await expect(breaker.execute(() => Promise.reject(new Error('x')))).resolves.toBe('cached');
    const text = await registry.metrics();
    expect(sample(text, 'breakwater_fallbacks_total', { policy: 'fb', kind: 'breaker' })).toBe(2);
  });

  it('prometheusMetrics — counts retries and bulkhead rejections reported by policies', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    telemetry.emit({ type: 'retry', policy: 'r', kind: 'retry', attempt: 1, delayMs: 10 });
    telemetry.emit({ type: 'retry', policy: 'r', kind: 'retry', attempt: 2, delayMs: 20 });
    for (const action of ['queued', 'rejected', 'dequeued', 'rejected'] as const)
      telemetry.emit({ type: 'bulkhead', policy: 'b', kind: 'bulkhead', action, running: 1, queued: 0 });
    const text = await registry.metrics();
    expect(sample(text, 'breakwater_retries_total', { policy: 'r', kind: 'retry' })).toBe(2);
    expect(sample(text, 'breakwater_bulkhead_rejections_total', { policy: 'b', kind: 'bulkhead' })).toBe(2);
  });

  it('prometheusMetrics — counts timeouts, stale cache answers and queue events from the policies themselves', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const down = () => Promise.reject(new Error('down'));
    const perCall = timeout(50, { clock, telemetry, name: 'db' });
    const slow = perCall.execute(() => new Promise<never>(() => undefined)).catch(() => 0);
    await clock.advanceAsync(50);
    await slow;
    const cache = staleCache({ ttl: 60_000, clock, telemetry, name: 'prices' });
    await cache.execute(async () => 10, { key: 'sku' });
    for (let i = 0; i < 3; i++) await cache.execute(down, { key: 'sku' });
    const outbox = queueForLater<string>({ replay: () => undefined, maxQueued: 1, telemetry, name: 'mail' });
    await outbox.execute(down, { payload: 'a' });
    await outbox.execute(down, { payload: 'b' }).catch(() => 0);
    await outbox.drain();

    const text = await registry.metrics();
    expect(sample(text, 'breakwater_timeouts_total', { policy: 'db', kind: 'timeout' })).toBe(1);
    const cached = (result: string) =>
      sample(text, 'breakwater_cache_answers_total', { policy: 'prices', kind: 'staleCache', result });
    expect([cached('fresh'), cached('stale'), cached('miss')]).toEqual([1, 3, 0]);
    const queue = (action: string) =>
      sample(text, 'breakwater_queue_events_total', { policy: 'mail', kind: 'queueForLater', action });
    expect(['queued', 'refused', 'replayed', 'replay-failed', 'dead-lettered'].map(queue)).toEqual([
      1, 1, 1, 0, 0,
    ]);
    expect(text).toContain('# TYPE breakwater_cache_answers_total counter');
    expect(text).toContain('# HELP breakwater_timeouts_total Calls a timeout policy gave up on');
  });
});

describe('prometheusMetrics — bounded labels and cleanup', () => {
  it('prometheusMetrics — removes a breaker’s series when it is unregistered', async () => {
    const s = scripted(P);
    const other = new CircuitBreaker({
      name: 'other',
      telemetry: s.telemetry,
      clock: s.clock,
      timeout: false,
    });
    const registry = new Registry();
    prometheusMetrics({ telemetry: s.telemetry, registry });
    await runScript(s);
    await other.execute(async () => 1);
    s.telemetry.unregister(sourceOf(s.breaker)!);
    const text = await registry.metrics();
    expect(text).not.toContain(`breaker="${P}"`);
    expect(sample(text, 'breakwater_calls_total', { breaker: 'other', outcome: 'success' })).toBe(1);
    expect(lines(text, 'breakwater_state')).toHaveLength(6);
  });

  it('prometheusMetrics — dispose unsubscribes and removes only its own metrics', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    registry.registerMetric(
      new (await import('prom-client')).Counter({ name: 'app_requests_total', help: 'app', registers: [] }),
    );
    const metrics = prometheusMetrics({ telemetry, registry });
    expect(telemetry.active).toBe(true);
    expect(metrics.names).toContain('breakwater_calls_total');
    metrics.dispose();
    metrics.dispose();
    expect(telemetry.active).toBe(false);
    const text = await registry.metrics();
    expect(text).not.toContain('breakwater_');
    expect(text).toContain('app_requests_total');
  });

  it('prometheusMetrics — never touches the global registry', async () => {
    const s = scripted(P);
    const before = await globalRegistry.metrics();
    prometheusMetrics({ telemetry: s.telemetry, registry: new Registry() });
    await runScript(s);
    expect(await globalRegistry.metrics()).toBe(before);
    expect(before).not.toContain('breakwater_');
  });

  it('prometheusMetrics — a name clash throws and leaves the registry as it was', async () => {
    const telemetry = new Telemetry();
    const registry = new Registry();
    const { Gauge } = await import('prom-client');
    registry.registerMetric(
      new Gauge({ name: 'breakwater_transitions_total', help: 'theirs', registers: [] }),
    );
    expect(() => prometheusMetrics({ telemetry, registry })).toThrow(
      /already has a metric named breakwater_transitions_total/,
    );
    expect(registry.getMetricsAsArray()).toHaveLength(1);
    expect(telemetry.active).toBe(false);
  });

  it('prometheusMetrics — prefix and buckets are applied', async () => {
    const s = scripted(P);
    const registry = new Registry();
    prometheusMetrics({ telemetry: s.telemetry, registry, prefix: 'shop_', buckets: [0.01, 0.3] });
    await runScript(s);
    const text = await registry.metrics();
    expect(sample(text, 'shop_calls_total', { breaker: P, outcome: 'success' })).toBe(4);
    expect(lines(text, 'shop_call_duration_seconds_bucket').filter((l) => l.includes('"success"'))).toEqual([
      `shop_call_duration_seconds_bucket{le="0.01",breaker="${P}",outcome="success"} 2`,
      `shop_call_duration_seconds_bucket{le="0.3",breaker="${P}",outcome="success"} 4`,
      `shop_call_duration_seconds_bucket{le="+Inf",breaker="${P}",outcome="success"} 4`,
    ]);
    expect(text).not.toContain('breakwater_');
  });

  it('prometheusMetrics — escapes label values (a breaker name is data)', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const name = 'a"b\\c\nd';
    const breaker = new CircuitBreaker({ name, telemetry, clock, timeout: false });
    await breaker.execute(async () => 1);
    const text = await registry.metrics();
    expect(text).toContain('breaker="a\\"b\\\\c\\nd"');
    expect(sample(text, 'breakwater_calls_total', { breaker: name, outcome: 'success' })).toBe(1);
  });
});

describe('prometheusMetrics — validation', () => {
  it('prometheusMetrics — reports every bad option at once', () => {
    expect(() =>
      prometheusMetrics({
        telemetry: {},
        registry: {},
        prefix: '9bad-',
        buckets: [1, 0.5],
        extra: 1,
      } as never),
    ).toThrow(
      /invalid prometheusMetrics options: extra is not a known option.*telemetry must be a Telemetry stream.*registry must be a prom-client Registry.*prefix must be a valid Prometheus name prefix.*buckets must be a non-empty array/,
    );
  });

  it('prometheusMetrics — rejects a missing options object', () => {
    expect(() => prometheusMetrics(undefined as never)).toThrow(TypeError);
  });
});

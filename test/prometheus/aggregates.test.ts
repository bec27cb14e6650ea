// The Prometheus exporter reads the counts the breakers keep, at scrape time
// (docs/observability.md "How the exporters count calls").
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { timedCall } from '../telemetry/scripted-traffic.js';
import { lines } from './scrape.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('prometheusMetrics — read at scrape time', () => {
  it('scrape — the call counts and the histogram are exact, in prom-client’s text format', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry, buckets: [0.005, 0.05] });
    const emit = vi.spyOn(telemetry, 'emit');
    const b = new CircuitBreaker({ name: 'db', telemetry, clock, timeout: false, failureThreshold: 100 });
    await timedCall(clock, b, 3);
    await timedCall(clock, b, 40);
    await timedCall(clock, b, 60, true);
    expect(emit.mock.calls.filter(([event]) => event.type === 'call')).toEqual([]);
    const text = await registry.metrics();
    const h = 'breakwater_call_duration_seconds';
    expect(text).toContain(`# HELP ${h} Duration of calls that ran through a circuit breaker`);
    expect(text).toContain(`# TYPE ${h} histogram`);
    expect([...lines(text, `${h}_bucket`), ...lines(text, `${h}_sum`), ...lines(text, `${h}_count`)]).toEqual(
      [
        `${h}_bucket{le="0.005",breaker="db",outcome="success"} 1`,
        `${h}_bucket{le="0.05",breaker="db",outcome="success"} 2`,
        `${h}_bucket{le="+Inf",breaker="db",outcome="success"} 2`,
        `${h}_bucket{le="0.005",breaker="db",outcome="failure"} 0`,
        `${h}_bucket{le="0.05",breaker="db",outcome="failure"} 0`,
        `${h}_bucket{le="+Inf",breaker="db",outcome="failure"} 1`,
        `${h}_sum{breaker="db",outcome="success"} 0.043`,
        `${h}_sum{breaker="db",outcome="failure"} 0.06`,
        `${h}_count{breaker="db",outcome="success"} 2`,
        `${h}_count{breaker="db",outcome="failure"} 1`,
      ],
    );
    expect(lines(text, 'breakwater_calls_total')).toEqual([
      'breakwater_calls_total{breaker="db",outcome="success"} 2',
      'breakwater_calls_total{breaker="db",outcome="failure"} 1',
      'breakwater_calls_total{breaker="db",outcome="timeout"} 0',
      'breakwater_calls_total{breaker="db",outcome="ignored"} 0',
      'breakwater_calls_total{breaker="db",outcome="rejected"} 0',
    ]);
  });

  it('scrape — two scrapes in a row read the same counts (reading does not reset them)', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const b = new CircuitBreaker({ name: 'db', telemetry, clock, timeout: false });
    await timedCall(clock, b, 1);
    const first = await registry.metrics();
    expect(await registry.metrics()).toBe(first);
    await timedCall(clock, b, 1);
    expect(lines(await registry.metrics(), 'breakwater_calls_total')[0]).toBe(
      'breakwater_calls_total{breaker="db",outcome="success"} 2',
    );
  });

  it('scrape — a registry reset leaves the breakers’ counts alone', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    const b = new CircuitBreaker({ name: 'db', telemetry, clock, timeout: false });
    await timedCall(clock, b, 1);
    registry.resetMetrics();
    expect(lines(await registry.metrics(), 'breakwater_call_duration_seconds_count')).toEqual([
      'breakwater_call_duration_seconds_count{breaker="db",outcome="success"} 1',
    ]);
  });
});

// A real OpenTelemetry SDK MeterProvider with a reader collected on demand (no timer, no
// exporter), shared by the OpenTelemetry exporter's tests.
import {
  AggregationTemporality,
  MeterProvider,
  MetricReader,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import { expect } from 'vitest';

class TestReader extends MetricReader {
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
}

/** The `breakwater` scope of one collection, and its metrics. */
export interface Collected {
  readonly scope: { name: string; version?: string };
  readonly metrics: MetricData[];
}

/** A MeterProvider whose reader `collect()`s on demand, with `temporality` for every instrument. */
export function sdkMeter(temporality = AggregationTemporality.CUMULATIVE): {
  readonly meterProvider: MeterProvider;
  readonly collect: () => Promise<Collected>;
  readonly read: () => Promise<MetricData[]>;
} {
  const reader = new TestReader({ aggregationTemporalitySelector: () => temporality });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const collect = async (): Promise<Collected> => {
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const scope = resourceMetrics.scopeMetrics.find((s) => s.scope.name === 'breakwater');
    return { scope: scope?.scope ?? { name: '' }, metrics: scope?.metrics ?? [] };
  };
  return { meterProvider, collect, read: async () => (await collect()).metrics };
}

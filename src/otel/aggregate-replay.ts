/**
 * Feeds OpenTelemetry's synchronous call counter and duration histogram from the counts the
 * breakers keep themselves (`CallAggregates`), at collection time: nothing reaches the SDK per
 * call. The OpenTelemetry API has no observable histogram, so the histogram is fed by recording,
 * when the SDK collects, the calls counted since the previous collection: for each bucket, its new
 * calls at their mean duration. Bucket counts and the sum are exact; a new shortest or longest
 * call is recorded at its own value, so min and max are exact over the exporter's life (per
 * collection interval, under delta temporality, they may be a bucket mean). The work at
 * collection is one `record` per call since the previous one, off the call path.
 *
 * What was exported is remembered per source, weakly: a breaker that goes away takes its entry
 * with it (and the calls it made since the last collection).
 */
import type { Attributes, Counter, Histogram } from '@opentelemetry/api';
import { CallAggregates, OUTCOME_ORDER } from '../core/call-aggregates.js';
import type { Telemetry, TelemetrySource } from '../core/telemetry.js';
import { OTEL_ATTRIBUTES as A } from '../telemetry/metric-names.js';
import { breakerSources } from '../telemetry/sources.js';

const TIMED_OUTCOMES = 4;

/** See the module comment. */
export class AggregateReplay {
  readonly #telemetry: Telemetry;
  readonly #calls: Counter;
  readonly #duration: Histogram;
  /** What was exported of each source so far. */
  readonly #exported = new WeakMap<TelemetrySource, CallAggregates>();

  /** Counts from now on: calls made before it are taken as exported. */
  constructor(telemetry: Telemetry, calls: Counter, duration: Histogram) {
    this.#telemetry = telemetry;
    this.#calls = calls;
    this.#duration = duration;
    for (const source of breakerSources(telemetry)) {
      const aggregates = source.aggregates?.();
      if (aggregates !== undefined) this.#exported.set(source, aggregates.copy());
    }
  }

  /** Records what every live breaker counted since the last flush. */
  flush(): void {
    for (const source of breakerSources(this.#telemetry)) {
      const now = source.aggregates?.();
      if (now === undefined) continue;
      let before = this.#exported.get(source);
      if (before !== undefined && before.layout !== now.layout) before = before.relayout(now.layout);
      this.#exported.set(source, now.copy());
      this.#replay(source.name, now, before);
    }
  }

  #replay(name: string, now: CallAggregates, before: CallAggregates | undefined): void {
    const boundsMs = now.layout.boundsMs;
    OUTCOME_ORDER.forEach((outcome, o) => {
      const calls = now.count(o) - (before?.count(o) ?? 0);
      if (calls <= 0) return;
      const attributes: Attributes = { [A.breaker]: name, [A.outcome]: outcome };
      this.#calls.add(calls, attributes);
      if (o >= TIMED_OUTCOMES) return;
      const counts = now.bucketCounts(o);
      const sums = now.bucketSums(o);
      const oldCounts = before?.bucketCounts(o);
      const oldSums = before?.bucketSums(o);
      const [min, max] = now.extremes(o);
      const [oldMin, oldMax] = before?.extremes(o) ?? [Infinity, -Infinity];
      for (let b = 0; b < counts.length; b++) {
        let n = (counts[b] ?? 0) - (oldCounts?.[b] ?? 0);
        if (n <= 0) continue;
        let sum = (sums[b] ?? 0) - (oldSums?.[b] ?? 0);
        // Bucket b holds (low, high]; the first one everything from 0.
        const low = b === 0 ? -Infinity : (boundsMs[b - 1] ?? -Infinity);
        const high = boundsMs[b] ?? Infinity;
        const inBucket = (ms: number): boolean => ms > low && ms <= high;
        if (min < oldMin && inBucket(min)) {
          this.#duration.record(min / 1000, attributes);
          n--;
          sum -= min;
        }
        if (n > 0 && max > oldMax && inBucket(max)) {
          this.#duration.record(max / 1000, attributes);
          n--;
          sum -= max;
        }
        if (n <= 0) continue;
        // The mean of durations in (low, high] lies there too; clamped against rounding.
        const mean = Math.min(high, Math.max(sum / n, low + Math.abs(low) * Number.EPSILON));
        for (let i = 0; i < n; i++) this.#duration.record(mean / 1000, attributes);
      }
    });
  }
}

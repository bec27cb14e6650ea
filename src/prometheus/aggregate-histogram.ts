/**
 * A prom-client metric that shows the call duration histograms the breakers keep themselves
 * (`CallAggregates`): nothing is observed through prom-client per call; at scrape time the
 * registry asks `get()`, which reads every live breaker's buckets. The output is that of a
 * prom-client `Histogram` with labels `breaker` and `outcome`: one series per breaker and outcome
 * with at least one timed call, cumulative `_bucket` lines (then `le="+Inf"`), `_sum` and `_count`,
 * in seconds.
 */
import { OUTCOME_ORDER } from '../core/call-aggregates.js';
import type { Telemetry } from '../core/telemetry.js';
import { PROM_LABELS as L } from '../telemetry/metric-names.js';
import { breakerSources } from '../telemetry/sources.js';

/** Outcomes with a histogram: every one but `rejected` (a rejected call did not run). */
const TIMED_OUTCOMES = 4;

/** One sample line: `metricName{labels} value`. */
interface Sample {
  readonly metricName: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/** What a prom-client `Registry` reads from a metric at scrape time. */
interface Samples {
  readonly name: string;
  readonly help: string;
  readonly type: 'histogram';
  readonly aggregator: 'sum';
  readonly values: readonly Sample[];
}

/** See the module comment. Shaped like the prom-client metrics a `Registry` reads. */
export class AggregateHistogram {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly #telemetry: Telemetry;
  /** The boundaries shown, in seconds: those this exporter asked for. */
  readonly #bounds: readonly number[];

  constructor(name: string, help: string, telemetry: Telemetry, bounds: readonly number[]) {
    this.name = name;
    this.help = help;
    this.#telemetry = telemetry;
    this.#bounds = bounds;
  }

  /** The samples, read from the breakers now. */
  get(): Promise<Samples> {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const source of breakerSources(this.#telemetry)) {
      const aggregates = source.aggregates?.();
      if (aggregates === undefined) continue;
      const layoutBounds = aggregates.layout.boundsSeconds;
      for (let o = 0; o < TIMED_OUTCOMES; o++) {
        const counts = aggregates.bucketCounts(o);
        let count = 0;
        for (const n of counts) count += n;
        if (count === 0) continue;
        const labels = { [L.breaker]: source.name, [L.outcome]: OUTCOME_ORDER[o] ?? '' };
        // The stream's layout holds every boundary of ours (and maybe more, for other readers).
        let cumulative = 0;
        let at = 0;
        for (const bound of this.#bounds) {
          while (at < layoutBounds.length && (layoutBounds[at] ?? Infinity) <= bound)
            cumulative += counts[at++] ?? 0;
          values.push({ metricName: bucketName, labels: { le: bound, ...labels }, value: cumulative });
        }
        values.push({ metricName: bucketName, labels: { le: '+Inf', ...labels }, value: count });
        let sumMs = 0;
        for (const s of aggregates.bucketSums(o)) sumMs += s;
        values.push({ metricName: `${this.name}_sum`, labels, value: sumMs / 1000 });
        values.push({ metricName: `${this.name}_count`, labels, value: count });
      }
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: 'histogram',
      aggregator: 'sum',
      values,
    });
  }

  /** Nothing to reset: the breakers own the counts. */
  reset(): void {
    // The counts live in the breakers; a registry reset leaves them be.
  }
}

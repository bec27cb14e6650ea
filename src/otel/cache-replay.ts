/**
 * Feeds OpenTelemetry's `breakwater.cache.answers` counter from the counters the stream keeps per
 * stale cache (`Telemetry.policyCounter`), at collection time: nothing reaches the SDK per answer.
 * Each flush adds what was counted since the previous one. What was exported is remembered per
 * name, as the stream keeps the counters: bounded by the distinct names.
 */
import type { Counter } from '@opentelemetry/api';
import { CACHE_RESULT_ORDER, type Telemetry } from '../core/telemetry.js';
import { OTEL_ATTRIBUTES as A } from '../telemetry/metric-names.js';

const KIND = 'staleCache';

/** See the module comment. */
export class CacheAnswerReplay {
  readonly #telemetry: Telemetry;
  readonly #answers: Counter;
  /** What was exported of each stale cache name so far. */
  readonly #exported = new Map<string, Float64Array>();

  /** Counts from now on: answers counted before it are taken as exported. */
  constructor(telemetry: Telemetry, answers: Counter) {
    this.#telemetry = telemetry;
    this.#answers = answers;
    for (const [name, counts] of telemetry.policyCounters(KIND)) this.#exported.set(name, counts.slice());
  }

  /** Records what every stale cache counted since the last flush. */
  flush(): void {
    for (const [name, counts] of this.#telemetry.policyCounters(KIND)) {
      const before = this.#exported.get(name);
      CACHE_RESULT_ORDER.forEach((result, r) => {
        const answers = (counts[r] ?? 0) - (before?.[r] ?? 0);
        if (answers > 0) this.#answers.add(answers, { [A.policy]: name, [A.kind]: KIND, [A.result]: result });
      });
      if (before === undefined) this.#exported.set(name, counts.slice());
      else before.set(counts);
    }
  }
}

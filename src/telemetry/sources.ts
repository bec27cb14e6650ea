/**
 * Reading breakers off a telemetry stream. Exporters and the dashboard never hold breakers
 * themselves: at scrape or render time they ask the stream for its live sources and read each
 * breaker's snapshot.
 */
import type { BreakerSource, BreakerStats } from '../index.js';
import type { Telemetry, TelemetrySource } from '../core/telemetry.js';

// Judged by brand, so a stream from the CommonJS build (or another copy) is accepted too.
export { isTelemetry } from '../core/telemetry.js';

/** True for a source a `CircuitBreaker` registered. */
export function isBreakerSource(source: TelemetrySource): source is BreakerSource {
  return source.kind === 'breaker';
}

/** The stream's live breaker sources, in registration order. */
export function breakerSources(telemetry: Telemetry): BreakerSource[] {
  return telemetry.sources().filter(isBreakerSource);
}

/**
 * Snapshots of every live breaker. A source whose `snapshot()` throws is left out (reading
 * metrics must never fail because of one breaker).
 */
export function breakerStats(telemetry: Telemetry): BreakerStats[] {
  const out: BreakerStats[] = [];
  for (const source of breakerSources(telemetry)) {
    try {
      out.push(source.snapshot());
    } catch {
      // A broken source is skipped; its event counters still tell its story.
    }
  }
  return out;
}

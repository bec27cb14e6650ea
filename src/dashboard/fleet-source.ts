/**
 * The fleet view's rows: every instance's published summary (`redisFleet({ summary })`), read
 * from the fleet at most once per `minIntervalMs` and only when a snapshot is asked for (no page
 * open, no reads), folded into one row per breaker name. A row is a plain `BreakerStats` (so the
 * paging, filter and counts of `breaker-query.ts` apply as they are) plus the breaker on each
 * instance. Instances are remembered for `goneKeepMs` after their summary expired, marked gone.
 */
import type { BreakerStats } from '../index.js';
import type { Clock } from '../core/clock.js';
import type { FleetState } from '../index.js';
import type { PublishedInstance } from '../telemetry/fleet-summary.js';
import type { InstanceSummary, SummaryRow } from '../telemetry/fleet-summary.js';
import type { BreakerCounts } from '../telemetry/breaker-query.js';
import { BreakerTable, dashboardWarning } from './breaker-scan.js';

/** What the dashboard needs of a fleet: a `RedisFleet` from `breakwater/redis`. */
export interface FleetReader {
  /** The summaries every live instance published (read at most once a second while a page is open). */
  summaries(): Promise<readonly PublishedInstance[]>;
}

/** True for something with `summaries()`. */
export function isFleetReader(value: unknown): value is FleetReader {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { summaries?: unknown }).summaries === 'function'
  );
}

/** One instance in the fleet view. */
export interface FleetInstanceView {
  /** The instance's id (its fleet's `instanceId`). */
  readonly id: string;
  /** Host name and pid by default, or the instance's `summary.label` option. */
  readonly label: string;
  /** `degraded`: some of its fleet breakers are local-only (`fleet.healthy` false). `gone`: its summary expired. */
  readonly status: 'live' | 'degraded' | 'gone';
  /** Ms since its summary was last read (0 while live). */
  readonly goneForMs: number;
  /** Breakers on the instance. */
  readonly total: number;
  /** The instance's breakers by class. */
  readonly counts: BreakerCounts;
  /** Breakers of the instance attached to the fleet. */
  readonly members: number;
  /** Of those, how many are local-only (`fleet.healthy` false: degraded or refused). */
  readonly degraded: number;
  /** Breakers the instance left out of its summary (its caps). */
  readonly omitted: number;
}

/** A breaker on one instance. */
export interface FleetBreakerOnInstance {
  readonly instance: string;
  readonly label: string;
  readonly state: SummaryRow['state'];
  readonly localState: SummaryRow['localState'];
  readonly fleetState: FleetState | undefined;
  readonly healthy: boolean | undefined;
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
  readonly retryAfterMs: number;
}

/** A breaker across the live instances: the most severe state, the windows summed. */
export interface FleetBreakerStats extends BreakerStats {
  readonly instances: readonly FleetBreakerOnInstance[];
}

/** The fleet at one read. */
export class FleetTable extends BreakerTable {
  readonly instances: readonly FleetInstanceView[];
  /** The last read's error, while reads fail (the rows are those of the last good read). */
  readonly error: string | undefined;

  constructor(now: number, rows: FleetBreakerStats[], instances: FleetInstanceView[], error?: string) {
    super(now, rows, []);
    this.instances = instances;
    this.error = error;
  }
}

const RANK: Readonly<Record<string, number>> = {
  open: 0,
  isolated: 1,
  'half-open': 2,
  closed: 3,
  disabled: 4,
};
const ZERO_TOTALS = Object.freeze({
  calls: 0,
  successes: 0,
  failures: 0,
  timeouts: 0,
  ignored: 0,
  rejected: 0,
  fallbacks: 0,
});

interface Remembered {
  summary: InstanceSummary;
  seenAt: number;
  live: boolean;
}

/** Limits of a {@link FleetSource}. */
export interface FleetSourceLimits {
  readonly minIntervalMs: number;
  readonly goneKeepMs: number;
  readonly maxInstances: number;
}

/** See the module comment. */
export class FleetSource {
  readonly #fleet: FleetReader;
  readonly #clock: Clock;
  readonly #limits: FleetSourceLimits;
  readonly #known = new Map<string, Remembered>();
  #table: FleetTable | undefined;
  #readAt = -Infinity;
  #waiting: ((table: FleetTable) => void)[] | undefined;
  /** Reads started (for tests and the bench). */
  reads = 0;

  constructor(fleet: FleetReader, clock: Clock, limits: FleetSourceLimits) {
    this.#fleet = fleet;
    this.#clock = clock;
    this.#limits = limits;
  }

  /** Calls `done` with the fleet: the last read when it is recent enough, else after a new one. */
  request(done: (table: FleetTable) => void): void {
    if (this.#waiting !== undefined) {
      this.#waiting.push(done);
      return;
    }
    const now = this.#clock.now();
    if (this.#table !== undefined && now - this.#readAt < this.#limits.minIntervalMs) {
      done(this.#table);
      return;
    }
    const waiting = [done];
    this.#waiting = waiting;
    this.#readAt = now;
    this.reads++;
    let read: Promise<readonly PublishedInstance[]>;
    try {
      read = this.#fleet.summaries();
    } catch (error) {
      read = Promise.reject(error);
    }
    const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
    void read
      .then(
        (published) => this.#build(published, undefined),
        (error: unknown) => this.#build(undefined, message(error)),
      )
      .then(undefined, (error: unknown) => new FleetTable(this.#clock.now(), [], [], message(error)))
      .then((table) => {
        this.#table = table;
        this.#waiting = undefined;
        for (const callback of waiting) {
          try {
            callback(table);
          } catch (error) {
            dashboardWarning(error);
          }
        }
      });
  }

  #build(published: readonly PublishedInstance[] | undefined, error: string | undefined): FleetTable {
    const now = this.#clock.now();
    const known = this.#known;
    if (published !== undefined) {
      for (const r of known.values()) r.live = false;
      for (const p of published) {
        if (p.summary === undefined) continue;
        known.set(p.id, { summary: p.summary, seenAt: now, live: true });
      }
      // Forget instances gone for long, then the oldest beyond the cap.
      for (const [id, r] of known) if (!r.live && now - r.seenAt > this.#limits.goneKeepMs) known.delete(id);
      if (known.size > this.#limits.maxInstances) {
        const byAge = [...known].sort((a, b) => a[1].seenAt - b[1].seenAt);
        for (const [id] of byAge.slice(0, known.size - this.#limits.maxInstances)) known.delete(id);
      }
    }
    const instances: FleetInstanceView[] = [];
    const byName = new Map<string, { rows: SummaryRow[]; on: FleetBreakerOnInstance[] }>();
    for (const [id, r] of known) {
      const s = r.summary;
      const gone = !r.live;
      instances.push({
        id,
        label: s.label,
        status: gone ? 'gone' : s.degraded > 0 ? 'degraded' : 'live',
        goneForMs: gone ? now - r.seenAt : 0,
        total: s.total,
        counts: s.counts,
        members: s.members,
        degraded: s.degraded,
        omitted: s.omitted,
      });
      if (gone) continue;
      for (const row of s.rows) {
        let entry = byName.get(row.name);
        if (entry === undefined) {
          entry = { rows: [], on: [] };
          byName.set(row.name, entry);
        }
        entry.rows.push(row);
        entry.on.push({
          instance: id,
          label: s.label,
          state: row.state,
          localState: row.localState,
          fleetState: row.fleetState,
          healthy: row.healthy,
          calls: row.calls,
          failures: row.failures,
          slowCalls: row.slowCalls,
          retryAfterMs: row.retryAfterMs,
        });
      }
    }
    instances.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : a.id < b.id ? -1 : 1));
    const rows: FleetBreakerStats[] = [];
    for (const [name, { rows: parts, on }] of byName) rows.push(foldRows(name, parts, on));
    return new FleetTable(now, rows, instances, error);
  }
}

/** One row from a breaker's rows on several instances. */
function foldRows(name: string, parts: SummaryRow[], on: FleetBreakerOnInstance[]): FleetBreakerStats {
  const worst = parts.reduce((w, p) => ((RANK[p.state] ?? 9) < (RANK[w.state] ?? 9) ? p : w));
  let local = worst.localState;
  let calls = 0;
  let failures = 0;
  let slowCalls = 0;
  let inFlight = 0;
  let generation = 0;
  for (const p of parts) {
    if ((RANK[p.localState] ?? 9) < (RANK[local] ?? 9)) local = p.localState;
    calls += p.calls;
    failures += p.failures;
    slowCalls += p.slowCalls;
    inFlight += p.inFlight;
    generation = Math.max(generation, p.generation);
  }
  on.sort((a, b) => (RANK[a.state] ?? 9) - (RANK[b.state] ?? 9) || (a.label < b.label ? -1 : 1));
  return {
    name,
    state: worst.state,
    localState: local,
    generation,
    timeInStateMs: worst.timeInStateMs,
    retryAfterMs: worst.retryAfterMs,
    inFlight,
    probesInFlight: 0,
    window: {
      calls,
      failures,
      slowCalls,
      failureRate: calls === 0 ? 0 : failures / calls,
      slowCallRate: calls === 0 ? 0 : slowCalls / calls,
    },
    totals: ZERO_TOTALS,
    instances: on,
  };
}

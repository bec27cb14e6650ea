/**
 * Reads every breaker's stats into one table, without blocking the event loop for long: the
 * sources are read `chunk` at a time, yielding to the event loop (`setImmediate`) between chunks,
 * so 10,000 breakers cost a few short turns instead of one long one. Requests that arrive while a
 * scan runs join it: twenty concurrent requests cost one scan. A table holds only the breakers'
 * stats (no series): the series and percentiles are read for the rows of a page only.
 *
 * The sources are whatever `list()` returns (this process's breakers, or stand-ins for breakers
 * elsewhere); a source whose `snapshot()` throws is left out.
 */
import type { BreakerStats } from '../index.js';
import { type PriorState, priorStateOf } from '../telemetry/activity.js';
import { type BreakerCounts, type SortKey, countBreakers, sortBreakers } from '../telemetry/breaker-query.js';
import { describeError, processWarning } from '../core/warn.js';

/** Something that can report a breaker's stats. */
export interface StatsSource {
  readonly name: string;
  snapshot(): BreakerStats;
}

/** Prior states kept in a table, newest first. */
export const MAX_PRIOR_STATES = 50;

/** Every breaker at one moment. */
export class BreakerTable {
  /** Clock time (ms) the scan started. */
  readonly now: number;
  readonly counts: BreakerCounts;
  readonly priorStates: readonly PriorState[];
  readonly priorStateCount: number;
  readonly #rows: BreakerStats[];
  readonly #sorted = new Map<SortKey, BreakerStats[]>();

  constructor(now: number, rows: BreakerStats[], prior: PriorState[]) {
    this.now = now;
    this.#rows = rows;
    this.counts = countBreakers(rows);
    prior.sort((a, b) => b.at - a.at);
    this.priorStateCount = prior.length;
    this.priorStates = prior.slice(0, MAX_PRIOR_STATES);
  }

  /** The rows in `key` order (sorted once per key and table). */
  sorted(key: SortKey): readonly BreakerStats[] {
    let rows = this.#sorted.get(key);
    if (rows === undefined) {
      rows = sortBreakers(this.#sorted.size === 0 ? this.#rows : this.#rows.slice(), key);
      this.#sorted.set(key, rows);
    }
    return rows;
  }
}

/** See the module comment. */
export class BreakerScanner {
  readonly #list: () => readonly StatsSource[];
  readonly #now: () => number;
  readonly #seenGeneration: (name: string) => number;
  readonly #chunk: number;
  #waiting: ((table: BreakerTable) => void)[] | undefined;

  constructor(
    list: () => readonly StatsSource[],
    now: () => number,
    seenGeneration: (name: string) => number,
    chunk = 1_000,
  ) {
    this.#list = list;
    this.#now = now;
    this.#seenGeneration = seenGeneration;
    this.#chunk = chunk;
  }

  /**
   * Calls `done` with a fresh table: at once when every source fits in one chunk, else when the
   * scan (this one, or the one running already) completes.
   */
  request(done: (table: BreakerTable) => void): void {
    if (this.#waiting !== undefined) {
      this.#waiting.push(done);
      return;
    }
    const waiting = [done];
    this.#waiting = waiting;
    const sources = this.#list();
    const now = this.#now();
    const rows: BreakerStats[] = [];
    const prior: PriorState[] = [];
    let at = 0;
    const step = (): void => {
      const end = Math.min(sources.length, at + this.#chunk);
      for (; at < end; at++) {
        const source = sources[at];
        if (source === undefined) continue;
        let stats: BreakerStats;
        try {
          stats = source.snapshot();
        } catch {
          continue;
        }
        rows.push(stats);
        const p = priorStateOf(stats, this.#seenGeneration(stats.name), now);
        if (p !== undefined) prior.push(p);
      }
      if (at < sources.length) {
        setImmediate(step);
        return;
      }
      this.#waiting = undefined;
      const table = new BreakerTable(now, rows, prior);
      table.sorted('severity');
      for (const callback of waiting) {
        try {
          callback(table);
        } catch (error) {
          dashboardWarning(error);
        }
      }
    };
    step();
  }
}

/** Reports a dashboard problem that must not stop the dashboard, as a `BreakwaterDashboardWarning`. */
export function dashboardWarning(error: unknown): void {
  processWarning(`breakwater dashboard: ${describeError(error)}`, 'BreakwaterDashboardWarning');
}

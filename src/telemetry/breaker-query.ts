/**
 * Which breakers a page shows: the query (`filter`, `show`, `sort`, `page`, `limit`), the
 * classes a breaker falls in (in trouble: open, isolated, half-open, failing, slow; otherwise
 * healthy), the counts per class, and one page of a table. Pure functions over `BreakerStats`
 * values: the rows may come from this process's breakers or from anywhere else.
 */
import type { BreakerStats } from '../index.js';

/** What `show` narrows the breakers to. `trouble` is every class but `healthy`. */
export const SHOW = [
  'all',
  'trouble',
  'open',
  'half-open',
  'isolated',
  'failing',
  'slow',
  'healthy',
] as const;
/** Orders of a page: `severity` puts the breakers in trouble first (open, isolated, half-open, failing, slow). */
export const SORT = ['severity', 'name', 'failure-rate', 'slow-rate', 'calls'] as const;

export type ShowFilter = (typeof SHOW)[number];
export type SortKey = (typeof SORT)[number];

/** A page request. */
export interface BreakerQuery {
  /** Case-insensitive substring of the name, or the start of a state (`open`, `half`). Empty: every breaker. */
  readonly filter: string;
  /** Which class of breakers to list (`trouble`: every class but `healthy`). Default `all`. */
  readonly show: ShowFilter;
  /** The order of the rows. Default `severity`. */
  readonly sort: SortKey;
  /** 0-based page number. */
  readonly page: number;
  /** Breakers per page. */
  readonly limit: number;
}

/** How many breakers fall in each class (a breaker in several states' classes counts once per state). */
export interface BreakerCounts {
  /** Every breaker. */
  readonly total: number;
  /** Open, isolated, half-open, failing or slow. */
  readonly trouble: number;
  /** Open. */
  readonly open: number;
  /** Half-open. */
  readonly 'half-open': number;
  /** Isolated by an operator. */
  readonly isolated: number;
  /** Closed (or disabled, metrics-only) with failures in its window. */
  readonly failing: number;
  /** Closed, no failures, but slow calls in its window. */
  readonly slow: number;
  /** The rest. */
  readonly healthy: number;
}

/** Severity rank of a breaker: 0 open, 1 isolated, 2 half-open, 3 failing, 4 slow, 5 healthy. */
export function severity(b: BreakerStats): number {
  switch (b.state) {
    case 'open':
      return 0;
    case 'isolated':
      return 1;
    case 'half-open':
      return 2;
    default:
      return b.window.failures > 0 ? 3 : b.window.slowCalls > 0 ? 4 : 5;
  }
}

const CLASS_OF = ['open', 'isolated', 'half-open', 'failing', 'slow', 'healthy'] as const;

/** Counts per class. */
export function countBreakers(rows: readonly BreakerStats[]): BreakerCounts {
  const n = [0, 0, 0, 0, 0, 0];
  for (const b of rows) {
    const rank = severity(b);
    n[rank] = (n[rank] ?? 0) + 1;
  }
  const [open = 0, isolated = 0, half = 0, failing = 0, slow = 0, healthy = 0] = n;
  return {
    total: rows.length,
    trouble: rows.length - healthy,
    open,
    'half-open': half,
    isolated,
    failing,
    slow,
    healthy,
  };
}

const byName = (a: BreakerStats, b: BreakerStats): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

const ORDER: Record<SortKey, (a: BreakerStats, b: BreakerStats) => number> = {
  severity: (a, b) =>
    severity(a) - severity(b) ||
    b.window.failureRate - a.window.failureRate ||
    b.window.slowCallRate - a.window.slowCallRate ||
    byName(a, b),
  name: byName,
  'failure-rate': (a, b) => b.window.failureRate - a.window.failureRate || byName(a, b),
  'slow-rate': (a, b) => b.window.slowCallRate - a.window.slowCallRate || byName(a, b),
  calls: (a, b) => b.window.calls - a.window.calls || byName(a, b),
};

/** Sorts `rows` in place by `key`. */
export function sortBreakers(rows: BreakerStats[], key: SortKey): BreakerStats[] {
  return rows.sort(ORDER[key]);
}

/** True when `b` passes the query's `filter` and `show`. */
export function matches(b: BreakerStats, filter: string, show: ShowFilter): boolean {
  if (show !== 'all') {
    const rank = severity(b);
    if (show === 'trouble' ? rank === 5 : CLASS_OF[rank] !== show) return false;
  }
  return filter === '' || b.name.toLowerCase().includes(filter) || b.state.startsWith(filter);
}

/** One page of a query's matches, and how many matched. */
export interface BreakerPage<Row extends BreakerStats> {
  readonly rows: Row[];
  readonly matched: number;
  /** The page served: the one asked for, or the last one when fewer pages match. */
  readonly page: number;
  readonly pages: number;
}

/** Selects one page from rows already sorted by `query.sort`. */
export function selectPage<Row extends BreakerStats>(
  sorted: readonly Row[],
  query: BreakerQuery,
): BreakerPage<Row> {
  const filter = query.filter.toLowerCase();
  const everything = filter === '' && query.show === 'all';
  const matching = everything ? sorted : sorted.filter((b) => matches(b, filter, query.show));
  const pages = Math.max(1, Math.ceil(matching.length / query.limit));
  const page = Math.min(query.page, pages - 1);
  const rows = matching.slice(page * query.limit, (page + 1) * query.limit);
  return { rows, matched: matching.length, page, pages };
}

/** Limits of {@link parseQuery}. */
export interface QueryLimits {
  readonly defaultLimit: number;
  readonly maxLimit: number;
}

/**
 * Reads a query from URL search parameters (`filter`, `show`, `sort`, `page`, `limit`); missing
 * ones take their defaults. Returns an error message naming the parameter for a bad value.
 */
export function parseQuery(params: URLSearchParams, limits: QueryLimits): BreakerQuery | string {
  const filter = (params.get('filter') ?? '').trim().slice(0, 200);
  const show = params.get('show') ?? 'all';
  if (!(SHOW as readonly string[]).includes(show))
    return `show must be one of ${SHOW.join(', ')} (got "${show}")`;
  const sort = params.get('sort') ?? 'severity';
  if (!(SORT as readonly string[]).includes(sort))
    return `sort must be one of ${SORT.join(', ')} (got "${sort}")`;
  const int = (name: string, fallback: number, min: number, max: number): number | string => {
    const text = params.get(name);
    if (text === null || text === '') return fallback;
    const n = /^\d{1,9}$/.test(text) ? Number(text) : NaN; // decimal digits only: no 0x10, 1e3, ' 5'
    if (!Number.isInteger(n) || n < min || n > max)
      return `${name} must be an integer from ${min} to ${max} (got "${text}")`;
    return n;
  };
  const page = int('page', 0, 0, 1_000_000);
  if (typeof page === 'string') return page;
  const limit = int('limit', limits.defaultLimit, 1, limits.maxLimit);
  if (typeof limit === 'string') return limit;
  return { filter, show: show as ShowFilter, sort: sort as SortKey, page, limit };
}

/** A stable key of a query (clients with equal keys are sent the same frame). */
export function queryKey(q: BreakerQuery): string {
  return `${q.show}\u0000${q.sort}\u0000${q.page}\u0000${q.limit}\u0000${q.filter.toLowerCase()}`;
}

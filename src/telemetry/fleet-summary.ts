/**
 * The summary an instance of a fleet publishes about its breakers (the fleet view of the
 * dashboard reads one per instance). Compact JSON, bounded twice: at most `maxBreakers` rows
 * (the breakers in trouble first, then the healthy ones by name; the rest only as counts per
 * class) and at most `maxBytes` bytes (rows are dropped from the end until it fits; names and
 * the label are cut to 200 characters, so one row is at most a few hundred bytes).
 *
 * Layout (`v` is the format version): `{ v, id, label, total, counts: [open, isolated,
 * half-open, failing, slow, healthy], members, degraded, omitted, rows: [[name, state,
 * localState, fleetState | '', healthy 1 | 0 | -1, generation, timeInStateMs, retryAfterMs | -1,
 * calls, failures, slowCalls, inFlight], …] }`.
 */
import type { BreakerStats, FleetState } from '../index.js';
import { type BreakerCounts, countBreakers, sortBreakers } from './breaker-query.js';

/** The summary format version. */
export const SUMMARY_VERSION = 1;

const MAX_TEXT = 200;

/** A breaker's fleet attachment as the summary shows it. */
export interface FleetOfBreaker {
  readonly state: FleetState;
  readonly healthy: boolean;
}

/** One breaker of one instance, as published. */
export interface SummaryRow {
  /** The breaker's name, cut to 200 characters. */
  readonly name: string;
  /** The effective state (`stats.state`). */
  readonly state: BreakerStats['state'];
  /** The instance's own breaker state (`stats.localState`). */
  readonly localState: BreakerStats['localState'];
  /** The fleet's state as this instance last saw it; `undefined` for a breaker without a fleet. */
  readonly fleetState: FleetState | undefined;
  /** `breaker.fleet.healthy`; `undefined` for a breaker without a fleet. */
  readonly healthy: boolean | undefined;
  /** The breaker's own generation (`stats.generation`). */
  readonly generation: number;
  /** Ms since the effective state began (`stats.timeInStateMs`). */
  readonly timeInStateMs: number;
  /** `Infinity` while isolated. */
  readonly retryAfterMs: number;
  /** Counted calls in the breaker's window (`stats.window.calls`). */
  readonly calls: number;
  /** Counted failures in the window, timeouts included (`stats.window.failures`). */
  readonly failures: number;
  /** Slow calls in the window (`stats.window.slowCalls`). */
  readonly slowCalls: number;
  /** Calls running when the summary was made (`stats.inFlight`). */
  readonly inFlight: number;
}

/** What one instance published. */
export interface InstanceSummary {
  /** Random per fleet (per process, in the usual one-fleet-per-process setup). */
  readonly id: string;
  /** Host name and pid by default, or the `summary.label` option. */
  readonly label: string;
  /** Breakers on the instance. */
  readonly total: number;
  /** Every breaker of the instance by class (as the dashboard counts them). */
  readonly counts: BreakerCounts;
  /** Breakers of the instance attached to this fleet. */
  readonly members: number;
  /** Of those, how many are local-only now (`fleet.healthy` false: degraded or refused). */
  readonly degraded: number;
  /** Breakers left out of `rows` (the caps). */
  readonly omitted: number;
  /** In trouble first. */
  readonly rows: readonly SummaryRow[];
}

/** Limits of {@link encodeSummary}. */
export interface SummaryLimits {
  readonly maxBreakers: number;
  readonly maxBytes: number;
}

/** What {@link encodeSummary} summarises. */
export interface SummaryInput {
  readonly id: string;
  readonly label: string;
  readonly stats: BreakerStats[];
  /** The fleet attachment of breaker `name`, if it has one on this fleet. */
  readonly fleetOf: (name: string) => FleetOfBreaker | undefined;
  readonly members: number;
  readonly degraded: number;
}

const cut = (text: string): string => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);
const finite = (n: number): number => (Number.isFinite(n) ? Math.round(n) : -1);

function rowOf(b: BreakerStats, fleet: FleetOfBreaker | undefined): string {
  return JSON.stringify([
    cut(b.name),
    b.state,
    b.localState,
    fleet?.state ?? '',
    fleet === undefined ? -1 : fleet.healthy ? 1 : 0,
    b.generation,
    finite(b.timeInStateMs),
    finite(b.retryAfterMs),
    b.window.calls,
    b.window.failures,
    b.window.slowCalls,
    b.inFlight,
  ]);
}

/**
 * The summary as JSON text of at most `limits.maxBytes` bytes. Sorts `input.stats` in place
 * (in trouble first).
 */
export function encodeSummary(input: SummaryInput, limits: SummaryLimits): string {
  const counts = countBreakers(input.stats);
  const sorted = sortBreakers(input.stats, 'severity');
  const head = JSON.stringify({
    v: SUMMARY_VERSION,
    id: cut(input.id),
    label: cut(input.label),
    total: counts.total,
    counts: [counts.open, counts.isolated, counts['half-open'], counts.failing, counts.slow, counts.healthy],
    members: input.members,
    degraded: input.degraded,
  }).slice(0, -1);
  // Room for `,"omitted":<n>,"rows":[` and `]}`.
  let bytes = Buffer.byteLength(head) + 40;
  const rows: string[] = [];
  const n = Math.min(sorted.length, limits.maxBreakers);
  for (const b of sorted.slice(0, n)) {
    const row = rowOf(b, input.fleetOf(b.name));
    const size = Buffer.byteLength(row) + 1;
    if (bytes + size > limits.maxBytes) break;
    bytes += size;
    rows.push(row);
  }
  return `${head},"omitted":${sorted.length - rows.length},"rows":[${rows.join(',')}]}`;
}

const STATES = new Set(['closed', 'open', 'half-open', 'isolated', 'disabled']);
const FLEET_STATES = new Set(['closed', 'open', 'half-open', 'isolated', 'unknown']);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function decodeRow(raw: unknown): SummaryRow | undefined {
  if (!Array.isArray(raw) || raw.length < 12) return undefined;
  const [name, state, local, fleet, healthy, gen, time, retry, calls, failures, slow, inFlight] =
    raw as unknown[];
  if (typeof name !== 'string' || !STATES.has(state as string) || !STATES.has(local as string))
    return undefined;
  if (fleet !== '' && !FLEET_STATES.has(fleet as string)) return undefined;
  if (![gen, time, calls, failures, slow, inFlight].every(isCount)) return undefined;
  if (typeof retry !== 'number' || (healthy !== 1 && healthy !== 0 && healthy !== -1)) return undefined;
  return {
    name,
    state: state as SummaryRow['state'],
    localState: local as SummaryRow['localState'],
    fleetState: fleet === '' ? undefined : (fleet as FleetState),
    healthy: healthy === -1 ? undefined : healthy === 1,
    generation: gen as number,
    timeInStateMs: time as number,
    retryAfterMs: retry < 0 ? Infinity : retry,
    calls: calls as number,
    failures: failures as number,
    slowCalls: slow as number,
    inFlight: inFlight as number,
  };
}

/**
 * Reads a summary published by {@link encodeSummary}; `undefined` for anything else (another
 * version, garbage). Rows that do not parse are left out.
 */
export function decodeSummary(text: string): InstanceSummary | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (o.v !== SUMMARY_VERSION || typeof o.id !== 'string' || typeof o.label !== 'string') return undefined;
  const c = o.counts;
  if (!Array.isArray(c) || c.length !== 6 || !c.every(isCount)) return undefined;
  if (![o.total, o.members, o.degraded, o.omitted].every(isCount) || !Array.isArray(o.rows)) return undefined;
  const [open, isolated, half, failing, slow, healthy] = c;
  const rows: SummaryRow[] = [];
  for (const r of o.rows as unknown[]) {
    const row = decodeRow(r);
    if (row !== undefined) rows.push(row);
  }
  const total = o.total as number;
  return {
    id: o.id,
    label: o.label,
    total,
    counts: {
      total,
      trouble: total - (healthy ?? 0),
      open: open ?? 0,
      isolated: isolated ?? 0,
      'half-open': half ?? 0,
      failing: failing ?? 0,
      slow: slow ?? 0,
      healthy: healthy ?? 0,
    },
    members: o.members as number,
    degraded: o.degraded as number,
    omitted: (o.omitted as number) + (o.rows.length - rows.length),
    rows,
  };
}

/** One instance's published summary as read back (`undefined` when it could not be decoded). */
export interface PublishedInstance {
  /** The instance's id (its fleet's `instanceId`). */
  readonly id: string;
  /** What it published; `undefined` when the summary expired or could not be decoded. */
  readonly summary: InstanceSummary | undefined;
}

/**
 * Publishing and reading the instances' summaries (the dashboard's fleet view).
 *
 * Each instance writes its summary with one script call per interval: `SET <key> <json> PX <ttl>`
 * plus its id in an index zset scored by expiry (expired ids are trimmed in the same call). An
 * instance that stops publishing disappears when its key expires; `close()` deletes it at once.
 * Keys: `<prefix>:v1:{%fleet}:inst:<id>` and `<prefix>:v1:{%fleet}:instances` — one Cluster hash
 * tag that no breaker's escaped name can produce (a `%` in a name is escaped as `%25`).
 *
 * The publisher never fails anything: one call in flight at most, each with the fleet's deadline;
 * an error is dropped and the next interval tries again (a Redis outage shows in the breakers'
 * own `degraded` fleet events, and in the summary's expiry).
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Clock, TimerHandle } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import type { Telemetry } from '../core/telemetry.js';
import { OptionChecker } from '../core/validate.js';
import { breakerStats, isTelemetry } from '../telemetry/sources.js';
import { describeError } from '../core/describe-error.js';
import { fleetWarning, type RedisAdapter } from './adapter.js';
import { withDeadline } from './fleet-script.js';
import {
  type FleetOfBreaker,
  type PublishedInstance,
  decodeSummary,
  encodeSummary,
} from '../telemetry/fleet-summary.js';

export type { PublishedInstance };
import { SCHEMA_VERSION } from './keys.js';

/** The `summary` option of `redisFleet`: publish this instance's breakers for the fleet view. */
export interface FleetSummaryOptions {
  /** The telemetry stream the instance's breakers report into (every breaker on it is summarised). */
  readonly telemetry: Telemetry;
  /** Shown next to the instance. Default `<host name>#<pid>`. */
  readonly label?: string;
  /** Ms between publications; at least `1_000`. Default `1_000`. */
  readonly intervalMs?: number;
  /** Lifetime of a publication; at least twice `intervalMs`. Default `5_000`. */
  readonly ttlMs?: number;
  /** Breakers listed at most (in trouble first; the rest are counts). Default `50`, at most `1_000`. */
  readonly maxBreakers?: number;
  /** Bytes of one publication at most. Default `16_384`. */
  readonly maxBytes?: number;
  /** Time source of the publishing timer. Default: the system clock. */
  readonly clock?: Clock;
}

/** The summary keys of a fleet's prefix. */
export function summaryKeys(prefix: string): { readonly index: string; instance(id: string): string } {
  const base = `${prefix}:${SCHEMA_VERSION}:{%fleet}`;
  return { index: `${base}:instances`, instance: (id) => `${base}:inst:${id}` };
}

/** KEYS: 1 instance key, 2 index. ARGV: 1 id, 2 summary, 3 ttl ms. */
const PUBLISH_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
redis.call('PEXPIRE', KEYS[2], ttl * 2)
return 1
`;
const PUBLISH_SHA = createHash('sha1').update(PUBLISH_SCRIPT).digest('hex');

interface ResolvedSummary {
  readonly telemetry: Telemetry;
  readonly label: string;
  readonly intervalMs: number;
  readonly ttlMs: number;
  readonly maxBreakers: number;
  readonly maxBytes: number;
  readonly clock: Clock;
}

const KNOWN = ['telemetry', 'label', 'intervalMs', 'ttlMs', 'maxBreakers', 'maxBytes', 'clock'];

/** Validates the `summary` option (names every bad field) and fills in the defaults. */
export function resolveSummary(o: FleetSummaryOptions, check: OptionChecker): ResolvedSummary | undefined {
  if (typeof o !== 'object' || (o as unknown) === null) {
    check.fail('summary', o, 'an object { telemetry, … }', 'type');
    return undefined;
  }
  check.knownKeys(o, KNOWN, 'summary.');
  if (!isTelemetry(o.telemetry)) check.fail('summary.telemetry', o.telemetry, 'a Telemetry stream', 'type');
  if (o.label !== undefined && (typeof o.label !== 'string' || o.label === ''))
    check.fail('summary.label', o.label, 'a non-empty string', 'type');
  const intervalMs = o.intervalMs ?? 1_000;
  const ttlMs = o.ttlMs ?? Math.max(5_000, 2 * intervalMs);
  check.number('summary.intervalMs', intervalMs, { min: 1_000, max: 600_000 });
  check.number('summary.ttlMs', ttlMs, { min: 2 * intervalMs, max: 2_147_483_647 });
  check.number('summary.maxBreakers', o.maxBreakers ?? 50, { integer: true, min: 1, max: 1_000 });
  check.number('summary.maxBytes', o.maxBytes ?? 16_384, { integer: true, min: 1_024, max: 1_048_576 });
  const clock = o.clock ?? systemClock;
  if (typeof clock.now !== 'function' || typeof clock.setTimeout !== 'function')
    check.fail('summary.clock', '(not a Clock)', 'a Clock', 'type');
  return {
    telemetry: o.telemetry,
    label: o.label ?? `${hostname()}#${process.pid}`,
    intervalMs,
    ttlMs: Math.ceil(ttlMs),
    maxBreakers: o.maxBreakers ?? 50,
    maxBytes: o.maxBytes ?? 16_384,
    clock,
  };
}

/** What the publisher reads from its fleet at each interval. */
export interface PublisherFleet {
  /** The fleet attachment of breaker `name`, if it has one. */
  fleetOf(name: string): FleetOfBreaker | undefined;
  /** Attached breakers, and how many of them are local-only now. */
  members(): { readonly members: number; readonly degraded: number };
}

/** See the module comment. */
export class SummaryPublisher {
  readonly #adapter: RedisAdapter;
  readonly #keys: ReturnType<typeof summaryKeys>;
  readonly #id: string;
  readonly #o: ResolvedSummary;
  readonly #fleet: PublisherFleet;
  readonly #deadlineMs: number;
  #timer: TimerHandle;
  #busy = false;
  #closed = false;

  constructor(
    adapter: RedisAdapter,
    prefix: string,
    id: string,
    options: ResolvedSummary,
    fleet: PublisherFleet,
    deadlineMs: number,
  ) {
    this.#adapter = adapter;
    this.#keys = summaryKeys(prefix);
    this.#id = id;
    this.#o = options;
    this.#fleet = fleet;
    this.#deadlineMs = Math.min(deadlineMs, options.intervalMs);
    this.#timer = options.clock.setTimeout(this.#tick, 0);
  }

  /** The summary as it would be published now. */
  encode(): string {
    const { members, degraded } = this.#fleet.members();
    return encodeSummary(
      {
        id: this.#id,
        label: this.#o.label,
        stats: breakerStats(this.#o.telemetry),
        fleetOf: (name) => this.#fleet.fleetOf(name),
        members,
        degraded,
      },
      this.#o,
    );
  }

  readonly #tick = (): void => {
    if (this.#closed) return;
    this.#timer = this.#o.clock.setTimeout(this.#tick, this.#o.intervalMs);
    if (this.#busy) return; // the previous call is still within its deadline: skip this interval
    let text: string;
    try {
      text = this.encode();
    } catch (error) {
      fleetWarning(`encoding the fleet summary failed: ${describeError(error)}`);
      return;
    }
    this.#busy = true;
    const call = this.#adapter.evalScript(
      PUBLISH_SCRIPT,
      PUBLISH_SHA,
      [this.#keys.instance(this.#id), this.#keys.index],
      [this.#id, text, String(this.#o.ttlMs)],
    );
    withDeadline(call, this.#deadlineMs, this.#o.clock, 'fleet summary').then(
      () => {
        this.#busy = false;
      },
      () => {
        this.#busy = false;
      },
    );
  };

  /** Stops publishing and deletes this instance's summary (best effort, within the deadline). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    const keys = this.#keys;
    const del = Promise.all([
      this.#adapter.command(['DEL', keys.instance(this.#id)]),
      this.#adapter.command(['ZREM', keys.index, this.#id]),
    ]);
    await withDeadline(del, this.#deadlineMs, this.#o.clock, 'fleet summary delete').catch(() => undefined);
  }
}

/** One instance in the index: its summary, or `undefined` once it expired. */

/**
 * Reads every instance's summary under `prefix`: two commands (`ZRANGE` of the index, at most
 * `maxInstances` ids, then one `MGET`). Rejects on a store error or after `deadlineMs`.
 */
export async function readSummaries(
  adapter: RedisAdapter,
  prefix: string,
  deadlineMs: number,
  clock: Clock,
  maxInstances = 500,
): Promise<PublishedInstance[]> {
  const keys = summaryKeys(prefix);
  const ids = await withDeadline(
    adapter.command(['ZRANGE', keys.index, '0', String(maxInstances - 1)]),
    deadlineMs,
    clock,
    'fleet summaries',
  );
  if (!Array.isArray(ids) || ids.length === 0) return [];
  const names = ids.map(String);
  const texts = await withDeadline(
    adapter.command(['MGET', ...names.map((id) => keys.instance(id))]),
    deadlineMs,
    clock,
    'fleet summaries',
  );
  const values = Array.isArray(texts) ? (texts as unknown[]) : [];
  return names.map((id, i) => {
    const text = values[i];
    const summary =
      typeof text === 'string'
        ? decodeSummary(text)
        : text instanceof Buffer
          ? decodeSummary(String(text))
          : undefined;
    return { id, summary: summary?.id === id ? summary : undefined };
  });
}

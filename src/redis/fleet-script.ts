/**
 * Calls of the fleet script for one breaker: argument layout, the deadline, and the reply parsed
 * into a {@link FleetReply}.
 */
import type { Clock } from '../core/clock.js';
import type { RedisAdapter } from './adapter.js';
import type { FleetKeys } from './keys.js';
import { FLEET_SCRIPT, FLEET_SCRIPT_SHA } from './script.js';

/** The fleet's trip rule, evaluated in Redis. Rates are fractions; `0` turns a rule off. */
export interface FleetRule {
  readonly windowMs: number;
  readonly buckets: number;
  readonly failureThreshold: number;
  readonly failureRateThreshold: number;
  readonly minimumCalls: number;
  readonly slowCallRateThreshold: number;
  readonly openMs: number;
  readonly backoffMultiplier: number;
  readonly maxOpenMs: number;
  readonly successThreshold: number;
  readonly minReporters: number;
  readonly stateTtlMs: number;
}

/** The state names stored in Redis. */
export type StoredState = 'closed' | 'open' | 'half_open' | 'forced_open';

/** A parsed script reply: the authoritative snapshot plus the operation's flag. */
export interface FleetReply {
  readonly st: StoredState;
  readonly gen: number;
  readonly epoch: string;
  /** End of the open period, Redis ms. */
  readonly until: number;
  /** Redis time of the reply, ms. */
  readonly now: number;
  /** flush: the counts were applied; acquire: the lease was granted; report: the result counted. */
  readonly flag: boolean;
  /** More than one configuration (thresholds, window, open period) is in use for this breaker. */
  readonly mismatch: boolean;
  /** This instance's configuration is not the one that owns the record: nothing it sent was applied. */
  readonly refused: boolean;
  /** Keys found corrupt (wrong type, unparsable or out-of-range fields, no TTL) and repaired. */
  readonly repaired: readonly string[];
  /** Local clock when the call was sent and when the reply arrived. */
  readonly sentAt: number;
  readonly receivedAt: number;
}

/** Operations of the script. */
export type FleetOp = 'flush' | 'acquire' | 'report' | 'sync' | 'force';

/** A deadline for `promise`: rejects after `ms`; a late rejection of `promise` is swallowed. */
export function withDeadline<T>(promise: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      reject(new Error(`breakwater/redis: ${what} took longer than ${ms} ms`));
    }, ms);
    promise.then(
      (value) => {
        clock.clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clock.clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** The rule as script arguments (ARGV 4..16). */
export function ruleArgs(rule: FleetRule): string[] {
  const args = [
    rule.windowMs,
    rule.buckets,
    rule.failureThreshold,
    rule.failureRateThreshold,
    rule.minimumCalls,
    rule.slowCallRateThreshold,
    rule.openMs,
    rule.backoffMultiplier,
    rule.maxOpenMs,
    rule.successThreshold,
    rule.minReporters,
    rule.stateTtlMs,
  ].map(String);
  return [...args, args.slice(0, 11).join(',')];
}

const STATES: readonly StoredState[] = ['closed', 'open', 'half_open', 'forced_open'];

/** Parses a raw reply; throws on anything unexpected (a store error like any other). */
export function parseReply(raw: unknown, sentAt: number, receivedAt: number): FleetReply {
  if (!Array.isArray(raw) || raw.length < 10) throw new Error('breakwater/redis: unexpected script reply');
  const at = (k: number): string => String(raw[k]);
  const st = at(0);
  if (!STATES.includes(st as StoredState)) throw new Error(`breakwater/redis: unexpected state ${st}`);
  return {
    st: st as StoredState,
    gen: Number(at(1)),
    epoch: at(2),
    until: Number(at(3)),
    now: Number(at(4)),
    flag: at(5) === '1',
    mismatch: at(6) === '1',
    refused: at(8) === '1',
    repaired: Array.isArray(raw[9]) ? (raw[9] as unknown[]).map(String) : [],
    sentAt,
    receivedAt,
  };
}

/** Runs the fleet script for one breaker's keys. */
export class FleetScript {
  readonly #adapter: RedisAdapter;
  readonly #keys: readonly string[];
  readonly #head: readonly string[];

  /**
   * `configMs`: how long this instance's configuration counts as in use after each call (it
   * calls at least once per sync interval while attached).
   */
  constructor(adapter: RedisAdapter, keys: FleetKeys, rule: FleetRule, configMs = 15_000) {
    this.#adapter = adapter;
    this.#keys = [keys.state, keys.window, keys.reporters, keys.leases, keys.configs];
    this.#head = [keys.channel, ...ruleArgs(rule), String(Math.ceil(configMs))];
  }

  /**
   * Sends one operation; `now` (Redis ms) replaces Redis `TIME`, for the model test only. `view`
   * (`st|gen|epoch|until`, until in Redis ms) is what a corrupt state key is rebuilt from.
   */
  raw(op: FleetOp, args: readonly (string | number)[], now?: number, view = ''): Promise<unknown> {
    const argv = [op, now === undefined ? '' : String(now), ...this.#head, view, ...args.map(String)];
    return this.#adapter.evalScript(FLEET_SCRIPT, FLEET_SCRIPT_SHA, this.#keys, argv);
  }

  /** Sends one operation with a deadline and parses the reply. */
  async run(
    op: FleetOp,
    args: readonly (string | number)[],
    clock: Clock,
    deadlineMs: number,
    view = '',
  ): Promise<FleetReply> {
    const sentAt = clock.now();
    const raw = await withDeadline(this.raw(op, args, undefined, view), deadlineMs, clock, `fleet ${op}`);
    return parseReply(raw, sentAt, clock.now());
  }
}

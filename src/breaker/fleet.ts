/**
 * The hook through which a breaker joins a fleet: many processes sharing one breaker through a
 * store (`breakwater/redis`). The local breaker stays authoritative for its own process; the
 * fleet only adds rejections (the fleet is open) and a fleet-wide cap on probes.
 *
 * Everything the breaker asks a {@link FleetMember} is synchronous and answered from the member's
 * last view of the fleet, except a probe lease, which the member obtains asynchronously with its
 * own deadline and which never rejects. Nothing here awaits on the closed path.
 */
import type { Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import type { TripRules } from './trip-rules.js';
import type { WindowOptions } from './window.js';

/** The fleet's state as a member last saw it. `unknown` until the store first answered. */
export type FleetState = 'closed' | 'open' | 'half-open' | 'isolated' | 'unknown';

/** {@link FleetMember.admit}: the fleet is open; reject the call. */
export const FLEET_REJECT = -2;
/** {@link FleetMember.admit}: the fleet admits probes; the call needs a lease first. */
export const FLEET_PROBE = -3;

/** {@link FleetMember.ticket}: the fleet's answer depends on the time; call `admit(now)`. */
export const FLEET_CHECK = -4;

/** A fleet-wide probe permit, granted for one call. */
export interface FleetLease {
  /** The permit's id in the store. */
  readonly id: string;
  /** The fleet generation the permit belongs to; a result from an older one is ignored. */
  readonly generation: number;
}

/** What a fleet member reports: health changes, fleet transitions and warnings. */
export interface FleetEvent {
  /**
   * `degraded`: the store failed repeatedly, the breaker runs on local state alone.
   * `restored`: the store answers again. `transition`: the fleet's state changed.
   * `regression`: the store's state went back (data lost in the store) and was accepted.
   * `config-mismatch`: instances use different thresholds for this breaker (reported on every
   * instance, about once per sync interval, while it lasts; `healthy` is false on the instances
   * whose configuration was refused). `repaired`: keys of this breaker held garbage and were
   * rewritten (`keys`).
   */
  readonly kind: 'degraded' | 'restored' | 'transition' | 'regression' | 'config-mismatch' | 'repaired';
  /** The fleet's state after the event. */
  readonly state: FleetState;
  /** The fleet's generation after the event (`-1` while unknown). */
  readonly generation: number;
  /** True unless the member is degraded. */
  readonly healthy: boolean;
  /** The store error that caused a `degraded` event, if any. */
  readonly error?: unknown;
  /** The keys a `repaired` event rewrote. */
  readonly keys?: readonly string[];
}

/** The public face of a breaker's fleet attachment: `breaker.fleet`. */
export interface FleetHandle {
  /**
   * False while the breaker is local-only: degraded (the store is unreachable or too slow), or
   * refused because another configuration owns the fleet record (`config-mismatch`).
   */
  readonly healthy: boolean;
  /** The fleet's state as last seen (`unknown` before the store first answered). */
  readonly state: FleetState;
  /** The fleet's generation as last seen; `-1` while unknown. */
  readonly generation: number;
  /** Detaches the breaker from the fleet: stops its timers and its subscription. Idempotent. */
  close(): Promise<void>;
}

/**
 * The settings of a breaker that a fleet needs to apply the breaker's own rule fleet-wide: its
 * window, trip rules, open durations, probe successes and call timeout (after defaults).
 */
export interface FleetSettings {
  readonly window: Required<WindowOptions>;
  readonly rules: TripRules;
  /** Ms the circuit stays open before probes are admitted. */
  readonly recoveryTimeout: number;
  /** How the open duration grows on each re-open; `undefined` when it does not. */
  readonly backoff: { readonly multiplier: number; readonly max: number } | undefined;
  readonly successThreshold: number;
  /** Ms per call, or `false` without call timeouts. */
  readonly timeout: number | false;
}

/** The breaker side of an attachment, handed to {@link Fleet.attach}. */
export interface FleetHost {
  /** The breaker's name. */
  readonly name: string;
  /** The breaker's settings that the fleet applies fleet-wide. */
  readonly options: FleetSettings;
  readonly clock: Clock;
  readonly random: Random;
  /**
   * Opens the local breaker for `ms` (a no-op unless it is closed). Used when the store fails
   * while the fleet is open, so the process keeps rejecting until the fleet's open period ends
   * and then probes with the local half-open rules.
   */
  openLocally(ms: number): void;
  /** Reports a fleet event on the breaker's `fleet` event and its telemetry stream. */
  report(event: FleetEvent): void;
}

/** The member side of an attachment: one breaker's view of the fleet. */
export interface FleetMember extends FleetHandle {
  /**
   * Admission against the last fleet view, synchronous. Returns {@link FLEET_REJECT},
   * {@link FLEET_PROBE}, or otherwise a ticket (the fleet generation, `-1` while unknown) to
   * hand back with the call's outcome to {@link FleetMember.record}.
   */
  admit(now: number): number;
  /**
   * The ticket `admit` would return at any time while the fleet view stays as it is (closed,
   * unknown, or local-only), or {@link FLEET_CHECK} when the answer depends on the time. Lets
   * the closed path skip the clock.
   */
  readonly ticket: number;
  /** Ms until the fleet admits probes; `Infinity` when isolated fleet-wide. */
  retryAfterMs(now: number): number;
  /**
   * Asks for a probe lease. Resolves `undefined` when denied, when another request is in flight,
   * or when the store does not answer in time. Never rejects.
   */
  acquire(now: number): Promise<FleetLease | undefined>;
  /** Counts the outcome of a call admitted with `ticket` (in memory; flushed in batches). */
  record(ticket: number, failure: boolean, slow: boolean): void;
  /** Reports a probe's result (`release`: the call was not counted). Fire and forget. */
  settle(lease: FleetLease, outcome: 'success' | 'failure' | 'release'): void;
}

/** Something a breaker can join: `redisFleet(...)` from `breakwater/redis`. */
export interface Fleet {
  /** Attaches one breaker. Called once by the breaker's constructor. */
  attach(host: FleetHost): FleetMember;
}

/** True when `value` looks like a {@link Fleet}. */
export function isFleet(value: unknown): value is Fleet {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { attach?: unknown }).attach === 'function'
  );
}

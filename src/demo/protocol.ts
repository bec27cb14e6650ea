/**
 * What the demo's processes say to each other: the configuration a service starts with, the
 * messages it sends its parent over IPC, and the phase changes the parent sends the database.
 */
import type { StateName } from '../core/states.js';
import { systemClock } from '../core/clock.js';
import type { TelemetryMessage } from './telemetry-relay.js';

/** Phases of the schedule: the database is healthy, slow, hanging, then healed. */
export type PhaseName = 'healthy' | 'slow' | 'hanging' | 'healed';

/** The four services of the demo topology: client → A → B → C → database. */
export type Role = 'A' | 'B' | 'C' | 'database';

/** The services in call order. */
export const ROLES: readonly Role[] = ['A', 'B', 'C', 'database'];

/** Without breakers (timeouts only) or with a breaker and fallback at every hop. */
export type Mode = 'unprotected' | 'protected';

/** Numbers a service needs; the parent derives them from the run length. */
export interface Tuning {
  /** Timeout of the call this service makes downstream, in ms. */
  readonly hopTimeoutMs: number;
  /** Open duration of the breakers (protected mode). */
  readonly recoveryMs: number;
  /** Oldest cached answer service C may serve when the database fails (protected mode). */
  readonly staleMaxAgeMs: number;
  /** Latency the database gains in the `slow` phase. */
  readonly slowMs: number;
  /** How often a service reports its numbers to the parent. */
  readonly statsIntervalMs: number;
}

/** Where a service with breakers serves the live dashboard (`--dashboard`, protected mode). */
export const DASHBOARD_PATH = '/dashboard';

/** Handed to a service as its only command-line argument (JSON). */
export interface ServiceConfig {
  readonly role: Role;
  readonly mode: Mode;
  /** Base URL of the next service; absent for the database. */
  readonly downstream?: string;
  readonly seed: number;
  readonly tuning: Tuning;
  /** Serve the live dashboard of the service's breakers under `/dashboard/` (protected mode). */
  readonly dashboard?: boolean;
}

/** A service's report, sent every `statsIntervalMs`. */
export interface StatsMessage {
  readonly type: 'stats';
  readonly at: number;
  readonly inFlight: number;
  /** Most requests in flight at once since the previous report. */
  readonly peakInFlight: number;
  /** Longest event-loop delay since the previous report, in ms. */
  readonly loopDelayMaxMs: number;
  /** State of the service's breaker; `null` without one. */
  readonly breaker: StateName | null;
}

/** A breaker changed state. */
export interface TransitionMessage {
  readonly type: 'transition';
  readonly at: number;
  readonly breaker: string;
  readonly from: StateName;
  readonly to: StateName;
  readonly reason: string;
}

/** Messages from a service to the parent. */
export type ChildMessage =
  { readonly type: 'ready'; readonly port: number } | StatsMessage | TransitionMessage | TelemetryMessage;

/** Messages from the parent to a service: a new phase (database), or the end of the warm-up. */
export type ParentMessage =
  | { readonly type: 'phase'; readonly name: PhaseName }
  /** Start the measured run afresh: breakers back to closed (their caches stay warm). */
  | { readonly type: 'reset' };

/**
 * Milliseconds on a time line shared by every process of the machine (the process's time
 * origin plus its monotonic clock), so that a service's timestamps can be placed on the
 * parent's run.
 */
export function sharedNow(): number {
  return performance.timeOrigin + systemClock.now();
}

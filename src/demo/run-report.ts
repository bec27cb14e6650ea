/** The shape of a run's results: what `--json` writes and the final report prints. */
import type { Mode, Role } from './protocol.js';
import type { PhaseName } from './schedule.js';

/** A number per service. */
export type PerService = Record<Role, number>;

/** Results of one phase of a run; shares are fractions of `requests` in [0, 1]. */
export interface PhaseReport {
  readonly name: PhaseName;
  readonly startMs: number;
  readonly endMs: number;
  /** Client requests due in this phase (their outcome counts here even if it came later). */
  readonly requests: number;
  readonly success: number;
  readonly degraded: number;
  /** Errors, including requests shed by the client's in-flight cap. */
  readonly errors: number;
  /** Share of requests not sent because the client's in-flight cap was reached. */
  readonly shed: number;
  /** Client latency percentiles, from when each request was due. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakInFlight: PerService;
  readonly peakLoopDelayMs: PerService;
}

/** One breaker transition, in ms from the start of the run. */
export interface TransitionRecord {
  readonly breaker: string;
  readonly from: string;
  readonly to: string;
  readonly reason: string;
  readonly atMs: number;
  readonly phase: PhaseName;
}

/** How one breaker reacted to the fault schedule. */
export interface BreakerTimeline {
  readonly breaker: string;
  /** Ms from the first fault (start of `slow`) to the first opening; `null` if it never opened. */
  readonly openedAfterFaultMs: number | null;
  /** Ms from the start of `healed` to the closing that followed; `null` if it did not close then. */
  readonly closedAfterHealingMs: number | null;
  /** State at the end of the run. */
  readonly finalState: string;
}

/** The results of one run (`R` in `{ runs: { unprotected: R, protected: R } }`). */
export interface RunReport {
  readonly mode: Mode;
  readonly durationMs: number;
  readonly rate: number;
  readonly pids: PerService;
  readonly ports: PerService;
  readonly phases: PhaseReport[];
  /** Every breaker transition (protected run), in order. */
  readonly breakers: TransitionRecord[];
  readonly timeline: BreakerTimeline[];
}

/** What `--json` writes. */
export interface DemoReport {
  readonly options: { readonly durationS: number; readonly rate: number; readonly seed: number };
  readonly runs: { readonly unprotected: RunReport; readonly protected: RunReport };
  readonly verdict: string;
}

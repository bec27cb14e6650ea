/**
 * Collects one run's numbers as they arrive: client results by phase, the services' reports,
 * and breaker transitions; produces the live line each second and the {@link RunReport}.
 */
import type { StateName } from '../breaker/state-machine.js';
import type { RequestResult } from './load.js';
import { type Mode, ROLES, type Role, type StatsMessage, type TransitionMessage } from './protocol.js';
import type { BreakerTimeline, PerService, PhaseReport, RunReport, TransitionRecord } from './run-report.js';
import { type Phase, phaseAt, phaseNamed } from './schedule.js';

const zeros = (): PerService => ({ A: 0, B: 0, C: 0, database: 0 });

interface PhaseTally {
  requests: number;
  success: number;
  degraded: number;
  errors: number;
  shed: number;
  latencies: number[];
  peakInFlight: PerService;
  peakLoopDelayMs: PerService;
}

/** The `q` quantile (0..1) of `values`, by nearest rank; 0 when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/** Numbers of one run. */
export class RunRecorder {
  readonly mode: Mode;
  readonly phases: readonly Phase[];
  /** Start of the run on the shared time line (see `sharedNow`); `undefined` until it starts. */
  startShared: number | undefined = undefined;
  readonly #tally = new Map<string, PhaseTally>();
  readonly #transitions: TransitionRecord[] = [];
  readonly #latest = new Map<Role, StatsMessage>();
  #live = { offered: 0, success: 0, degraded: 0, errors: 0, latencies: [] as number[] };

  readonly #breakerNames: readonly string[];
  #clientInFlight = 0;

  /** `breakerNames`: the breakers of the run, listed in the timeline even if they never moved. */
  constructor(mode: Mode, phases: readonly Phase[], breakerNames: readonly string[] = []) {
    this.mode = mode;
    this.phases = phases;
    this.#breakerNames = breakerNames;
    for (const p of phases) {
      this.#tally.set(p.name, {
        requests: 0,
        success: 0,
        degraded: 0,
        errors: 0,
        shed: 0,
        latencies: [],
        peakInFlight: zeros(),
        peakLoopDelayMs: zeros(),
      });
    }
  }

  #tallyOf(name: string): PhaseTally {
    const tally = this.#tally.get(name);
    if (tally === undefined) throw new Error(`no phase "${name}"`);
    return tally;
  }

  #at(ms: number): PhaseTally {
    return this.#tallyOf(phaseAt(this.phases, ms).name);
  }

  /** A client request left. */
  sent(): void {
    this.#clientInFlight++;
    this.#live.offered++;
  }

  /** A client request finished. */
  result(r: RequestResult): void {
    this.#clientInFlight--;
    const t = this.#at(r.sentMs);
    t.requests++;
    if (r.outcome === 'success') t.success++;
    else if (r.outcome === 'degraded') t.degraded++;
    else t.errors++;
    if (r.shed) t.shed++;
    else t.latencies.push(r.latencyMs);
    const live = this.#live;
    if (r.outcome === 'success') live.success++;
    else if (r.outcome === 'degraded') live.degraded++;
    else live.errors++;
    if (!r.shed) live.latencies.push(r.latencyMs);
  }

  /** A service reported its load. */
  stats(role: Role, m: StatsMessage): void {
    this.#latest.set(role, m);
    if (this.startShared === undefined || m.at < this.startShared) return; // warm-up
    const t = this.#at(m.at - this.startShared);
    t.peakInFlight[role] = Math.max(t.peakInFlight[role], m.peakInFlight);
    t.peakLoopDelayMs[role] = Math.max(t.peakLoopDelayMs[role], m.loopDelayMaxMs);
  }

  /** A breaker changed state. */
  transition(m: TransitionMessage): void {
    if (this.startShared === undefined || m.at < this.startShared || m.from === m.to) return; // warm-up
    const atMs = m.at - this.startShared;
    const phase = phaseAt(this.phases, atMs).name;
    this.#transitions.push({ breaker: m.breaker, from: m.from, to: m.to, reason: m.reason, atMs, phase });
  }

  /** The numbers of the last second (then starts a new second). */
  takeSecond(): {
    offered: number;
    completed: number;
    success: number;
    degraded: number;
    errors: number;
    p99Ms: number;
    client: number;
    inFlight: PerService;
    breakers: Partial<Record<Role, StateName>>;
  } {
    const live = this.#live;
    this.#live = { offered: 0, success: 0, degraded: 0, errors: 0, latencies: [] };
    const inFlight = zeros();
    const breakers: Partial<Record<Role, StateName>> = {};
    for (const role of ROLES) {
      const m = this.#latest.get(role);
      inFlight[role] = m?.inFlight ?? 0;
      if (m?.breaker != null) breakers[role] = m.breaker;
    }
    return {
      offered: live.offered,
      completed: live.success + live.degraded + live.errors,
      success: live.success,
      degraded: live.degraded,
      errors: live.errors,
      p99Ms: percentile(
        live.latencies.sort((a, b) => a - b),
        0.99,
      ),
      client: this.#clientInFlight,
      inFlight,
      breakers,
    };
  }

  /** The run's report. */
  finish(rate: number, durationMs: number, pids: PerService, ports: PerService): RunReport {
    const phases: PhaseReport[] = this.phases.map((p) => {
      const t = this.#tallyOf(p.name);
      const sorted = t.latencies.sort((a, b) => a - b);
      const share = (n: number): number => (t.requests === 0 ? 0 : round(n / t.requests, 4));
      return {
        name: p.name,
        startMs: p.startMs,
        endMs: p.endMs,
        requests: t.requests,
        success: share(t.success),
        degraded: share(t.degraded),
        errors: share(t.errors),
        shed: share(t.shed),
        p50Ms: round(percentile(sorted, 0.5), 1),
        p99Ms: round(percentile(sorted, 0.99), 1),
        peakInFlight: t.peakInFlight,
        peakLoopDelayMs: mapValues(t.peakLoopDelayMs, (v) => round(v, 1)),
      };
    });
    return {
      mode: this.mode,
      durationMs,
      rate,
      pids,
      ports,
      phases,
      breakers: this.#transitions.map((tr) => ({ ...tr, atMs: round(tr.atMs, 1) })),
      timeline: this.#timeline(),
    };
  }

  #timeline(): BreakerTimeline[] {
    const faultAt = phaseNamed(this.phases, 'slow').startMs;
    const healedAt = phaseNamed(this.phases, 'healed').startMs;
    const names = [...new Set([...this.#breakerNames, ...this.#transitions.map((t) => t.breaker)])];
    return names.map((breaker) => {
      const own = this.#transitions.filter((t) => t.breaker === breaker);
      const opened = own.find((t) => t.to === 'open' && t.atMs >= faultAt);
      const before = own.filter((t) => t.atMs < healedAt).at(-1);
      const closed =
        before === undefined || before.to === 'closed'
          ? undefined
          : own.find((t) => t.to === 'closed' && t.atMs >= healedAt);
      return {
        breaker,
        openedAfterFaultMs: opened === undefined ? null : round(opened.atMs - faultAt, 1),
        closedAfterHealingMs: closed === undefined ? null : round(closed.atMs - healedAt, 1),
        finalState: own.at(-1)?.to ?? 'closed',
      };
    });
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

function mapValues(o: PerService, f: (v: number) => number): PerService {
  return { A: f(o.A), B: f(o.B), C: f(o.C), database: f(o.database) };
}

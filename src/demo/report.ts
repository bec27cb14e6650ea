/** Text output of the demo: the live line, the side-by-side report and the verdict. */
import type { StateName } from '../breaker/state-machine.js';
import type { Mode, Role } from './protocol.js';
import type { DemoReport, PerService, PhaseReport, RunReport } from './run-report.js';
import type { PhaseName } from './schedule.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ms = (x: number): string => (x >= 10_000 ? `${(x / 1000).toFixed(1)} s` : `${Math.round(x)} ms`);
const pad = (s: string | number, n: number): string => String(s).padStart(n);
const padEnd = (s: string, n: number): string => s.padEnd(n);

/** The line printed each second while a run is going. */
export function liveLine(
  mode: Mode,
  second: number,
  phase: PhaseName,
  s: {
    offered: number;
    completed: number;
    success: number;
    degraded: number;
    errors: number;
    p99Ms: number;
    client: number;
    inFlight: PerService;
    breakers: Partial<Record<Role, StateName>>;
  },
): string {
  const share = (n: number): string =>
    pad(s.completed === 0 ? '-' : `${Math.round((n / s.completed) * 100)}%`, 4);
  const breakers = Object.entries(s.breakers)
    .map(([role, state]) => `${role}:${state}`)
    .join(' ');
  return (
    `${padEnd(`[${mode}]`, 13)} ${pad(second, 3)}s ${padEnd(phase, 7)}  offered ${pad(s.offered, 4)}/s  ` +
    `done ${pad(s.completed, 4)}/s  ok ${share(s.success)} degraded ${share(s.degraded)} ` +
    `err ${share(s.errors)}  p99 ${pad(ms(s.p99Ms), 8)}  in-flight client ${pad(s.client, 4)} A ${pad(s.inFlight.A, 4)} ` +
    `B ${pad(s.inFlight.B, 4)} C ${pad(s.inFlight.C, 4)} db ${pad(s.inFlight.database, 4)}` +
    (breakers === '' ? '' : `  breakers ${breakers}`)
  );
}

function phaseRow(label: string, mode: string, p: PhaseReport): string {
  const services = (v: PerService, f: (x: number) => string): string =>
    `${pad(f(v.A), 6)} ${pad(f(v.B), 6)} ${pad(f(v.C), 6)}`;
  return (
    `${padEnd(label, 8)} ${padEnd(mode, 11)} ${pad(p.requests, 6)} ${pad(pct(p.success), 8)} ` +
    `${pad(pct(p.degraded), 8)} ${pad(pct(p.errors), 7)} ${pad(ms(p.p50Ms), 8)} ${pad(ms(p.p99Ms), 8)}   ` +
    `${services(p.peakInFlight, String)}   ${services(p.peakLoopDelayMs, (x) => x.toFixed(0))}`
  );
}

/** The side-by-side report, the breaker timeline and the verdict. */
export function finalReport(report: DemoReport): string[] {
  const { unprotected: u, protected: p } = report.runs;
  const lines = [
    '',
    `Results per phase (client view; ${report.options.rate} requests/s, ${u.durationMs / 1000} s per run)`,
    '',
    `${padEnd('phase', 8)} ${padEnd('run', 11)} ${pad('reqs', 6)} ${pad('success', 8)} ${pad('degraded', 8)} ` +
      `${pad('errors', 7)} ${pad('p50', 8)} ${pad('p99', 8)}   ${pad('peak in-flight', 20)}   ${pad('peak loop delay ms', 20)}`,
    `${' '.repeat(75)}${pad('A', 6)} ${pad('B', 6)} ${pad('C', 6)}   ${pad('A', 6)} ${pad('B', 6)} ${pad('C', 6)}`,
  ];
  u.phases.forEach((up, i) => {
    const pp = p.phases[i];
    lines.push(phaseRow(up.name, 'unprotected', up));
    if (pp !== undefined) lines.push(phaseRow('', 'protected', pp));
  });
  lines.push('', 'Breakers (protected run; times from the first fault and from the healing)');
  for (const t of p.timeline) {
    const opened =
      t.openedAfterFaultMs === null ? 'never opened' : `opened ${ms(t.openedAfterFaultMs)} after the fault`;
    const closed =
      t.closedAfterHealingMs === null
        ? 'was not open at healing'
        : `closed ${ms(t.closedAfterHealingMs)} after healing`;
    lines.push(`  ${padEnd(t.breaker, 12)} ${opened}, ${closed}; final state ${t.finalState}`);
  }
  const moves = p.breakers.map((t) => `${t.breaker} ${t.to} at ${(t.atMs / 1000).toFixed(2)} s`);
  if (moves.length > 0) lines.push(`  transitions: ${moves.join(', ')}`);
  lines.push('', report.verdict);
  return lines;
}

/** Numbers over the fault phases (slow and hanging) of a run. */
export function faultSummary(run: RunReport): { answered: number; p99Ms: number; peakA: number } {
  const fault = run.phases.filter((ph) => ph.name === 'slow' || ph.name === 'hanging');
  const requests = fault.reduce((n, ph) => n + ph.requests, 0);
  const answered = fault.reduce((n, ph) => n + (ph.success + ph.degraded) * ph.requests, 0);
  return {
    answered: requests === 0 ? 0 : answered / requests,
    p99Ms: Math.max(...fault.map((ph) => ph.p99Ms)),
    peakA: Math.max(...fault.map((ph) => ph.peakInFlight.A)),
  };
}

/** One line saying whether the breakers helped, with the numbers that say it. */
export function verdict(u: RunReport, p: RunReport): string {
  const a = faultSummary(u);
  const b = faultSummary(p);
  const numbers =
    `${pct(b.answered)} of requests answered (success or degraded) vs ${pct(a.answered)} without, ` +
    `p99 ${ms(b.p99Ms)} vs ${ms(a.p99Ms)}, peak in-flight at A ${b.peakA} vs ${a.peakA}`;
  const closed = p.timeline.every((t) => t.finalState === 'closed');
  const helped = b.answered > a.answered && b.p99Ms < a.p99Ms && b.peakA < a.peakA;
  return helped
    ? `Verdict: during the faults the breakers kept the system answering: ${numbers}; ` +
        (closed ? 'every breaker closed again after healing.' : 'some breaker had not closed by the end.')
    : `Verdict: the breakers did not beat the timeouts on every count in this run: ${numbers}.`;
}

/**
 * The fault schedule of one run and the numbers derived from its length. The same schedule runs
 * twice, once per mode, so the two runs are comparable phase by phase.
 */
import type { Mode, PhaseName, Role, Tuning } from './protocol.js';

export type { PhaseName } from './protocol.js';

/** One phase, in ms from the start of the run. */
export interface Phase {
  readonly name: PhaseName;
  readonly startMs: number;
  readonly endMs: number;
}

/** Share of the run each phase takes. The healed phase is long enough for every breaker to close. */
const SHARES: readonly (readonly [PhaseName, number])[] = [
  ['healthy', 0.2],
  ['slow', 0.2],
  ['hanging', 0.3],
  ['healed', 0.3],
];

/** The phases of a run lasting `runMs`. */
export function phasesFor(runMs: number): Phase[] {
  const phases: Phase[] = [];
  let start = 0;
  for (const [name, share] of SHARES) {
    const end = name === 'healed' ? runMs : Math.round(start + share * runMs);
    phases.push({ name, startMs: start, endMs: end });
    start = end;
  }
  return phases;
}

/** The phase at `ms` into the run (the last one after the end). */
export function phaseAt(phases: readonly Phase[], ms: number): Phase {
  const phase = phases.find((p) => ms < p.endMs) ?? phases.at(-1);
  if (phase === undefined) throw new Error('no phases');
  return phase;
}

/** The phase named `name`. */
export function phaseNamed(phases: readonly Phase[], name: PhaseName): Phase {
  const phase = phases.find((p) => p.name === name);
  if (phase === undefined) throw new Error(`no phase "${name}"`);
  return phase;
}

/**
 * Timeouts per hop. Unprotected, each hop has a generous timeout, a little longer than the hop
 * below it, as services are usually configured: a hanging database holds every request for
 * seconds. Protected, each hop's breaker has a tight timeout, since the healthy database
 * answers in a few ms.
 */
const HOP_TIMEOUTS: Record<Mode, Record<Role, number>> = {
  unprotected: { A: 7_000, B: 6_000, C: 5_000, database: 0 },
  protected: { A: 2_500, B: 1_500, C: 600, database: 0 },
};

/** How long the parent's client waits for A before giving up. */
export const CLIENT_TIMEOUT_MS = 8_000;

/** The numbers handed to service `role` for a run lasting `runMs`. */
export function tuningFor(runMs: number, mode: Mode, role: Role): Tuning {
  const phases = phasesFor(runMs);
  const slow = phaseNamed(phases, 'slow');
  const hanging = phaseNamed(phases, 'hanging');
  return {
    hopTimeoutMs: HOP_TIMEOUTS[mode][role],
    recoveryMs: Math.round(Math.min(2_000, Math.max(400, runMs / 15))),
    // Cached answers outlive the slow phase but run out half-way through the hang, so that
    // both fallbacks show: C's stale answers first, A's degraded answer once they are too old.
    staleMaxAgeMs: Math.round(slow.endMs - slow.startMs + (hanging.endMs - hanging.startMs) / 2),
    slowMs: 1_500,
    statsIntervalMs: 250,
  };
}

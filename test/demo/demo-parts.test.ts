import { describe, expect, it } from 'vitest';
import { percentile, RunRecorder } from '../../src/demo/recorder.js';
import { verdict } from '../../src/demo/report.js';
import { phaseAt, phasesFor, tuningFor } from '../../src/demo/schedule.js';

const pids = { A: 1, B: 2, C: 3, database: 4 };

describe('phasesFor', () => {
  it('phasesFor — four contiguous phases covering the run', () => {
    const phases = phasesFor(30_000);
    expect(phases.map((p) => [p.name, p.startMs, p.endMs])).toEqual([
      ['healthy', 0, 6_000],
      ['slow', 6_000, 12_000],
      ['hanging', 12_000, 21_000],
      ['healed', 21_000, 30_000],
    ]);
    expect(phaseAt(phases, 11_999).name).toBe('slow');
    expect(phaseAt(phases, 12_000).name).toBe('hanging');
    expect(phaseAt(phases, 99_000).name).toBe('healed');
  });

  it('tuningFor — cached answers expire half-way through the hang; recovery scales with the run', () => {
    expect(tuningFor(30_000, 'protected', 'C')).toMatchObject({
      staleMaxAgeMs: 10_500,
      recoveryMs: 2_000,
      hopTimeoutMs: 600,
    });
    expect(tuningFor(7_500, 'protected', 'C').recoveryMs).toBe(500);
    expect(tuningFor(7_500, 'unprotected', 'C').hopTimeoutMs).toBe(5_000);
  });
});

describe('percentile', () => {
  it('percentile — nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.5)).toBe(0);
  });
});

describe('RunRecorder', () => {
  it('finish — counts by the phase a request was due in, shares and peaks per phase', () => {
    const rec = new RunRecorder('protected', phasesFor(10_000), ['C->database']);
    rec.startShared = 1_000_000;
    for (let i = 0; i < 4; i++) rec.sent();
    rec.result({ sentMs: 100, latencyMs: 10, outcome: 'success', shed: false });
    rec.result({ sentMs: 2_500, latencyMs: 400, outcome: 'degraded', shed: false });
    rec.result({ sentMs: 2_600, latencyMs: 0, outcome: 'error', shed: true });
    rec.result({ sentMs: 2_700, latencyMs: 800, outcome: 'error', shed: false });
    const stats = { type: 'stats', inFlight: 3, loopDelayMaxMs: 12.34, breaker: 'open' } as const;
    rec.stats('A', { ...stats, at: 999_999, peakInFlight: 99 }); // warm-up: ignored
    rec.stats('A', { ...stats, at: 1_002_500, peakInFlight: 9 });
    rec.stats('A', { ...stats, at: 1_002_750, peakInFlight: 5 });
    const transition = { type: 'transition', breaker: 'C->database', reason: 'rule' } as const;
    rec.transition({ ...transition, at: 999_000, from: 'open', to: 'closed' }); // warm-up: ignored
    rec.transition({ ...transition, at: 1_002_300, from: 'closed', to: 'open' });
    rec.transition({ ...transition, at: 1_007_000, from: 'open', to: 'half-open' });
    rec.transition({ ...transition, at: 1_007_200, from: 'half-open', to: 'closed' });
    const r = rec.finish(50, 10_000, pids, pids);
    const [healthy, slow] = r.phases;
    expect(healthy).toMatchObject({ requests: 1, success: 1, p50Ms: 10 });
    expect(slow).toMatchObject({
      requests: 3,
      degraded: 0.3333,
      errors: 0.6667,
      shed: 0.3333,
      p50Ms: 400,
      p99Ms: 800,
    });
    expect(slow?.peakInFlight.A).toBe(9);
    expect(slow?.peakLoopDelayMs.A).toBe(12.3);
    expect(r.breakers.map((b) => `${b.to}@${b.phase}`)).toEqual([
      'open@slow',
      'half-open@healed',
      'closed@healed',
    ]);
    expect(r.timeline).toEqual([
      { breaker: 'C->database', openedAfterFaultMs: 300, closedAfterHealingMs: 200, finalState: 'closed' },
    ]);
  });

  it('takeSecond — the last second only, with the client in flight', () => {
    const rec = new RunRecorder('unprotected', phasesFor(10_000));
    rec.sent();
    rec.sent();
    rec.result({ sentMs: 0, latencyMs: 5, outcome: 'success', shed: false });
    expect(rec.takeSecond()).toMatchObject({ offered: 2, completed: 1, success: 1, client: 1, p99Ms: 5 });
    expect(rec.takeSecond()).toMatchObject({ offered: 0, completed: 0, client: 1 });
  });
});

describe('verdict', () => {
  it('verdict — says the breakers helped only when every count is better', () => {
    const run = (answeredShare: number, p99Ms: number, peakA: number) => {
      const rec = new RunRecorder('protected', phasesFor(10_000));
      const report = rec.finish(1, 10_000, pids, pids);
      return {
        ...report,
        phases: report.phases.map((p) => ({
          ...p,
          requests: 10,
          success: answeredShare,
          errors: 1 - answeredShare,
          p99Ms,
          peakInFlight: { ...p.peakInFlight, A: peakA },
        })),
      };
    };
    expect(verdict(run(0.1, 5_000, 300), run(0.9, 300, 20))).toMatch(
      /^Verdict: during the faults the breakers kept/,
    );
    expect(verdict(run(0.1, 5_000, 300), run(0.9, 6_000, 20))).toMatch(/did not beat the timeouts/);
  });
});

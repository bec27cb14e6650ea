import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';
import { runFixture } from './run-fixture.js';

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe('process lifecycle (docs/contract.md §18)', () => {
  it('process — exits at once after calls with a 10 minute timeout left deadline timers armed', async () => {
    // A timer that held the process would keep it for 10 minutes: the child is killed after 60 s.
    const child = await runFixture('exit-promptly.js', [], 60_000);
    expect(child.stderr).toBe('');
    expect(child).toMatchObject({ code: 0, signal: null });
    const report = JSON.parse(child.stdout) as { done: boolean; states: string[]; inFlight: number };
    expect(report).toMatchObject({ done: true, inFlight: 1 });
    expect(report.states.slice(0, 3)).toEqual(['closed', 'open', 'isolated']);
  });

  it('process — a dropped breaker is garbage-collected, whatever its timers and state', async () => {
    const child = await runFixture('gc-collects-breaker.js', ['--expose-gc']);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const report = JSON.parse(child.stdout) as { names: string[]; collected: string[] };
    expect(report.names).toHaveLength(4);
    expect(report.collected).toEqual([...report.names].sort());
  });

  it('process — a retry backoff delay keeps the process alive until the retried call finishes', async () => {
    const child = await runFixture('retry-keeps-alive.js');
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ value: 'finished', attempts: 3 });
  });

  it('process — functions rejecting after their timeout or abort raise no unhandled rejection', async () => {
    const child = await runFixture('late-rejection.js', ['--unhandled-rejections=strict']);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const report = JSON.parse(child.stdout) as { answers: string[]; totals: Record<string, number> };
    expect(report.answers).toEqual([
      'ERR_CALL_TIMEOUT',
      'ERR_CALL_TIMEOUT',
      'ERR_CALL_TIMEOUT',
      'value fallback',
      'caller abort',
    ]);
    expect(report.totals).toMatchObject({ calls: 4, timeouts: 3, ignored: 1 });
  });

  it('process — a full garbage collection between calls keeps the call and rejection paths optimized', async () => {
    // V8 holds an object shape only while some object has it; code built for a shape that a
    // collection drops is deoptimized ("weak objects"). Breakwater keeps its per-call shapes alive.
    const child = await runFixture('optimized-across-gc.js', ['--expose-gc', '--trace-opt', '--trace-deopt']);
    expect(child.code).toBe(0);
    expect(child.stdout).toContain(`ANSWERS ${String(6 * 20_000)}`);
    const ours =
      /<(?:JSFunction|SharedFunctionInfo) (guardedCall|GuardedCall|#succeeded|#finish|push|remove|fast|rejectWith|#rejected|run)\b/;
    const optimized = child.stdout
      .split('\n')
      .filter((l) => l.startsWith('[compiling method') && ours.test(l));
    // The call path was optimized at all: V8 picks by timing (and inlining) which of its frames it
    // compiles on its own, so any of them will do.
    expect(optimized.join('\n')).toMatch(/guardedCall|GuardedCall|#succeeded|#finish/);
    // The rejection path: `fast` compiled on its own, or inlined into the rejecting frames, or the
    // whole path inlined into the runner's `run` (V8 decides by timing which it compiles first).
    expect(optimized.join('\n')).toMatch(/fast|rejectWith|#rejected|\brun\b/);
    const dropped = child.stdout
      .split('\n')
      .filter((l) => l.includes('reason: weak objects') && ours.test(l));
    expect(dropped).toEqual([]);
  });
});

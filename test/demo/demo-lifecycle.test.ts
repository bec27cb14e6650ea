// Ctrl-C and a crashed service: the demo stops every process it started, by PID.
import { type ChildProcess, spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { alive, BIN, ensureBuilt, ROOT } from '../support/build.js';
import { waitFor } from '../support/wait.js';

interface Started {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
  /** Resolves with the services' PIDs once the first run has started them. */
  pids: Promise<Record<string, number>>;
}

function start(args: string[]): Started {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let found: (pids: Record<string, number>) => void = () => undefined;
  const pids = new Promise<Record<string, number>>((resolve) => (found = resolve));
  const onData = (d: Buffer): void => {
    output += d.toString();
    const line = /services: (.*)\n/.exec(output)?.[1];
    if (line !== undefined) {
      found(Object.fromEntries([...line.matchAll(/(\w+) pid (\d+)/g)].map((m) => [m[1], Number(m[2])])));
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => output, exit, pids };
}

describe('breakwater demo (process lifecycle)', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 240_000);

  it.each(['SIGINT', 'SIGTERM'] as const)(
    'demo — %s stops every service and exits',
    async (signal) => {
      const demo = start(['demo', '--duration', '60', '--rate', '20']);
      const pids = Object.values(await demo.pids);
      expect(pids).toHaveLength(4);
      await waitFor(
        () => /\[unprotected\]\s+1s/.test(demo.output()),
        40_000,
        'the first unprotected second',
        50,
      );
      demo.child.kill(signal);
      const code = await demo.exit;
      expect(code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(demo.output()).toContain('every service stopped');
      for (const pid of pids) expect(alive(pid), `pid ${pid}`).toBe(false);
    },
    60_000,
  );

  it('demo — a crashed service stops the others and fails with a message', async () => {
    const demo = start(['demo', '--duration', '60', '--rate', '20']);
    const pids = await demo.pids;
    await waitFor(
      () => /\[unprotected\]\s+1s/.test(demo.output()),
      40_000,
      'the first unprotected second',
      50,
    );
    process.kill(pids.B!, 'SIGKILL');
    const code = await demo.exit;
    expect(code).toBe(1);
    expect(demo.output()).toMatch(/service B \(pid \d+\) exited unexpectedly \(signal SIGKILL\)/);
    for (const pid of Object.values(pids)) expect(alive(pid), `pid ${pid}`).toBe(false);
  }, 60_000);
});

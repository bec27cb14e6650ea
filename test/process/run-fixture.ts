/**
 * Runs a fixture script from `test/fixtures/` in a child Node process against the built package,
 * built by `ensureBuilt()` (test/support/build.ts).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT as root } from '../support/build.js';

export { ensureBuilt } from '../support/build.js';

/** What a finished child reported. */
export interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Ms from spawn to exit, measured by the parent. */
  readonly ms: number;
}

/** Runs `node [flags] test/fixtures/<name>`; kills the child (by its pid) after `limitMs`. */
export function runFixture(
  name: string,
  flags: readonly string[] = [],
  limitMs = 15_000,
): Promise<ChildResult> {
  const started = performance.now();
  const child = spawn(process.execPath, [...flags, join(root, 'test', 'fixtures', name)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

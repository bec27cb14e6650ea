/**
 * Runs a fixture script from `test/fixtures/` in a child Node process against the built package,
 * building it first when `dist/` is missing or older than `src/`.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds `dist/` with tsdown unless it is newer than every source file. */
export function ensureBuilt(): void {
  const entry = join(root, 'dist', 'index.mjs');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(root, 'src'))) return;
  execFileSync(join(root, 'node_modules', '.bin', 'tsdown'), [], { cwd: root, stdio: 'pipe' });
}

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

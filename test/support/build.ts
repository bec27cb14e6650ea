/**
 * The one way tests get a built package: `ensureBuilt()` runs tsdown when any output the tests use
 * is missing or older than any input (`src/`, `tsdown.config.ts`, `package.json`).
 *
 * Test files run in parallel and tsdown empties `dist/` before writing it, so the build is guarded
 * by a lock directory: one process builds, the others wait for it and then check again. A lock
 * left by a process that died is taken over.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built `breakwater` command. */
export const BIN = join(ROOT, 'dist/cli/bin.mjs');

/** Every build output some test runs or imports. */
const OUTPUTS = [
  'index.mjs',
  'index.cjs',
  'index.d.mts',
  'index.d.cts',
  'testing/index.mjs',
  'testing/index.cjs',
  'redis/index.mjs',
  'redis/index.cjs',
  'dashboard/index.mjs',
  'fetch/index.mjs',
  'chaos/index.mjs',
  'prometheus/index.mjs',
  'otel/index.mjs',
  'cli/bin.mjs',
  'cli/demo-service.mjs',
].map((file) => join(ROOT, 'dist', file));
const INPUTS = [join(ROOT, 'src'), join(ROOT, 'tsdown.config.ts'), join(ROOT, 'package.json')];
const LOCK = join(ROOT, 'node_modules', '.cache', 'breakwater-test-build.lock');

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/** True when every output exists and is newer than every input, and no build is under way. */
export function isFresh(): boolean {
  if (existsSync(LOCK)) return false;
  if (!OUTPUTS.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...OUTPUTS.map((file) => statSync(file).mtimeMs));
  return oldestOutput >= Math.max(...INPUTS.map(newest));
}

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function holderAlive(): boolean {
  try {
    const pid = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Builds `dist/` unless it is fresh; safe to call from many test files at once. */
export function ensureBuilt(limitMs = 240_000): void {
  const until = Date.now() + limitMs;
  while (!isFresh()) {
    if (Date.now() > until) throw new Error(`dist/ was not built within ${limitMs} ms`);
    mkdirSync(join(LOCK, '..'), { recursive: true });
    let mine = false;
    try {
      mkdirSync(LOCK);
      mine = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!mine) {
      // Someone else is building: wait for them (or take over a lock whose holder died).
      pause(100);
      if (existsSync(LOCK) && !holderAlive() && statSync(LOCK).mtimeMs < Date.now() - 2_000)
        rmSync(LOCK, { recursive: true, force: true });
      continue;
    }
    try {
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      execFileSync(join(ROOT, 'node_modules', '.bin', 'tsdown'), [], {
        cwd: ROOT,
        stdio: 'pipe',
        timeout: limitMs,
      });
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
  }
}

/** True while a process with this PID exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

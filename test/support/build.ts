/**
 * The one way tests get a built package: `ensureBuilt()` runs tsdown when any output the tests use
 * is missing or older than any input (`src/`, `tsdown.config.ts`, `package.json`).
 *
 * Test files run in parallel and tsdown empties `dist/` before writing it, so the build is guarded
 * by a lock directory: one process builds, the others wait for it and then check again. A lock
 * whose holder has died is taken over once it is two seconds old. `ensureBuilt` and `isFresh`
 * take the build as a parameter (default `PACKAGE`) so build.test.ts can pin these rules on
 * files of its own without running tsdown.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The built `breakwater` command. */
export const BIN = join(ROOT, 'dist/cli/bin.mjs');

/**
 * What `ensureBuilt` keeps fresh. `PACKAGE` is the real build; a test of this module passes its
 * own, with files in a temporary directory and a `run` that writes them.
 */
export interface Build {
  /** Every file the build writes that is used: all must exist and be no older than any input. */
  readonly outputs: readonly string[];
  /** Files and directories (searched recursively) the outputs are made from. */
  readonly inputs: readonly string[];
  /** A directory that exists while a process builds; it holds that process's PID in `pid`. */
  readonly lock: string;
  /** Runs the build, within `limitMs`. */
  readonly run: (limitMs: number) => void;
}

/** The package build: tsdown writes `dist/` from `src/`, `tsdown.config.ts` and `package.json`. */
export const PACKAGE: Build = {
  // Every build output some test runs or imports.
  outputs: [
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
  ].map((file) => join(ROOT, 'dist', file)),
  inputs: [join(ROOT, 'src'), join(ROOT, 'tsdown.config.ts'), join(ROOT, 'package.json')],
  lock: join(ROOT, 'node_modules', '.cache', 'breakwater-test-build.lock'),
  run: (limitMs) => {
    execFileSync(join(ROOT, 'node_modules', '.bin', 'tsdown'), [], {
      cwd: ROOT,
      stdio: 'pipe',
      timeout: limitMs,
    });
  },
};

/** A lock whose holder has died is taken over once it is this old. */
const ABANDONED_MS = 2_000;

function newest(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs;
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
  return latest;
}

/**
 * True when every output exists and none is older than any input (a file, or anything in an input
 * directory, the directories included), and no build is under way (the lock does not exist).
 */
export function isFresh(build: Build = PACKAGE): boolean {
  if (existsSync(build.lock)) return false;
  if (!build.outputs.every((file) => existsSync(file))) return false;
  const oldestOutput = Math.min(...build.outputs.map((file) => statSync(file).mtimeMs));
  return oldestOutput >= Math.max(...build.inputs.map(newest));
}

const pause = (ms: number): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
};

function holderAlive(lock: string): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return false;
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs the build unless it is fresh; safe to call from many test files at once. Throws when the
 * outputs are not fresh within `limitMs` (also while waiting for another process's build).
 */
export function ensureBuilt(limitMs = 240_000, build: Build = PACKAGE): void {
  const until = Date.now() + limitMs;
  while (!isFresh(build)) {
    if (Date.now() > until) throw new Error(`the build was not fresh within ${limitMs} ms`);
    mkdirSync(join(build.lock, '..'), { recursive: true });
    let mine = false;
    try {
      mkdirSync(build.lock);
      mine = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (!mine) {
      // Someone else is building: wait for them (or take over a lock whose holder died).
      pause(100);
      if (
        existsSync(build.lock) &&
        !holderAlive(build.lock) &&
        statSync(build.lock).mtimeMs < Date.now() - ABANDONED_MS
      )
        rmSync(build.lock, { recursive: true, force: true });
      continue;
    }
    try {
      writeFileSync(join(build.lock, 'pid'), String(process.pid));
      build.run(limitMs);
    } finally {
      rmSync(build.lock, { recursive: true, force: true });
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

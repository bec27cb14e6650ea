// Builds the package for tests that run the real `breakwater` command, when dist/ is missing or
// older than the sources.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const BIN = join(ROOT, 'dist/cli/bin.mjs');
const SERVICE = join(ROOT, 'dist/cli/demo-service.mjs');

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Runs `npx tsdown` unless the built command is newer than every source file. */
export function ensureBuilt(): void {
  const built =
    existsSync(BIN) && existsSync(SERVICE) ? Math.min(statSync(BIN).mtimeMs, statSync(SERVICE).mtimeMs) : 0;
  if (built > newest(join(ROOT, 'src'))) return;
  execFileSync('npx', ['tsdown'], { cwd: ROOT, stdio: 'ignore', timeout: 180_000 });
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

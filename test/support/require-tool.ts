/**
 * The one gate for tests that need an outside program (a browser, redis-server): they call
 * `requireTool` (or `requireRedis`, built on it) at the top of their file. When the program is found they get its path. When it is missing:
 * - with `CI=true` it throws, so the test file fails: CI must install what the tests need;
 * - elsewhere it prints a loud banner and returns `found: false`, and the file skips its tests
 *   with `describe.skipIf(!tool.found)`.
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';

/** What the test needs. */
export interface ToolRequirement {
  /** Shown in messages, e.g. `'chromium'`. */
  readonly name: string;
  /** Absolute paths, or command names looked up on `PATH`, tried in order. */
  readonly candidates: readonly string[];
  /** How to install it, e.g. `'apt-get install -y chromium'`. */
  readonly install: string;
  /** What is skipped without it, e.g. `'the dashboard browser tests'`. */
  readonly purpose: string;
  /** Whether a found executable is the right program (e.g. runs `--version`); default: yes. */
  readonly verify?: (path: string) => boolean;
}

/** The outcome: `path` is set when `found`. */
export interface ToolCheck {
  readonly found: boolean;
  readonly path: string | undefined;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds the first candidate that is an executable file (absolute, or on `PATH`). */
export function findExecutable(
  candidates: readonly string[],
  path = process.env.PATH ?? '',
): string | undefined {
  for (const candidate of candidates) {
    if (isAbsolute(candidate)) {
      if (executable(candidate)) return candidate;
      continue;
    }
    for (const dir of path.split(delimiter)) {
      if (dir === '') continue;
      const full = join(dir, candidate);
      if (executable(full)) return full;
    }
  }
  return undefined;
}

/** See the module comment. */
export function requireTool(tool: ToolRequirement, env: NodeJS.ProcessEnv = process.env): ToolCheck {
  const found = findExecutable(tool.candidates, env.PATH ?? '');
  const path = found !== undefined && (tool.verify?.(found) ?? true) ? found : undefined;
  if (path !== undefined) return { found: true, path };
  const looked = tool.candidates.join(', ');
  if (env.CI === 'true') {
    throw new Error(
      `${tool.name} is required for ${tool.purpose} when CI=true, and was not found (looked for ${looked}). Install it: ${tool.install}`,
    );
  }
  const line = '='.repeat(78);
  console.warn(
    [
      '',
      line,
      `SKIPPING ${tool.purpose}: ${tool.name} was not found (looked for ${looked}).`,
      `Install it to run them: ${tool.install}`,
      'With CI=true this is a failure, not a skip.',
      line,
      '',
    ].join('\n'),
  );
  return { found: false, path: undefined };
}

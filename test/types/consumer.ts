// A consumer project in a temporary folder: `node_modules/breakwater` is a link to this
// repository (its built `dist/` and its `package.json` exports), `@types/node` a link to ours,
// and tsc is the repository's own. Used by the tests that compile code the way a user would.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ensureBuilt, ROOT } from '../support/build.js';

const run = promisify(execFile);
export const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

export interface Consumer {
  readonly dir: string;
  /** Writes a file into the consumer folder (its folders are made as needed). */
  write(file: string, text: string): void;
  /** Runs tsc on a project file written with these compiler options; answers its output. */
  tsc(name: string, options: Record<string, unknown>, files: readonly string[]): Promise<string>;
  remove(): void;
}

/**
 * Builds the package when needed, then makes the consumer folder; `peers` are packages of this
 * repository's node_modules (optional peers such as ioredis) linked in as the user's own.
 */
export function makeConsumer(
  prefix: string,
  packageJson: Record<string, unknown> = {},
  peers: readonly string[] = [],
): Consumer {
  ensureBuilt();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(join(dir, 'node_modules/@types'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/breakwater'), 'dir');
  symlinkSync(join(ROOT, 'node_modules/@types/node'), join(dir, 'node_modules/@types/node'), 'dir');
  for (const peer of peers) {
    mkdirSync(join(dir, 'node_modules', peer, '..'), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', peer), join(dir, 'node_modules', peer), 'dir');
  }
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, ...packageJson }),
  );
  return {
    dir,
    write(file, text) {
      const path = join(dir, file);
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, text);
    },
    async tsc(name, options, files) {
      const project = `tsconfig.${name.replace(/\W+/g, '-')}.json`;
      writeFileSync(join(dir, project), JSON.stringify({ compilerOptions: options, files }));
      return run(process.execPath, [TSC, '-p', project, '--pretty', 'false'], {
        cwd: dir,
        timeout: 120_000,
        maxBuffer: 16 * 1024 * 1024,
      }).then(
        (r) => r.stdout + r.stderr,
        (error: unknown) => {
          const e = error as { stdout?: string; stderr?: string; message: string };
          return `${e.stdout ?? ''}${e.stderr ?? ''}` || e.message;
        },
      );
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

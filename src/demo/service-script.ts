import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Finds the built service script the demo forks (`dist/cli/demo-service.mjs`), from the built
 * command (next to it) or from the sources (in a build of the repository).
 */
export function findServiceScript(): string | undefined {
  const candidates = [
    './demo-service.mjs',
    './cli/demo-service.mjs',
    '../cli/demo-service.mjs',
    '../../dist/cli/demo-service.mjs',
  ];
  for (const candidate of candidates) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(path)) return path;
  }
  return undefined;
}

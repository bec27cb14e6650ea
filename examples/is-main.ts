/** True when the module at `url` is the program being run (directly, or through a TypeScript runner such as unrun or tsx). */
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

export function isMain(url: string): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  const self = fileURLToPath(url);
  return entry === self || basename(entry).startsWith(`${basename(self)}.`);
}

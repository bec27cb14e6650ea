// The published package: what README.md and docs/*.md link to is in the tarball (so their
// relative links resolve on the registry and in node_modules), and no source maps are shipped.
import { execFileSync } from 'node:child_process';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';
import { documents, links } from './markdown.js';

describe('package contents', () => {
  ensureBuilt();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const [pack] = JSON.parse(
    execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' }),
  ) as [{ files: { path: string }[] }];
  const files = new Set(pack.files.map((f) => f.path));

  it('ships the documentation it links to', () => {
    const missing: string[] = [];
    for (const doc of documents()) {
      expect(files, doc).toContain(doc);
      for (const link of links(doc)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(link.target) || link.target.startsWith('#')) continue;
        const target = normalize(join(dirname(doc), decodeURI(link.target.split('#')[0]!)));
        const shipped = [...files].some((f) => f === target || f.startsWith(`${target.replace(/\/$/, '')}/`));
        if (!shipped) missing.push(`${link.doc}:${link.line} → ${link.target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('ships no source maps (their sources are not shipped)', () => {
    expect([...files].filter((f) => f.endsWith('.map'))).toEqual([]);
    expect([...files].filter((f) => f.startsWith('src/'))).toEqual([]);
  });
});

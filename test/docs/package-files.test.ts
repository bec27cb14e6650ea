// The published package: what README.md and docs/*.md link to is in the tarball (so their
// relative links resolve on the registry and in node_modules), the examples import the package by
// its name, and no source maps are shipped.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

  it('ships examples that import only the package and what ships beside them', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
    };
    const peers = new Set(Object.keys(manifest.peerDependencies));
    const examples = [...files].filter((f) => f.startsWith('examples/') && f.endsWith('.ts'));
    expect(examples.length).toBeGreaterThan(5);
    const broken: string[] = [];
    for (const example of examples) {
      const text = readFileSync(join(ROOT, example), 'utf8');
      for (const [, spec] of text.matchAll(/^import [^;]*? from '([^']+)';$/gms)) {
        if (spec!.startsWith('.')) {
          const target = normalize(join(dirname(example), spec!.replace(/\.js$/, '.ts')));
          if (!files.has(target)) broken.push(`${example} → ${spec!}`);
        } else if (!/^(node:|breakwater(\/|$))/.test(spec!) && !peers.has(spec!))
          broken.push(`${example} → ${spec!}`);
      }
    }
    expect(broken).toEqual([]);
  });
});

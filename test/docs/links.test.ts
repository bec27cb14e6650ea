// Every relative link and #anchor in README.md and docs/*.md points at a file that exists and,
// for an anchor, at a heading of that file (GitHub's anchors).
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/build.js';
import { anchors, documents, links, read, slug } from './markdown.js';

function broken(doc: string): string[] {
  const problems: string[] = [];
  for (const link of links(doc)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto: …
    const [path = '', anchor] = link.target.split('#', 2);
    const file = path === '' ? doc : normalize(join(dirname(doc), decodeURI(path)));
    const where = `${link.doc}:${link.line} → ${link.target}`;
    if (file.startsWith('..') || !existsSync(join(ROOT, file))) {
      problems.push(`${where}: no file ${file}`);
      continue;
    }
    if (anchor === undefined || anchor === '') continue;
    if (!file.endsWith('.md') || statSync(join(ROOT, file)).isDirectory()) {
      problems.push(`${where}: an anchor into a file that has no headings`);
    } else if (!anchors(read(file)).has(decodeURIComponent(anchor))) {
      problems.push(`${where}: no heading with that anchor in ${file}`);
    }
  }
  return problems;
}

describe('documentation links', () => {
  it('GitHub anchors: punctuation dropped, spaces to hyphens, duplicates numbered', () => {
    expect(slug('Keyed breakers: `BreakerRegistry`')).toBe('keyed-breakers-breakerregistry');
    expect(slug('Recommended order: fallback → retry → breaker → timeout')).toBe(
      'recommended-order-fallback--retry--breaker--timeout',
    );
    expect([...anchors('# A\n## A\n```\n# not a heading\n```\n### A.b\n')]).toEqual(['a', 'a-1', 'ab']);
  });

  it.each(documents())('%s — every relative link and anchor resolves', (doc) => {
    expect(links(doc).length).toBeGreaterThan(0);
    expect(broken(doc)).toEqual([]);
  });
});

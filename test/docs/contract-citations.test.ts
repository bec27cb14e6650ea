// Tests cite the contract by section (`docs/contract.md §6.3`); every cited section must exist,
// and no test may cite a document that is not in the repository.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
const SELF = join(import.meta.dirname, 'contract-citations.test.ts');
const CONTRACT = readFileSync(join(ROOT, 'docs/contract.md'), 'utf8');

/** Section numbers of the contract's numbered headings (`## 6. …`, `### 6.3 …`), in order. */
function sections(markdown: string): string[] {
  const found: string[] = [];
  for (const line of markdown.split('\n')) {
    const match = /^#{2,4} (\d+(?:\.\d+)*)\.? /.exec(line);
    if (match !== null) found.push(match[1]!);
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(?:[cm]?[jt]s)$/.test(entry.name) ? [path] : [];
  });
}

interface Citation {
  readonly file: string;
  readonly line: number;
  readonly section: string;
}

function citations(files: readonly string[]): { cited: Citation[]; stale: string[] } {
  const cited: Citation[] = [];
  const stale: string[] = [];
  for (const file of files) {
    if (file === SELF) continue;
    const lines = readFileSync(file, 'utf8').split('\n');
    lines.forEach((text, index) => {
      const where = `${relative(ROOT, file)}:${index + 1}`;
      for (const match of text.matchAll(/§(\d+(?:\.\d+)*)/g))
        cited.push({ file: relative(ROOT, file), line: index + 1, section: match[1]! });
      // A citation of a design document that is not shipped (`DESIGN 1.5`, `Section 1.1`).
      if (/\bDESIGN\b|\bSection \d/.test(text)) stale.push(`${where}: ${text.trim()}`);
    });
  }
  return { cited, stale };
}

describe('docs/contract.md — citations', () => {
  const numbers = sections(CONTRACT);

  it('the contract has numbered sections, each number once', () => {
    expect(numbers.length).toBeGreaterThan(30);
    expect(new Set(numbers).size).toBe(numbers.length);
    // Every subsection belongs to a chapter that exists.
    for (const n of numbers.filter((s) => s.includes('.')))
      expect(numbers, `§${n}`).toContain(n.split('.')[0]);
  });

  it('every § citation in test/ names a section of docs/contract.md', () => {
    const { cited } = citations(sourceFiles(join(ROOT, 'test')));
    expect(cited.length).toBeGreaterThan(20);
    const missing = cited
      .filter((c) => !numbers.includes(c.section))
      .map((c) => `${c.file}:${c.line} cites §${c.section}`);
    expect(missing).toEqual([]);
  });

  it('every § reference inside docs/contract.md names one of its own sections', () => {
    const missing = [...CONTRACT.matchAll(/§(\d+(?:\.\d+)*)/g)]
      .map((m) => m[1]!)
      .filter((s) => !numbers.includes(s));
    expect(missing).toEqual([]);
  });

  it('no test cites a design document outside the repository ("DESIGN 1.5", "Section 1.1")', () => {
    expect(citations(sourceFiles(join(ROOT, 'test'))).stale).toEqual([]);
  });
});

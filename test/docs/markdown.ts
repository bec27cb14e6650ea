// Reads the documentation the way the doc tests need it: fenced code blocks with their info
// strings, headings with their GitHub anchors, and links.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/build.js';

/** README.md and every docs/*.md, as paths relative to the repository. */
export function documents(): string[] {
  const docs = readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs];
}

export function read(doc: string): string {
  return readFileSync(join(ROOT, doc), 'utf8');
}

export interface CodeBlock {
  readonly doc: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The language, the first word of the info string (`ts`, `sh`, …; '' for none). */
  readonly lang: string;
  /** The words after the language (`run`, `nocheck because …`). */
  readonly flags: string;
  readonly code: string;
}

/** Every fenced block (``` or ~~~) of a document. */
export function codeBlocks(doc: string, text = read(doc)): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*(.*)$/.exec(lines[i]!);
    if (open === null) continue;
    const fence = open[2]!;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !lines[j]!.trimStart().startsWith(fence); j++) body.push(lines[j]!);
    blocks.push({ doc, line: i + 1, lang: open[3]!, flags: open[4]!.trim(), code: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The document's lines outside fenced blocks (a `#` in a code block is no heading), 1-based. */
export function prose(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, index) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker !== undefined) fence = marker;
    else if (fence !== undefined && marker !== undefined && line.trimStart().startsWith(fence))
      fence = undefined;
    else if (fence === undefined) out.push({ line: index + 1, text: line });
  });
  return out;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a document's headings, duplicates numbered as GitHub does (`-1`, `-2`). */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const { text: line } of prose(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    found.add(n === 0 ? base : `${base}-${n}`);
  }
  return found;
}

export interface Link {
  readonly doc: string;
  readonly line: number;
  readonly target: string;
}

/** Inline links and images (`[text](target)`) outside code, without inline code spans. */
export function links(doc: string, text = read(doc)): Link[] {
  const found: Link[] = [];
  for (const { line, text: content } of prose(text)) {
    const plain = content.replace(/`[^`]*`/g, '');
    for (const match of plain.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g))
      found.push({ doc, line, target: match[1]! });
  }
  return found;
}

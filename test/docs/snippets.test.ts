// Every ```ts / ```js block of README.md and docs/*.md compiles, strict, against the BUILT
// package (imported as a user would: 'breakwater', 'breakwater/fetch', …), under node16 and
// bundler resolution; blocks marked `run` are also executed. A block opts out only with
// ```ts nocheck <reason>. Free names a snippet leaves to the reader (`payments`, `redis`,
// `orderId`) are declared once in snippet-prelude.d.ts, not in each block.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Consumer, makeConsumer } from '../types/consumer.js';
import { type CodeBlock, codeBlocks, documents } from './markdown.js';

const run = promisify(execFile);
/** The optional peers, installed in the consumer as a user of those integrations has them. */
const PEERS = ['ioredis', 'redis', 'prom-client', '@opentelemetry/api'];
const CODE = new Set(['ts', 'typescript', 'js', 'javascript']);
const PRELUDE = readFileSync(join(import.meta.dirname, 'snippet-prelude.d.ts'), 'utf8');

interface Snippet extends CodeBlock {
  readonly file: string;
  readonly run: boolean;
  readonly nocheck: string | undefined;
}

function snippets(): Snippet[] {
  return documents()
    .flatMap((doc) => codeBlocks(doc))
    .filter((block) => CODE.has(block.lang))
    .map((block) => {
      const js = block.lang.startsWith('j');
      const base = block.doc.replace(/\.md$/, '').replace(/\W+/g, '-');
      const nocheck = /^nocheck\b\s*(.*)$/.exec(block.flags)?.[1];
      return {
        ...block,
        file: `snippets/${base}-L${block.line}.${js ? 'js' : 'ts'}`,
        run: /^run\b/.test(block.flags),
        nocheck,
      };
    });
}

const ALL = snippets();
const CHECKED = ALL.filter((s) => s.nocheck === undefined);

const COMMON = {
  target: 'ES2022',
  lib: ['ES2023', 'ESNext.Disposable'],
  types: ['node'],
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  allowJs: true,
  checkJs: true,
  isolatedModules: true,
};

const PROFILES: Record<string, Record<string, unknown>> = {
  node16: { module: 'node16', moduleResolution: 'node16' },
  bundler: { module: 'esnext', moduleResolution: 'bundler' },
};

/** tsc's `snippets/README-L56.ts(3,5): error …` as `README.md:58:5 error …`. */
function located(output: string): string[] {
  const byFile = new Map(ALL.map((s) => [s.file, s]));
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const match = /^(snippets\/[^(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
      const snippet = match === null ? undefined : byFile.get(match[1]!);
      if (match === null || snippet === undefined) return line;
      return `${snippet.doc}:${snippet.line + Number(match[2])}:${match[3]} ${match[4]}`;
    });
}

let consumer: Consumer | undefined;

describe('documentation code blocks', () => {
  beforeAll(() => {
    consumer = makeConsumer('breakwater-snippets-', { type: 'module' }, PEERS);
    consumer.write('snippets/prelude.d.ts', PRELUDE);
    // Each block is its own module: names declared in one never leak into another.
    for (const s of CHECKED) consumer.write(s.file, `${s.code}\nexport {};\n`);
  }, 240_000);

  afterAll(() => consumer?.remove());

  it('there are blocks to check, and every opt-out gives its reason', () => {
    expect(CHECKED.length).toBeGreaterThan(20);
    expect(
      ALL.filter((s) => s.nocheck !== undefined && s.nocheck.trim().length < 10).map(
        (s) => `${s.doc}:${s.line}`,
      ),
    ).toEqual([]);
  });

  it.each(Object.keys(PROFILES))(
    'tsc — every block type-checks (strict) against the built package under %s',
    async (name) => {
      const files = ['snippets/prelude.d.ts', ...CHECKED.map((s) => s.file)];
      const output = await consumer!.tsc(name, { ...COMMON, ...PROFILES[name] }, files);
      expect(located(output)).toEqual([]);
    },
    120_000,
  );

  const runnable = CHECKED.filter((s) => s.run);
  it('some blocks are marked runnable', () => expect(runnable.length).toBeGreaterThan(0));

  it.each(runnable.map((s) => [`${s.doc}:${s.line}`, s] as const))(
    'node — %s runs to completion',
    async (_, snippet) => {
      const file = snippet.file.replace(/\.[jt]s$/, '.mjs');
      const { outputText } = ts.transpileModule(snippet.code, {
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
      });
      consumer!.write(file, outputText);
      const result = await run(process.execPath, [file], { cwd: consumer!.dir, timeout: 60_000 });
      expect(result.stderr).toBe('');
    },
    60_000,
  );
});

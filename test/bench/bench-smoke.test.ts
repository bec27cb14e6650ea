import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/build.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'breakwater-bench-'));

interface Row {
  id: string;
  ns: number;
  overhead: number;
  bytes: number;
}
interface Results {
  cases: Record<string, { rows: Row[] }>;
  budgets: { id: string; verdict: string; measured: string }[];
}

let stdout = '';
let results: Results;
let markdown = '';

/** A printed table row: `| name | number | number | ... |`. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| subject') && !line.startsWith('| breaker'))
    .map((line) =>
      line
        .slice(2, -2)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

const isNumber = (cell: string): boolean => /^-?[\d,]+(\.\d+)?$/.test(cell);

beforeAll(async () => {
  ensureBuilt(); // the bench imports dist/: a stale build would measure old code
  const json = join(dir, 'results.json');
  const md = join(dir, 'results.md');
  const out = await run(
    process.execPath,
    ['bench/run.js', '--smoke', '--only', 'closed-seq,open', '--json', json, '--markdown', md],
    { cwd: root, timeout: 60_000 },
  );
  stdout = out.stdout;
  results = JSON.parse(readFileSync(json, 'utf8')) as Results;
  markdown = readFileSync(md, 'utf8');
}, 90_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('bench — smoke run', () => {
  it('run.js — prints a row with numbers for every subject of the selected cases', () => {
    const rows = tableRows(stdout);
    // closed-seq: bare, breakwater, opossum, cockatiel; open: the same plus breakwater-isolated.
    expect(rows.map((r) => r[0])).toEqual([
      'bare',
      'breakwater',
      'opossum',
      'cockatiel',
      'bare',
      'breakwater',
      'breakwater-isolated',
      'opossum',
      'cockatiel',
    ]);
    for (const row of rows) {
      expect(row.length).toBe(8);
      for (const cell of row.slice(1)) expect(isNumber(cell), `${row[0]}: "${cell}"`).toBe(true);
    }
  });

  it('run.js --json — writes finite figures for every subject', () => {
    expect(Object.keys(results.cases)).toEqual(['closed-seq', 'open']);
    for (const c of Object.values(results.cases)) {
      for (const row of c.rows) {
        expect(Number.isFinite(row.ns) && row.ns > 0, `${row.id} ns`).toBe(true);
        expect(Number.isFinite(row.overhead), `${row.id} overhead`).toBe(true);
        expect(Number.isFinite(row.bytes) && row.bytes > 0, `${row.id} bytes`).toBe(true);
      }
    }
  });

  it('run.js — checks the budgets of the measured cases, each with numbers and a verdict', () => {
    const ids = results.budgets.map((b) => b.id);
    expect(ids).toEqual(['A1', 'A2', 'A3', 'D1', 'D2', 'F']);
    for (const b of results.budgets.filter((x) => x.id !== 'F')) {
      expect(b.measured).toMatch(/\d/);
      expect(['met', 'met (scaled)', 'missed']).toContain(b.verdict);
    }
    const printed = stdout.split('\n').filter((line) => line.startsWith('budget '));
    expect(printed).toHaveLength(ids.length);
  });

  it('run.js --markdown — writes the machine line, the budgets and the tables', () => {
    expect(markdown).toMatch(/^Machine: .+, \d+ cores, .+Node v\d+/);
    expect(markdown).toContain('### Budgets');
    expect(markdown).toContain('| bare |');
    expect(markdown).toMatch(/\*\*(met|missed)\*\*/);
  });
});

interface Subject {
  id: string;
  make: (libs: unknown, fn: () => Promise<unknown>) => () => Promise<unknown>;
}

describe('bench — the floor subject of the timed case', () => {
  it("settles with the function's value or error, as a call with a deadline does", async () => {
    const url = new URL('../../bench/subjects.js', import.meta.url).href;
    const { CASES } = (await import(url)) as { CASES: Record<string, { subjects: Subject[] }> };
    const floor = CASES['closed-timeout']?.subjects.find((s) => s.id === 'floor');
    expect(floor).toBeDefined();
    const call = floor!.make({}, () => Promise.resolve(7));
    await expect(call()).resolves.toBe(7);
    await expect(call()).resolves.toBe(7); // each call settles its own promise
    const error = new Error('expected');
    const failing = floor!.make({}, () => Promise.reject(error));
    await expect(failing()).rejects.toBe(error);
  });
});

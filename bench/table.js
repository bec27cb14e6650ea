/**
 * Renders benchmark results as text tables (console) or markdown (the tables of
 * bench/README.md). As a command, turns a results file written by `run.js --json` into markdown:
 *
 *   node bench/table.js results.json [out.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

const fmt = (n, digits = 0) =>
  typeof n === 'number' && Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : String(n);
const ratio = (n) => fmt(n, Math.abs(n) < 10 ? 2 : 1);
const yesNo = (b) => (b ? 'yes' : 'no');

/** The machine line shown above every table. */
export function machineLine(m) {
  return `${m.cpu}, ${m.cores} cores, ${m.memGB} GB, ${m.platform}; Node ${m.node} (V8 ${m.v8}); ${m.date}; load average ${m.loadStart} at start, ${m.loadEnd} at end`;
}

/** Rows of the timed cases: `[header, ...rows]` per case. */
function caseTables(results) {
  const tables = [];
  for (const [id, c] of Object.entries(results.cases ?? {})) {
    const anchors = Object.keys(c.anchors);
    const header = [
      'subject',
      'ns/call',
      '× bare',
      'overhead ns',
      ...anchors.map((a) => `overhead ÷ ${a}'s`),
      'B/call',
      'B over bare',
    ];
    const rows = c.rows.map((r) => [
      r.id,
      fmt(r.ns),
      ratio(r.ratio),
      fmt(r.overhead),
      ...anchors.map((a) => ratio(r.vsAnchor[a])),
      fmt(r.bytes),
      fmt(r.bytesOver),
    ]);
    tables.push({ id, title: c.title, header, rows, labels: c.rows.map((r) => `${r.id}: ${r.label}`) });
  }
  return tables;
}

function memoryTable(results) {
  const memory = results.memory ?? [];
  if (memory.length === 0) return undefined;
  const header = ['breaker', 'count', 'heap B/breaker', 'create ns/breaker', 'B/breaker left after drop'];
  const rows = memory.map((m) => [
    m.variant,
    fmt(m.count),
    fmt(m.heapPerBreaker),
    fmt(m.createNs),
    fmt(m.retainedAfterDrop),
  ]);
  return { header, rows };
}

function timersTable(results) {
  const timers = results.timers ?? [];
  if (timers.length === 0) return undefined;
  const header = [
    'breaker',
    'timers idle',
    "ref'd idle",
    'timers after 1 call',
    "ref'd after 1 call",
    'timers for 101 breakers after a call each',
    'timers left by a dropped one',
    'dropped one collected',
  ];
  const rows = timers.map((t) => [
    t.variant,
    fmt(t.idleTimers),
    fmt(t.idleRefd),
    fmt(t.afterCallTimers),
    fmt(t.afterCallRefd),
    fmt(t.hundredAfterCallTimers),
    fmt(t.droppedTimersLeft),
    yesNo(t.droppedCollected),
  ]);
  return { header, rows };
}

function registryLines(results) {
  const reg = results.registry;
  if (!reg) return [];
  if (reg.skipped) return [reg.note];
  return [
    `registry, ${fmt(reg.keys)} keys, maxBreakers ${fmt(reg.full.maxBreakers)}: ${fmt(reg.full.heapMB, 1)} MB (${fmt(reg.full.bytesPerKey)} B/key, get ${fmt(reg.full.getNs)} ns/key)`,
    `registry, ${fmt(reg.keys)} keys, maxBreakers ${fmt(reg.bounded.maxBreakers)}: ${fmt(reg.bounded.heapMB, 1)} MB, size ${fmt(reg.bounded.size)}`,
  ];
}

function pipeRow(cells) {
  return `| ${cells.join(' | ')} |`;
}

function markdownTable({ header, rows }) {
  return [pipeRow(header), pipeRow(header.map(() => '---')), ...rows.map(pipeRow)].join('\n');
}

/** Plain-text report for the console: one pipe table per case, then probes and budgets. */
export function renderConsole(results) {
  const lines = [`machine: ${machineLine(results.machine)}`, `mode: ${results.mode}, ${results.note}`, ''];
  for (const t of caseTables(results)) {
    lines.push(`${t.id}: ${t.title}`, pipeRow(t.header), ...t.rows.map(pipeRow), '');
  }
  const mem = memoryTable(results);
  if (mem) lines.push('per breaker: heap and creation', pipeRow(mem.header), ...mem.rows.map(pipeRow), '');
  const tim = timersTable(results);
  if (tim) lines.push('per breaker: timers', pipeRow(tim.header), ...tim.rows.map(pipeRow), '');
  const reg = registryLines(results);
  if (reg.length > 0) lines.push(...reg, '');
  if ((results.budgets ?? []).length > 0) {
    lines.push('budgets (PERFORMANCE.md):');
    for (const b of results.budgets) {
      lines.push(`budget ${b.id.padEnd(3)} ${b.verdict.padEnd(13)} ${b.path}: ${b.budget} — ${b.measured}`);
    }
  }
  return lines.join('\n');
}

/** Markdown for the tables of bench/README.md. */
export function renderMarkdown(results) {
  const out = [
    `Machine: ${machineLine(results.machine)}.`,
    '',
    `Mode: ${results.mode} (${results.note}). Cells are the median across runs; each run is a fresh`,
    'child process per case with interleaved samples, `gc()` before each sample. "overhead" is',
    'ns above the bare `await fn()` loop of the same process; "overhead ÷ X\'s" divides a row\'s',
    "overhead by anchor X's overhead in the same case (below 1 means less than the anchor).",
    '',
  ];
  if ((results.budgets ?? []).length > 0) {
    out.push('### Budgets', '');
    out.push(
      markdownTable({
        header: ['#', 'path', 'budget', 'measured', 'verdict'],
        rows: results.budgets.map((b) => [b.id, b.path, b.budget, b.measured, `**${b.verdict}**`]),
      }),
      '',
    );
  }
  out.push('### Cost per call', '');
  for (const t of caseTables(results)) {
    out.push(`**${t.title}** (\`${t.id}\`)`, '', markdownTable(t), '');
    out.push(...t.labels.map((l) => `- ${l}`), '');
  }
  const mem = memoryTable(results);
  if (mem) out.push('### Per breaker', '', markdownTable(mem), '');
  const tim = timersTable(results);
  if (tim) {
    out.push(
      'Timers per breaker (all live timers counted, unref’d ones included; "ref\'d" are those that keep the process alive):',
      '',
      markdownTable(tim),
      '',
    );
  }
  const reg = registryLines(results);
  if (reg.length > 0) out.push('### Registry', '', ...reg.map((l) => `- ${l}`), '');
  return out.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output] = process.argv.slice(2);
  if (input === undefined) {
    process.stderr.write('usage: node bench/table.js results.json [out.md]\n');
    process.exit(2);
  }
  const md = renderMarkdown(JSON.parse(readFileSync(input, 'utf8')));
  if (output === undefined) process.stdout.write(`${md}\n`);
  else writeFileSync(output, `${md}\n`);
}

/**
 * breakwater benchmark: `npm run bench` (builds, then runs this file).
 *
 *   node bench/run.js [--quick | --smoke] [--only a,b] [--runs N] [--clock wall|cpu]
 *                     [--single-threaded-gc] [--json FILE] [--markdown FILE]
 *
 * Method (details in measure.js and probes.js):
 * - Every case runs in a fresh child process (`node --expose-gc bench/worker.js`), so no JIT
 *   feedback, GC state or library timers carry over from one case to the next.
 * - Inside it, each subject (bare `await fn()`, breakwater, opossum 9, cockatiel 3.2) has its own
 *   compiled copy of the loop and of the protected function; after a warm-up and a calibration,
 *   samples are interleaved across subjects (round r starts with subject r mod k), `gc()` before
 *   each; a subject's result is its median sample in ns per call.
 * - The whole set of cases runs `runs` times (3 by default) with the case order rotated, and in
 *   run r each case builds and warms up its subjects starting from a different one (the first
 *   one shares the library's code with no other subject yet); each cell printed is the median
 *   across runs. The `windows` case, judged on differences between its own subjects, takes three
 *   times the samples. Overhead = ns above the bare loop of the same process.
 * - Bytes allocated per call: heap growth (`used_heap_size`) over a few hundred calls right after
 *   a full GC; repetitions during which any GC ran are discarded; median of the rest. Node 20 has
 *   no total-allocated counter, so growth of the heap between two collections is the measure.
 * - `--clock cpu` reports process CPU time per call instead of wall-clock time (both are always
 *   recorded in the JSON); useful on a machine shared with other work. `--single-threaded-gc`
 *   passes that V8 flag to the children: on an overloaded machine the parallel scavenger waits for
 *   GC worker threads that get no CPU, which inflates every allocating subject by a random amount.
 * - Per breaker (heap, creation time, timers) and the registry are probed in their own processes.
 *   The heap and creation probe runs once per run, after 2,000 breakers were made and dropped
 *   (its warm-up), and reports the median of the runs.
 * - The dashboard probe (dashboard.js) runs once: 10,000 breakers under scripted traffic, CPU
 *   share and event-loop delay without and with one page open, bytes per second to the page.
 *
 * Budgets come from the performance contract and are checked in budgets.js.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearTimeout, setTimeout } from 'node:timers';
import { URL, fileURLToPath } from 'node:url';
import { checkBudgets } from './budgets.js';
import { median } from './measure.js';
import { BREAKER_VARIANTS } from './probes.js';
import { CASES } from './subjects.js';
import { renderConsole, renderMarkdown } from './table.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

const MODES = {
  full: {
    timing: { warmupMs: 150, sampleMs: 40, samples: 9, bytesReps: 11, bytesCalls: 500 },
    runs: 3,
    memoryCounts: [10_000, 100_000],
    registryKeys: 100_000,
    dashboard: { breakers: 10_000, seconds: 10 },
  },
  quick: {
    timing: { warmupMs: 30, sampleMs: 10, samples: 3, bytesReps: 5, bytesCalls: 300 },
    runs: 1,
    memoryCounts: [1_000, 10_000],
    registryKeys: 10_000,
    dashboard: { breakers: 10_000, seconds: 5 },
  },
  smoke: {
    timing: { warmupMs: 5, sampleMs: 2, samples: 2, bytesReps: 3, bytesCalls: 100 },
    runs: 1,
    memoryCounts: [200],
    registryKeys: 1_000,
    dashboard: { breakers: 1_000, seconds: 2 },
  },
};

const PROBES = ['memory', 'timers', 'registry', 'dashboard'];
const TIMER_VARIANTS = Object.keys(BREAKER_VARIANTS);
const MEMORY_VARIANTS = ['breakwater', 'breakwater-no-timeout', 'opossum', 'cockatiel'];

function parseArgs(argv) {
  const args = {
    mode: 'full',
    only: undefined,
    runs: undefined,
    clock: 'wall',
    json: undefined,
    markdown: undefined,
    nodeFlags: [],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.mode = 'quick';
    else if (a === '--smoke') args.mode = 'smoke';
    else if (a === '--only') args.only = value().split(',');
    else if (a === '--runs') args.runs = Number(value());
    else if (a === '--clock') args.clock = value();
    else if (a === '--json') args.json = value();
    else if (a === '--markdown') args.markdown = value();
    else if (a === '--single-threaded-gc') args.nodeFlags.push('--single-threaded-gc');
    else throw new Error(`bench: unknown argument ${a}`);
  }
  const known = [...Object.keys(CASES), ...PROBES];
  for (const id of args.only ?? [])
    if (!known.includes(id)) throw new Error(`bench: unknown case ${id} (known: ${known.join(', ')})`);
  if (args.clock !== 'wall' && args.clock !== 'cpu') throw new Error('bench: --clock is wall or cpu');
  return args;
}

/** Runs one task in a fresh `node --expose-gc` process; resolves with its parsed result. */
function runWorker(task, nodeFlags, timeoutMs = 240_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', ...nodeFlags, WORKER, JSON.stringify(task)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
      if (code !== 0 || line === undefined) {
        reject(new Error(`bench: worker ${JSON.stringify(task)} failed (code ${code}, signal ${signal})`));
      } else {
        resolve(JSON.parse(line.slice('RESULT '.length)));
      }
    });
  });
}

function machine(loadStart) {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown CPU',
    cores: cpus.length,
    memGB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.arch()}`,
    node: process.version,
    v8: process.versions.v8,
    date: new Date().toISOString().slice(0, 10),
    loadStart,
    loadEnd: loadAverage(),
  };
}

const loadAverage = () => os.loadavg()[0].toFixed(2);

/** One probe result whose numeric fields (but the count) are the medians over `probes`. */
function medianProbe(probes) {
  const out = { ...probes[0] };
  for (const [key, value] of Object.entries(out))
    if (typeof value === 'number' && key !== 'count') out[key] = median(probes.map((p) => p[key]));
  return out;
}

/** Merges the runs of one case: per subject, the median across runs of each per-run figure. */
function mergeCase(caseId, runs, clock) {
  const def = CASES[caseId];
  const perRun = runs.map((r) => {
    const pick = (s) => (clock === 'cpu' ? s.cpuNs : s.ns);
    const bare = r.bare;
    const rows = {};
    for (const subject of def.subjects) {
      const s = r[subject.id];
      const ns = pick(s);
      const overhead = ns - pick(bare);
      const vsAnchor = {};
      for (const [name, anchorId] of Object.entries(def.anchors)) {
        vsAnchor[name] = overhead / Math.max(pick(r[anchorId]) - pick(bare), 1);
      }
      rows[subject.id] = {
        ns,
        overhead,
        ratio: ns / pick(bare),
        vsAnchor,
        bytes: s.bytes,
        bytesOver: s.bytes - bare.bytes,
      };
    }
    return rows;
  });
  const med = (get) => median(perRun.map(get).filter((v) => Number.isFinite(v)));
  return {
    title: def.title,
    anchors: def.anchors,
    rows: def.subjects.map((subject) => {
      const get = (k) => med((rows) => rows[subject.id][k]);
      const vsAnchor = {};
      for (const name of Object.keys(def.anchors))
        vsAnchor[name] = med((rows) => rows[subject.id].vsAnchor[name]);
      const nsAll = perRun.map((rows) => rows[subject.id].ns);
      return {
        id: subject.id,
        label: subject.label,
        ns: get('ns'),
        nsRange: [Math.min(...nsAll), Math.max(...nsAll)],
        ratio: get('ratio'),
        overhead: get('overhead'),
        vsAnchor,
        bytes: get('bytes'),
        bytesOver: get('bytesOver'),
      };
    }),
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const mode = MODES[args.mode];
  const runs = args.runs ?? mode.runs;
  const selected = (id) => args.only === undefined || args.only.includes(id);
  const caseIds = Object.keys(CASES).filter(selected);
  const loadStart = loadAverage();
  const started = performance.now();
  const progress = (msg) => process.stderr.write(`bench: ${msg}\n`);

  const raw = { timing: [], memory: [], timers: [], registry: undefined, dashboard: undefined };
  for (let run = 0; run < runs; run++) {
    const order = caseIds.map((_, i) => caseIds[(i + run) % caseIds.length]);
    const results = {};
    for (const caseId of order) {
      progress(`run ${run + 1}/${runs}, ${caseId}`);
      // A case judged on a small difference between its own subjects takes more samples.
      const samples = mode.timing.samples * (CASES[caseId].samplesFactor ?? 1);
      const params = { ...mode.timing, samples, rotate: run };
      results[caseId] = await runWorker({ kind: 'timing', caseId, params }, args.nodeFlags);
    }
    raw.timing.push(results);
  }
  if (selected('memory')) {
    for (const variant of MEMORY_VARIANTS) {
      for (const count of mode.memoryCounts) {
        // Like a timed case, each probe runs once per run, in its own process; the median is kept.
        const probes = [];
        for (let run = 0; run < runs; run++) {
          progress(`run ${run + 1}/${runs}, memory ${variant} x ${count}`);
          probes.push(await runWorker({ kind: 'memory', variant, count, clock: args.clock }, args.nodeFlags));
        }
        raw.memory.push(medianProbe(probes));
      }
    }
  }
  if (selected('timers')) {
    for (const variant of TIMER_VARIANTS) {
      progress(`timers ${variant}`);
      raw.timers.push(await runWorker({ kind: 'timers', variant }, args.nodeFlags));
    }
  }
  if (selected('registry')) {
    progress('registry');
    raw.registry = await runWorker({ kind: 'registry', keys: mode.registryKeys }, args.nodeFlags);
  }
  if (selected('dashboard')) {
    progress(`dashboard, ${mode.dashboard.breakers} breakers`);
    raw.dashboard = await runWorker({ kind: 'dashboard', ...mode.dashboard }, args.nodeFlags);
  }

  const results = {
    machine: machine(loadStart),
    mode: args.mode,
    note: `${runs} run(s), ${mode.timing.samples} samples of ~${mode.timing.sampleMs} ms per subject, ${args.clock === 'cpu' ? 'process CPU time' : 'wall-clock time'}${args.nodeFlags.length > 0 ? `, children run with ${args.nodeFlags.join(' ')}` : ''}, ${((performance.now() - started) / 1000).toFixed(0)} s`,
    params: { ...mode, runs, clock: args.clock, nodeFlags: args.nodeFlags },
    cases: Object.fromEntries(
      caseIds.map((id) => [
        id,
        mergeCase(
          id,
          raw.timing.map((r) => r[id]),
          args.clock,
        ),
      ]),
    ),
    memory: raw.memory,
    timers: raw.timers,
    registry: raw.registry,
    dashboard: raw.dashboard,
    raw,
  };
  results.budgets = checkBudgets(results);

  process.stdout.write(`${renderConsole(results)}\n`);
  if (args.json !== undefined) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  if (args.markdown !== undefined) writeFileSync(args.markdown, `${renderMarkdown(results)}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * One measurement in a fresh process: `node --expose-gc bench/worker.js '<task JSON>'`.
 * Prints one line `RESULT <json>` on stdout. Tasks:
 * - `{ kind: 'timing', caseId, params }`: the subjects of one case from `subjects.js`;
 * - `{ kind: 'memory', variant, count }`: heap and creation time per breaker;
 * - `{ kind: 'timers', variant }`: timers held by an idle and a dropped breaker;
 * - `{ kind: 'registry', keys }`: heap of a keyed registry;
 * - `{ kind: 'dashboard', breakers, seconds }`: the dashboard under that many breakers (dashboard.js).
 */
import { createRequire } from 'node:module';
import process from 'node:process';
import { URL } from 'node:url';
import { CASES, bareFunctionKind, compileFunction, compileLoop } from './subjects.js';
import { measureSubjects } from './measure.js';
import { probeDashboard } from './dashboard.js';
import { probeMemory, probeRegistry, probeTimers } from './probes.js';

const require = createRequire(import.meta.url);

async function loadLibraries() {
  const bw = await import(new URL('../dist/index.mjs', import.meta.url).href);
  const prometheus = await import(new URL('../dist/prometheus/index.mjs', import.meta.url).href);
  const otel = await import(new URL('../dist/otel/index.mjs', import.meta.url).href);
  const redis = await import(new URL('../dist/redis/index.mjs', import.meta.url).href);
  const dashboard = await import(new URL('../dist/dashboard/index.mjs', import.meta.url).href);
  return {
    bw,
    dashboard,
    prometheus,
    otel,
    redis,
    Redis: require('ioredis').Redis,
    promClient: require('prom-client'),
    otelSdk: require('@opentelemetry/sdk-metrics'),
    Opossum: require('opossum'),
    cockatiel: require('cockatiel'),
  };
}

async function timing(libs, caseId, params) {
  const def = CASES[caseId];
  if (def === undefined) throw new Error(`bench: unknown case ${caseId}`);
  // Subjects are built and warmed up in turn, and the first one to run shares the library's code
  // with no other subject yet; run r starts with a different one, so that no subject has that
  // place in every run.
  const others = def.subjects.filter((s) => s.id !== 'bare');
  const k = others.length === 0 ? 0 : (params.rotate ?? 0) % others.length;
  const ordered = [...def.subjects.filter((s) => s.id === 'bare'), ...others.slice(k), ...others.slice(0, k)];
  const subjects = [];
  for (const subject of ordered) {
    const fn = compileFunction(subject.id === 'bare' ? bareFunctionKind(def) : def.fn);
    const loop = compileLoop(def.loop);
    const call = await subject.make(libs, fn);
    subjects.push({ id: subject.id, call, loop: loop.run, perIteration: loop.perIteration });
  }
  return measureSubjects(subjects, params);
}

async function main() {
  const task = JSON.parse(process.argv[2] ?? '{}');
  const libs = await loadLibraries();
  let result;
  switch (task.kind) {
    case 'timing':
      result = await timing(libs, task.caseId, task.params);
      break;
    case 'memory':
      result = await probeMemory(libs, task.variant, task.count, task.clock);
      break;
    case 'timers':
      result = await probeTimers(libs, task.variant);
      break;
    case 'registry':
      result = await probeRegistry(libs, task.keys);
      break;
    case 'dashboard':
      result = await probeDashboard(libs, task);
      break;
    default:
      throw new Error(`bench: unknown task ${JSON.stringify(task)}`);
  }
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  // Opossum's intervals are unref'd, but a lingering anchor must not stretch the run.
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});

/**
 * Timing and allocation of the subjects of one case, inside one child process.
 *
 * Time. Each subject is warmed up, then calibrated (iterations per sample chosen so a sample
 * lasts about `sampleMs`). Samples are interleaved: round r runs every subject once, starting
 * with a different subject each round (bare, breakwater, opossum, cockatiel, then breakwater,
 * opossum, cockatiel, bare, ...), with `gc()` before each sample, so drift of the machine (CPU
 * frequency, neighbours on the VM) spreads over all subjects alike. The result per subject is the
 * median sample in ns per call, with the min and max sample.
 *
 * Bytes allocated per call. Node 20 exposes no allocation counter (`v8.getHeapStatistics()` has
 * no `total_allocated_bytes`), so this measures heap growth: force a full GC (`gc()`, hence
 * `--expose-gc`), read `used_heap_size`, run `bytesCalls` calls, read it again, divide. The young
 * generation is 16 MB or more, so a repetition normally runs without a collection; a repetition
 * during which any GC ran (seen by a `PerformanceObserver` on `gc` entries) or whose heap shrank
 * is discarded, and the median of the kept repetitions is reported. What this counts is every
 * byte the calls left on the heap until the next GC: promises, closures, contexts, result
 * objects — the garbage a breaker adds to each call, which is what GC pressure depends on.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { getHeapStatistics } from 'node:v8';

let gcEvents = 0;
new PerformanceObserver((list) => {
  gcEvents += list.getEntries().length;
}).observe({ entryTypes: ['gc'] });

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

/** Lets pending observer callbacks and timers of the previous step run. */
async function settle() {
  await nextTurn();
  await nextTurn();
}

function forceGc() {
  if (typeof globalThis.gc !== 'function') throw new Error('bench: run node with --expose-gc');
  globalThis.gc();
}

const heapUsed = () => getHeapStatistics().used_heap_size;

/** Median of a non-empty list of numbers. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs `iterations` of a subject's loop; returns wall-clock ns and process CPU ns. */
async function timeLoop(subject, iterations) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await subject.loop(subject.call, iterations);
  const wall = Number(process.hrtime.bigint() - t0);
  const cpu = process.cpuUsage(c0);
  return { wall, cpu: (cpu.user + cpu.system) * 1000 };
}

/** Heap growth per call over `iterations`, `reps` times; repetitions with a GC are discarded. */
async function allocation(s, iterations, reps) {
  const kept = [];
  let discarded = 0;
  for (let rep = 0; rep < reps; rep++) {
    forceGc();
    await settle();
    const events = gcEvents;
    const before = heapUsed();
    await s.loop(s.call, iterations);
    const after = heapUsed();
    await settle();
    if (gcEvents !== events || after < before) discarded++;
    else kept.push((after - before) / (iterations * s.perIteration));
  }
  return { kept, discarded };
}

/**
 * Measures `subjects` (each `{ id, call, loop, perIteration }`) with `params`
 * `{ warmupMs, sampleMs, samples, bytesReps, bytesCalls }`; returns one result per subject id.
 */
export async function measureSubjects(subjects, params) {
  const state = subjects.map((s) => ({ ...s, iterations: 1, samples: [], cpuSamples: [] }));

  // Warm-up, counting calls: its average cost is one estimate of the cost per iteration.
  for (const s of state) {
    const end = performance.now() + params.warmupMs;
    const c0 = process.cpuUsage();
    let done = 0;
    while (performance.now() < end) {
      await s.loop(s.call, 16);
      done += 16;
    }
    const c = process.cpuUsage(c0);
    s.estimate = ((c.user + c.system) * 1000) / done;
  }

  // Calibration: double the iterations until a run lasts a quarter sample, then time that run
  // three times. The smallest cost per iteration seen wins: on a busy machine a stall during
  // calibration would otherwise shrink every sample to a few calls.
  for (const s of state) {
    let n = 1;
    let elapsed = (await timeLoop(s, n)).wall;
    while (elapsed < (params.sampleMs * 1e6) / 4 && n < 1e8) {
      n *= 2;
      elapsed = (await timeLoop(s, n)).wall;
    }
    let best = Math.min(s.estimate, elapsed / n);
    for (let i = 0; i < 3; i++) {
      const t = await timeLoop(s, n);
      best = Math.min(best, t.wall / n, t.cpu / n);
    }
    best = Math.max(best, elapsed / n / 8); // never trust a reading 8x below the first
    s.iterations = Math.max(1, Math.round((params.sampleMs * 1e6) / Math.max(best, 1)));
  }

  for (let round = 0; round < params.samples; round++) {
    for (let i = 0; i < state.length; i++) {
      const s = state[(round + i) % state.length];
      forceGc();
      const { wall, cpu } = await timeLoop(s, s.iterations);
      s.samples.push(wall / (s.iterations * s.perIteration));
      s.cpuSamples.push(cpu / (s.iterations * s.perIteration));
    }
  }

  const results = {};
  for (const s of state) {
    // A subject that allocates a lot triggers a GC in every repetition: retry with fewer calls.
    let iterations = Math.max(1, Math.round(params.bytesCalls / s.perIteration));
    let bytes = await allocation(s, iterations, params.bytesReps);
    while (bytes.kept.length === 0 && iterations > 4) {
      iterations = Math.max(1, iterations >> 2);
      bytes = await allocation(s, iterations, params.bytesReps);
    }
    const { kept, discarded } = bytes;
    results[s.id] = {
      ns: median(s.samples),
      nsMin: Math.min(...s.samples),
      nsMax: Math.max(...s.samples),
      samples: s.samples,
      cpuNs: median(s.cpuSamples),
      cpuSamples: s.cpuSamples,
      iterationsPerSample: s.iterations * s.perIteration,
      bytes: kept.length > 0 ? median(kept) : Number.NaN,
      bytesRepsKept: kept.length,
      bytesRepsDiscarded: discarded,
      bytesCallsPerRep: iterations * s.perIteration,
    };
  }
  return results;
}

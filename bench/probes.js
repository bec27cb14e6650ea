/**
 * Per-breaker probes, each run in its own child process: heap and creation time per breaker,
 * timers held by an idle and by a dropped breaker, and the keyed registry.
 *
 * Heap per breaker: full GC, `used_heap_size`, create `count` breakers into an array (timed),
 * full GC, `used_heap_size` again; the difference divided by `count`. Then the array is dropped,
 * and after two more GCs the heap still above the starting point, per breaker, is what a breaker
 * leaves behind when the application forgets it without calling any shutdown method.
 *
 * Timers: `setTimeout`/`setInterval` and their `clear*` are wrapped before any breaker exists, so
 * every live timer is counted, unref'd ones included; `process.getActiveResourcesInfo()` lists
 * only timers that keep the process alive (ref'd), reported beside it.
 */
import process from 'node:process';
import { setImmediate } from 'node:timers';
import { getHeapStatistics } from 'node:v8';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const heapUsed = () => getHeapStatistics().used_heap_size;

/** Full collections, a turn apart, so WeakRefs and FinalizationRegistry see the drop. */
async function fullGc() {
  for (let i = 0; i < 2; i++) {
    await nextTurn();
    globalThis.gc();
  }
}

/** Breakers compared per breaker: each `create(libs, fn)` builds one. */
export const BREAKER_VARIANTS = {
  breakwater: {
    label: 'breakwater, defaults',
    create: (libs) => new libs.bw.CircuitBreaker(),
    call: (b, fn) => b.execute(fn),
  },
  'breakwater-no-timeout': {
    label: 'breakwater, timeout: false',
    create: (libs) => new libs.bw.CircuitBreaker({ timeout: false }),
    call: (b, fn) => b.execute(fn),
  },
  opossum: {
    label: 'opossum, defaults',
    create: (libs, fn) => new libs.Opossum(fn),
    call: (b) => b.fire(),
  },
  cockatiel: {
    label: 'cockatiel, ConsecutiveBreaker(5)',
    create: (libs) =>
      libs.cockatiel.circuitBreaker(libs.cockatiel.handleAll, {
        halfOpenAfter: 30_000,
        breaker: new libs.cockatiel.ConsecutiveBreaker(5),
      }),
    call: (b, fn) => b.execute(fn),
  },
  'cockatiel-timeout': {
    label: 'cockatiel, wrap(timeout(10 s), breaker)',
    create: (libs) => {
      const c = libs.cockatiel;
      return c.wrap(
        c.timeout(10_000, c.TimeoutStrategy.Cooperative),
        c.circuitBreaker(c.handleAll, { halfOpenAfter: 30_000, breaker: new c.ConsecutiveBreaker(5) }),
      );
    },
    call: (b, fn) => b.execute(fn),
  },
};

const ok = async () => 1;

/** Breakers made and dropped before a memory probe measures. */
const WARMUP_BREAKERS = 2_000;

/** Heap bytes and creation ns per breaker (wall-clock, or process CPU with `clock` 'cpu'). */
export async function probeMemory(libs, variant, count, clock = 'wall') {
  const v = BREAKER_VARIANTS[variant];
  // Warm-up, as in every timed case: the constructor path is compiled and optimized before the
  // measured loop, so the time is that of making a breaker, not of compiling the library.
  for (let i = 0; i < WARMUP_BREAKERS; i++) v.create(libs, ok);
  await fullGc();
  const before = heapUsed();
  const { createNs, after } = await (async () => {
    const held = new Array(count);
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) held[i] = v.create(libs, ok);
    const wall = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(c0);
    const ns = (clock === 'cpu' ? (cpu.user + cpu.system) * 1000 : wall) / count;
    await fullGc();
    const used = heapUsed();
    if (held.length !== count) throw new Error('bench: lost breakers');
    return { createNs: ns, after: used };
  })();
  await fullGc();
  const dropped = heapUsed();
  return {
    variant,
    label: v.label,
    count,
    heapPerBreaker: (after - before) / count,
    createNs,
    retainedAfterDrop: Math.max(0, (dropped - before) / count),
  };
}

/** Wraps the global timer functions; returns a counter of live timers (unref'd included). */
function trackTimers() {
  const live = new Set();
  const { setTimeout: st, setInterval: si, clearTimeout: ct, clearInterval: ci } = globalThis;
  globalThis.setTimeout = function (fn, ms, ...args) {
    const handle = st(
      function (...a) {
        live.delete(handle);
        return fn.apply(this, a);
      },
      ms,
      ...args,
    );
    live.add(handle);
    return handle;
  };
  globalThis.setInterval = function (fn, ms, ...args) {
    const handle = si(fn, ms, ...args);
    live.add(handle);
    return handle;
  };
  globalThis.clearTimeout = (handle) => {
    live.delete(handle);
    ct(handle);
  };
  globalThis.clearInterval = (handle) => {
    live.delete(handle);
    ci(handle);
  };
  return {
    live: () => live.size,
    refd: () => [...live].filter((h) => typeof h.hasRef === 'function' && h.hasRef()).length,
  };
}

const activeTimeouts = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

/** Timers held by one breaker of `variant`: created, after a call, and after being dropped. */
export async function probeTimers(libs, variant) {
  const v = BREAKER_VARIANTS[variant];
  const timers = trackTimers();
  const base = { live: timers.live(), active: activeTimeouts() };
  const count = () => ({ live: timers.live() - base.live, active: activeTimeouts() - base.active });

  const breaker = v.create(libs, ok);
  const idle = count();
  await v.call(breaker, ok);
  const afterCall = count();

  // A hundred more breakers, one settled call each: timers a breaker holds show up a hundredfold.
  const many = Array.from({ length: 100 }, () => v.create(libs, ok));
  for (const b of many) await v.call(b, ok);
  const afterHundred = count();

  const before = count();
  const ref = await (async () => {
    const doomed = v.create(libs, ok);
    await v.call(doomed, ok);
    return new WeakRef(doomed);
  })();
  await fullGc();
  await fullGc();
  const left = count();
  return {
    variant,
    label: v.label,
    idleTimers: idle.live,
    idleRefd: idle.active,
    afterCallTimers: afterCall.live,
    afterCallRefd: afterCall.active,
    hundredAfterCallTimers: afterHundred.live,
    droppedTimersLeft: left.live - before.live,
    droppedCollected: ref.deref() === undefined,
  };
}

/** Heap for `keys` keyed breakers, or a note when the registry is not built yet. */
export async function probeRegistry(libs, keys) {
  const Registry = libs.bw.BreakerRegistry;
  if (typeof Registry !== 'function') return { skipped: true, note: 'registry: not built yet' };
  const fill = async (maxBreakers) => {
    await fullGc();
    const before = heapUsed();
    const registry = new Registry({ defaults: {}, maxBreakers, idleTtl: 60_000 });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < keys; i++) registry.get(`key-${i}`);
    const ns = Number(process.hrtime.bigint() - t0) / keys;
    await fullGc();
    const bytes = heapUsed() - before;
    const size = typeof registry.size === 'number' ? registry.size : Number.NaN;
    return { maxBreakers, heapMB: bytes / 1e6, bytesPerKey: bytes / keys, getNs: ns, size, registry };
  };
  const full = await fill(keys);
  const fullResult = { ...full, registry: undefined };
  full.registry = undefined;
  const bounded = await fill(Math.round(keys / 10));
  return { skipped: false, keys, full: fullResult, bounded: { ...bounded, registry: undefined } };
}

/**
 * The timed cases: for each one, the loop shape, the protected function and the subjects (bare,
 * breakwater and the anchors opossum 9 and cockatiel 3.2, configured alike).
 *
 * A subject is `make(libs, fn) => call`: `call()` makes one call through the subject and returns
 * its promise. Every subject gets its own copy of the protected function and of the timing loop,
 * compiled from source (`new AsyncFunction`), so no two subjects share JIT type feedback.
 */
import { haveRedisServer, startRedisServer } from './redis.js';

/** `new AsyncFunction(...)` compiles a fresh async function: own bytecode, own feedback. */
export const AsyncFunction = (async () => {}).constructor;

/** One cached error for every failure and bare rejection: `new Error()` alone costs ~1.7 µs. */
const CACHED_ERROR = new Error('expected failure');

/** Protected functions, compiled anew for each subject. */
const FUNCTIONS = {
  /** Always resolves. */
  ok: () => new AsyncFunction('return 1;'),
  /** Alternates success and failure (cached error). */
  mixed: () =>
    new Function('err', 'let k = 0; return async () => { if ((++k & 1) === 1) throw err; return 1; };')(
      CACHED_ERROR,
    ),
  /** Always rejects with the cached error (the bare baseline of a rejection). */
  fail: () => new Function('err', 'return async () => { throw err; };')(CACHED_ERROR),
};

/** Loop bodies: `call` is the subject, `n` the iterations; every iteration is one or more calls. */
const LOOPS = {
  seq: { perIteration: 1, body: 'for (let i = 0; i < n; i++) await call();' },
  seqCatch: {
    perIteration: 1,
    body: 'for (let i = 0; i < n; i++) { try { await call(); } catch { /* expected */ } }',
  },
  concurrent100: {
    perIteration: 100,
    body:
      'const ps = new Array(100);' +
      'for (let i = 0; i < n; i++) { for (let j = 0; j < 100; j++) ps[j] = call(); await Promise.all(ps); }',
  },
};

/** Compiles a fresh copy of a loop: `(call, n) => Promise<void>`. */
export function compileLoop(shape) {
  const loop = LOOPS[shape];
  return { run: new AsyncFunction('call', 'n', loop.body), perIteration: loop.perIteration };
}

/** Compiles a fresh copy of a protected function. */
export function compileFunction(kind) {
  return FUNCTIONS[kind]();
}

const NEVER_TRIPS = { failureThreshold: Infinity, timeout: false };

function opossum(libs, fn, options) {
  const breaker = new libs.Opossum(fn, options);
  return () => breaker.fire();
}

function cockatielBreaker(libs, breaker) {
  const c = libs.cockatiel;
  return c.circuitBreaker(c.handleAll, { halfOpenAfter: 30_000, breaker });
}

function cockatielSampling(libs, duration) {
  // threshold must lie in (0, 1): 0.99 of failures is never reached by a 50/50 mix.
  const policy = cockatielBreaker(libs, new libs.cockatiel.SamplingBreaker({ threshold: 0.99, duration }));
  return policy;
}

/** A breakwater breaker tripped into `open` by one failure, recovery far away. */
async function trippedBreakwater(libs) {
  const breaker = new libs.bw.CircuitBreaker({
    failureThreshold: 1,
    recoveryTimeout: 3_600_000,
    timeout: false,
  });
  await breaker.execute(compileFunction('fail')).catch(() => undefined);
  if (breaker.state !== 'open') throw new Error('bench: breakwater breaker did not trip');
  return breaker;
}

const bare = { id: 'bare', label: 'bare `await fn()`', make: (_libs, fn) => fn };

/**
 * The least a call with a deadline does in JavaScript, with no breaker around it: read the clock,
 * make a promise that can be settled at the deadline whatever the function does, and settle it
 * from handlers on the function's promise (bound, as breakwater's are). Nothing is queued, counted
 * or expired. Compiled anew for its subject, as the protected functions are.
 */
const TIMED_FLOOR = `
  const perf = performance;
  let building;
  class Call {
    constructor(start) { this.start = start; this.resolve = undefined; this.reject = undefined; }
    ok(value) { this.resolve(value); }
    fail(error) { this.reject(error); }
  }
  const capture = (resolve, reject) => { building.resolve = resolve; building.reject = reject; };
  return () => {
    const call = new Call(perf.now());
    building = call;
    const promise = new Promise(capture);
    building = undefined;
    fn().then(call.ok.bind(call), call.fail.bind(call));
    return promise;
  };`;

const timedFloor = {
  id: 'floor',
  label:
    "floor of a call with a deadline, no breaker: a clock read and a promise settled by handlers on the function's promise",
  make: (_libs, fn) => new Function('fn', TIMED_FLOOR)(fn),
};

/**
 * A breaker made with `options`, reporting into a stream that an exporter reads: `prometheus`
 * (prom-client registry of its own) or `otel` (a real SDK MeterProvider with a reader that is
 * never collected during the measurement).
 */
function exporterSubject(id, what, options, exporter) {
  return {
    id,
    label:
      exporter === 'prometheus'
        ? `breakwater, ${what}, reporting into a stream the Prometheus exporter reads`
        : `breakwater, ${what}, reporting into a stream the OpenTelemetry exporter reads (SDK MeterProvider with a reader)`,
    make: (libs, fn) => {
      const telemetry = new libs.bw.Telemetry();
      if (exporter === 'prometheus') {
        libs.prometheus.prometheusMetrics({ telemetry, registry: new libs.promClient.Registry() });
      } else {
        const sdk = libs.otelSdk;
        const reader = new sdk.PeriodicExportingMetricReader({
          exporter: new sdk.InMemoryMetricExporter(sdk.AggregationTemporality.CUMULATIVE),
          exportIntervalMillis: 3_600_000,
        });
        libs.otel.otelMetrics({ telemetry, meterProvider: new sdk.MeterProvider({ readers: [reader] }) });
      }
      const b = new libs.bw.CircuitBreaker({ ...options, telemetry });
      return () => b.execute(fn);
    },
  };
}

/** A staleCache answering every call fresh, on a stream the Prometheus exporter reads when `prometheus`. */
function staleCacheSubject(id, prometheus) {
  return {
    id,
    label: prometheus
      ? 'staleCache, a fresh answer, reporting into a stream the Prometheus exporter reads'
      : 'staleCache, a fresh answer, no stream',
    make: (libs, fn) => {
      let telemetry;
      if (prometheus) {
        telemetry = new libs.bw.Telemetry();
        libs.prometheus.prometheusMetrics({ telemetry, registry: new libs.promClient.Registry() });
      }
      const cache = libs.bw.staleCache({ ttl: 60_000, telemetry });
      const options = { key: 'k' };
      return () => cache.execute(fn, options);
    },
  };
}

/** A breakwater subject: one breaker made with `options`, then `prepare(breaker)` if given. */
function breakwater(id, label, options, prepare) {
  return {
    id,
    label,
    make: (libs, fn) => {
      const b = new libs.bw.CircuitBreaker(options);
      prepare?.(b);
      return () => b.execute(fn);
    },
  };
}

/** A breakwater breaker with a time window of `seconds` (1 s buckets) that never trips. */
function breakwaterWindow(id, seconds) {
  return breakwater(
    id,
    `breakwater, time window ${seconds} s / ${seconds} buckets, failureThreshold Infinity, timeout false`,
    { ...NEVER_TRIPS, window: { type: 'time', duration: seconds * 1000, buckets: seconds } },
  );
}

function windowCase(seconds) {
  const ms = seconds * 1000;
  return {
    title: `50/50 success/failure, ${seconds} s window (1 s buckets), cannot trip`,
    loop: 'seqCatch',
    fn: 'mixed',
    anchors: { opossum: 'opossum', cockatiel: 'cockatiel' },
    subjects: [
      bare,
      breakwaterWindow('breakwater', seconds),
      {
        id: 'opossum',
        label: `opossum, timeout false, rollingCountTimeout ${ms}, ${seconds} buckets, errorThresholdPercentage 100, volumeThreshold huge`,
        make: (libs, fn) =>
          opossum(libs, fn, {
            timeout: false,
            rollingCountTimeout: ms,
            rollingCountBuckets: seconds,
            errorThresholdPercentage: 100,
            volumeThreshold: Number.MAX_SAFE_INTEGER,
          }),
      },
      {
        id: 'cockatiel',
        label: `cockatiel, SamplingBreaker({ threshold: 0.99, duration: ${ms} })`,
        make: (libs, fn) => {
          const policy = cockatielSampling(libs, ms);
          return () => policy.execute(fn);
        },
      },
    ],
  };
}

/** Subjects of the closed success path without timeouts (sequential and concurrent). */
const closedNoTimeout = [
  bare,
  breakwater('breakwater', 'breakwater, defaults with timeout: false', { timeout: false }),
  {
    id: 'opossum',
    label: 'opossum, timeout: false',
    make: (libs, fn) => opossum(libs, fn, { timeout: false }),
  },
  {
    id: 'cockatiel',
    label: 'cockatiel, ConsecutiveBreaker(5) alone',
    make: (libs, fn) => {
      const policy = cockatielBreaker(libs, new libs.cockatiel.ConsecutiveBreaker(5));
      return () => policy.execute(fn);
    },
  },
];

/** The timed cases, in the order they are printed. */
export const CASES = {
  'closed-seq': {
    title: 'closed, success, sequential, no timeout',
    loop: 'seq',
    fn: 'ok',
    anchors: { opossum: 'opossum', cockatiel: 'cockatiel' },
    subjects: closedNoTimeout,
  },
  'closed-concurrent': {
    title: 'closed, success, 100 concurrent calls per batch, no timeout',
    loop: 'concurrent100',
    fn: 'ok',
    anchors: { opossum: 'opossum', cockatiel: 'cockatiel' },
    subjects: closedNoTimeout,
  },
  'closed-timeout': {
    title: 'closed, success, sequential, default 10 s timeout',
    loop: 'seq',
    fn: 'ok',
    anchors: { opossum: 'opossum', cockatiel: 'cockatiel' },
    subjects: [
      bare,
      breakwater('breakwater', 'breakwater, defaults (timeout 10 s)', undefined),
      timedFloor,
      {
        id: 'opossum',
        label: 'opossum, defaults (timeout 10 s)',
        make: (libs, fn) => opossum(libs, fn, {}),
      },
      {
        id: 'cockatiel',
        label: 'cockatiel, wrap(timeout(10_000, Cooperative), ConsecutiveBreaker(5))',
        make: (libs, fn) => {
          const c = libs.cockatiel;
          const policy = c.wrap(
            c.timeout(10_000, c.TimeoutStrategy.Cooperative),
            cockatielBreaker(libs, new c.ConsecutiveBreaker(5)),
          );
          return () => policy.execute(fn);
        },
      },
    ],
  },
  mixed: {
    title: '50/50 success/failure, cannot trip, default window, no timeout',
    loop: 'seqCatch',
    fn: 'mixed',
    anchors: { opossum: 'opossum', cockatiel: 'cockatiel' },
    subjects: [
      bare,
      breakwater(
        'breakwater',
        'breakwater, failureThreshold Infinity, timeout false (10 s / 10 buckets window)',
        NEVER_TRIPS,
      ),
      {
        id: 'opossum',
        label: 'opossum, timeout false, errorThresholdPercentage 100, volumeThreshold huge',
        make: (libs, fn) =>
          opossum(libs, fn, {
            timeout: false,
            errorThresholdPercentage: 100,
            volumeThreshold: Number.MAX_SAFE_INTEGER,
          }),
      },
      {
        id: 'cockatiel',
        label: 'cockatiel, ConsecutiveBreaker(MAX_SAFE_INTEGER)',
        make: (libs, fn) => {
          const policy = cockatielBreaker(
            libs,
            new libs.cockatiel.ConsecutiveBreaker(Number.MAX_SAFE_INTEGER),
          );
          return () => policy.execute(fn);
        },
      },
    ],
  },
  'window-10s': windowCase(10),
  'window-60s': windowCase(60),
  'window-600s': windowCase(600),
  open: {
    title: 'open state, rejection (bare: an async function rethrowing a cached error)',
    loop: 'seqCatch',
    fn: 'ok',
    bareFn: 'fail',
    anchors: { opossum: 'opossum', cockatiel: 'cockatiel' },
    subjects: [
      bare,
      {
        id: 'breakwater',
        label: 'breakwater, tripped open (failureThreshold 1)',
        make: async (libs, fn) => {
          const b = await trippedBreakwater(libs);
          return () => b.execute(fn);
        },
      },
      breakwater('breakwater-isolated', 'breakwater, isolate()', { timeout: false }, (b) => b.isolate()),
      {
        id: 'opossum',
        label: 'opossum, timeout false, open()',
        make: (libs, fn) => {
          const breaker = new libs.Opossum(fn, { timeout: false });
          breaker.open();
          return () => breaker.fire();
        },
      },
      {
        id: 'cockatiel',
        label: 'cockatiel, ConsecutiveBreaker(5), isolate()',
        make: (libs, fn) => {
          const policy = cockatielBreaker(libs, new libs.cockatiel.ConsecutiveBreaker(5));
          policy.isolate();
          return () => policy.execute(fn);
        },
      },
    ],
  },
  // The three window lengths side by side in one process, so that their difference is not buried
  // in the variation between processes (budget C3). The budget compares these subjects with each
  // other within 20 ns, so the case takes three times the samples.
  windows: {
    title: '50/50 success/failure, cannot trip: 10 s, 60 s and 600 s windows (1 s buckets) in one process',
    samplesFactor: 3,
    loop: 'seqCatch',
    fn: 'mixed',
    anchors: {},
    subjects: [bare, ...[10, 60, 600].map((seconds) => breakwaterWindow(`breakwater-${seconds}s`, seconds))],
  },
  telemetry: {
    title: 'closed, success, sequential, no timeout: with vs without a listener on another event',
    loop: 'seq',
    fn: 'ok',
    anchors: {},
    // Judged on the difference between two of its own subjects, as the windows case is.
    samplesFactor: 3,
    subjects: [
      bare,
      breakwater('breakwater', 'breakwater, timeout false, no listener', { timeout: false }),
      breakwater(
        'breakwater-listener',
        "breakwater, timeout false, a 'stateChange' listener attached",
        { timeout: false },
        (b) => b.on('stateChange', () => undefined),
      ),
    ],
  },
  // The production configuration: a breaker reporting into a stream that an exporter reads, beside
  // the same breaker without one (budget I). Judged on the difference between its own subjects.
  exporters: {
    title:
      'closed, success, sequential: without an exporter, with Prometheus, with OpenTelemetry (no timeout, then the default 10 s timeout)',
    loop: 'seq',
    fn: 'ok',
    anchors: {},
    samplesFactor: 3,
    subjects: [
      bare,
      ...[
        ['', 'timeout false', { timeout: false }],
        ['-timeout', 'defaults (timeout 10 s)', {}],
      ].flatMap(([suffix, what, options]) => [
        breakwater(`breakwater${suffix}`, `breakwater, ${what}, no exporter`, options),
        exporterSubject(`breakwater${suffix}-prometheus`, what, options, 'prometheus'),
        exporterSubject(`breakwater${suffix}-otel`, what, options, 'otel'),
      ]),
      // A staleCache answers on every call (a fresh answer here): without a stream, then on a
      // stream the Prometheus exporter reads.
      staleCacheSubject('stalecache', false),
      staleCacheSubject('stalecache-prometheus', true),
    ],
  },
};

// Fleet mode: the closed path of a breaker with a fleet attached (a private redis-server, an
// ioredis client) against the same breaker without one. Only where redis-server is installed.
if (haveRedisServer()) {
  CASES.fleet = {
    title: 'closed, success, sequential, no timeout: local breaker vs the same with a Redis fleet attached',
    loop: 'seq',
    fn: 'ok',
    anchors: {},
    subjects: [
      bare,
      breakwater('breakwater', 'breakwater, timeout false, local only', { timeout: false }),
      {
        id: 'breakwater-fleet',
        label: 'breakwater, timeout false, redisFleet attached',
        make: async (libs, fn) => {
          const port = await startRedisServer();
          const client = new libs.Redis({
            host: '127.0.0.1',
            port,
            enableOfflineQueue: false,
            maxRetriesPerRequest: 0,
          });
          await new Promise((resolve, reject) => {
            client.once('ready', resolve);
            client.once('error', reject);
          });
          const fleet = libs.redis.redisFleet({ client, prefix: 'bench' });
          const b = new libs.bw.CircuitBreaker({ timeout: false, fleet });
          return () => b.execute(fn);
        },
      },
    ],
  };
}

/** The bare protected function of a case (the rejection case's bare baseline rethrows). */
export function bareFunctionKind(caseDef) {
  return caseDef.bareFn ?? caseDef.fn;
}

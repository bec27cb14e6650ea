// The ES module and the CommonJS build of breakwater loaded in one process, as happens when an
// application imports the package and one of its dependencies requires it (the same holds for two
// installed copies). Every object one copy checks must be accepted from the other: telemetry
// streams, breakers, retry budgets, clocks, policies in a pipeline, and errors through the guards.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../support/build.js';

type Main = typeof import('../../src/index.js');
type Testing = typeof import('../../src/testing/index.js');
type Fetch = typeof import('../../src/fetch/index.js');
type Dashboard = typeof import('../../src/dashboard/index.js');
interface Copy {
  readonly label: string;
  readonly main: Main;
  readonly testing: Testing;
  readonly fetch: Fetch;
  readonly dashboard: Dashboard;
}

const copies: Copy[] = [];
/** [this copy, the other copy], both ways round. */
const pairs = (): [string, Copy, Copy][] => [
  ['ESM ← CJS', copies[0]!, copies[1]!],
  ['CJS ← ESM', copies[1]!, copies[0]!],
];
const PAIRS = ['ESM ← CJS', 'CJS ← ESM'] as const;
const pair = (name: string): [Copy, Copy] => {
  const found = pairs().find(([n]) => n === name);
  if (found === undefined) throw new Error(`no pair ${name}`);
  return [found[1], found[2]];
};

beforeAll(async () => {
  ensureBuilt();
  const load = async (entry: string): Promise<unknown> =>
    import(pathToFileURL(join(ROOT, 'dist', `${entry}.mjs`)).href) as Promise<unknown>;
  const require = createRequire(import.meta.url);
  const need = (entry: string): unknown => require(join(ROOT, 'dist', `${entry}.cjs`));
  const entries = ['index', 'testing/index', 'fetch/index', 'dashboard/index'];
  const esm = await Promise.all(entries.map(load));
  const cjs = entries.map(need);
  for (const [label, mods] of [
    ['ESM', esm],
    ['CJS', cjs],
  ] as const) {
    copies.push({
      label,
      main: mods[0] as Main,
      testing: mods[1] as Testing,
      fetch: mods[2] as Fetch,
      dashboard: mods[3] as Dashboard,
    });
  }
  if (copies[0]!.main.CircuitBreaker === copies[1]!.main.CircuitBreaker) {
    throw new Error('the two builds share one CircuitBreaker class: the test would prove nothing');
  }
}, 240_000);

describe.each(PAIRS)('two copies in one process (%s)', (name) => {
  it('CircuitBreaker — takes a Telemetry stream of the other copy and reports into it', async () => {
    const [self, other] = pair(name);
    const telemetry = new other.main.Telemetry();
    const types: string[] = [];
    telemetry.subscribe((event) => types.push(event.type));
    const breaker = new self.main.CircuitBreaker({ name: 'db', telemetry });
    expect(await breaker.execute(() => 1)).toBe(1);
    expect(telemetry.sources().map((s) => s.name)).toEqual(['db']);
    expect(types).toContain('call');
  });

  it('policies — retry, bulkhead and fallback take a Telemetry stream of the other copy', async () => {
    const [self, other] = pair(name);
    const telemetry = new other.main.Telemetry();
    const policies: string[] = [];
    telemetry.subscribe((event) => policies.push(event.policy));
    const { retry, bulkhead, fallback, pipeline } = self.main;
    const composed = pipeline(
      fallback(0, { name: 'fb', telemetry }),
      retry({ name: 'rt', maxAttempts: 2, backoff: () => 0, telemetry }),
      bulkhead({ name: 'bh', maxConcurrent: 1, maxQueue: 1, telemetry }),
    );
    // The first call fails twice (a retry, then the fallback); the second queues behind it.
    const answers = await Promise.all([
      composed.execute(() => Promise.reject(new Error('down'))),
      composed.execute(() => 2),
    ]);
    expect(answers).toEqual([0, 2]);
    expect(new Set(policies)).toEqual(new Set(['fb', 'rt', 'bh']));
  });

  it('exporters — the dashboard takes a Telemetry stream of the other copy', async () => {
    const [self, other] = pair(name);
    const dashboard = self.dashboard.createDashboard({ source: new other.main.Telemetry() });
    await dashboard.close();
  });

  it('circuitBreaker(...) — wraps a breaker of the other copy; breakerOf finds it from either copy', async () => {
    const [self, other] = pair(name);
    const breaker = new other.main.CircuitBreaker({ name: 'payments' });
    const guarded = self.main.circuitBreaker(breaker)(async (n: number) => n * 2);
    expect(await guarded(21)).toBe(42);
    expect(breaker.stats.totals.successes).toBe(1);
    expect(self.main.breakerOf(guarded)).toBe(breaker);
    expect(other.main.breakerOf(guarded)).toBe(breaker);
  });

  it('retry — takes a RetryBudget of the other copy as its budget', () => {
    const [self, other] = pair(name);
    const budget = new other.main.RetryBudget();
    expect(self.main.retry({ budget }).budget).toBe(budget);
  });

  it('pipeline — composes a breaker of the other copy; its CircuitOpenError is not retried', async () => {
    const [self, other] = pair(name);
    const breaker = new other.main.CircuitBreaker({ name: 'db' });
    breaker.isolate();
    let attempts = 0;
    const composed = self.main.pipeline(self.main.retry({ maxAttempts: 3, backoff: () => 0 }), breaker);
    const error = await composed.execute(() => ++attempts).catch((e: unknown) => e);
    expect(self.main.isCircuitOpenError(error)).toBe(true);
    expect(attempts).toBe(0);
    expect(breaker.stats.totals.rejected).toBe(1);
  });

  it('guards — recognise every error of the other copy', async () => {
    const [self, other] = pair(name);
    const open = other.main.CircuitOpenError.fast('db', 'open', 10);
    const timeout = new other.main.CallTimeoutError('db', 5);
    const full = new other.main.BulkheadFullError('bh', 1, 0);
    const queueFull = new other.main.QueueFullError('q', 1, undefined);
    const status = new other.fetch.HttpStatusError('api', new Response(null, { status: 503 }));
    expect(self.main.isCircuitOpenError(open)).toBe(true);
    expect(self.main.isCallTimeoutError(timeout)).toBe(true);
    expect(self.main.isBulkheadFullError(full)).toBe(true);
    expect(self.main.isQueueFullError(queueFull)).toBe(true);
    expect(self.fetch.isHttpStatusError(status)).toBe(true);
    for (const error of [open, timeout, full, queueFull, status])
      expect(self.main.isBreakwaterError(error)).toBe(true);
    expect(self.main.isCircuitOpenError(timeout)).toBe(false);
    expect(self.main.isQueueFullError(full)).toBe(false);
    expect(self.fetch.isHttpStatusError(queueFull)).toBe(false);
    expect(queueFull).toMatchObject({ code: 'ERR_QUEUE_FULL', name: 'QueueFullError' });
    expect(status).toMatchObject({ code: 'ERR_HTTP_STATUS', status: 503 });
  });

  it('FakeClock — of the other copy drives a breaker', async () => {
    const [self, other] = pair(name);
    const clock = new other.testing.FakeClock();
    const breaker = new self.main.CircuitBreaker({ failureThreshold: 1, recoveryTimeout: 1_000, clock });
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect(breaker.state).toBe('open');
    clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
  });

  it('BreakerRegistry — create() may return a breaker of the other copy; eviction unregisters it', () => {
    const [self, other] = pair(name);
    const telemetry = new other.main.Telemetry();
    const registry = new self.main.BreakerRegistry({
      defaults: { telemetry },
      create: (_key, options) => new other.main.CircuitBreaker(options),
    });
    const breaker = registry.get('orders');
    expect(other.main.breakerOf(other.main.circuitBreaker(breaker)(() => 1))).toBe(breaker);
    expect(telemetry.sources().map((s) => s.name)).toEqual(['orders']);
    registry.delete('orders');
    expect(telemetry.sources()).toEqual([]);
  });
});

describe('a wrong object is named in the error', () => {
  it('telemetry — a breaker, an empty object or a plain object is named, not printed as {}', () => {
    const { CircuitBreaker, retry } = copies[0]!.main;
    const breaker = new CircuitBreaker();
    expect(() => new CircuitBreaker({ telemetry: breaker as never })).toThrow(
      'telemetry must be a Telemetry stream (got a CircuitBreaker)',
    );
    expect(() => retry({ telemetry: {} as never })).toThrow(
      'telemetry must be a Telemetry stream (got an empty object)',
    );
    expect(() => new CircuitBreaker({ telemetry: { subscribe: () => undefined, emit: 1 } as never })).toThrow(
      'telemetry must be a Telemetry stream (got a plain object with keys subscribe, emit)',
    );
  });

  it('pipeline, protect and a registry create() — name what they got', () => {
    const { pipeline, protect, BreakerRegistry, Telemetry } = copies[1]!.main;
    expect(() => pipeline(new Telemetry() as never)).toThrow('(got a Telemetry)');
    expect(() => protect({} as never)).toThrow('(got an empty object)');
    const registry = new BreakerRegistry({ create: () => new Map() as never });
    expect(() => registry.get('x')).toThrow('must return a CircuitBreaker (got a Map)');
  });
});

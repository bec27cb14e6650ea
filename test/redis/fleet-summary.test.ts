// The instance summary of the fleet view: its encoding (bounded rows and bytes, in trouble
// first, counts of the rest) and its publishing (one script call per interval at most, expiring,
// stopped by fleet.close(), harmless when Redis fails).
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { BreakerStats } from '../../src/breaker/circuit-breaker.js';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { type RedisAdapter, redisFleet } from '../../src/redis/index.js';
import { decodeSummary, encodeSummary } from '../../src/telemetry/fleet-summary.js';
import { summaryKeys } from '../../src/redis/summary-publisher.js';
import { FakeClock } from '../../src/testing/index.js';

function stats(name: string, state: BreakerStats['state'], failures = 0): BreakerStats {
  return {
    name,
    state,
    localState: state,
    generation: 1,
    timeInStateMs: 1_500,
    retryAfterMs: state === 'isolated' ? Infinity : 0,
    inFlight: 0,
    probesInFlight: 0,
    window: { calls: 10, failures, slowCalls: 0, failureRate: failures / 10, slowCallRate: 0 },
    totals: { calls: 10, successes: 10, failures, timeouts: 0, ignored: 0, rejected: 0, fallbacks: 0 },
  };
}

const input = (rows: BreakerStats[]) => ({
  id: 'i-1',
  label: 'host#1',
  stats: rows,
  fleetOf: () => undefined,
  members: 0,
  degraded: 0,
});

describe('encodeSummary', () => {
  it('encodeSummary — 10,000 breakers: bounded bytes and rows, the ones in trouble first, counts of all', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) =>
      stats(
        `service-${String(i).padStart(5, '0')}-${'x'.repeat(i % 300)}`,
        i % 997 === 0 ? 'open' : 'closed',
        i % 101 === 0 ? 3 : 0,
      ),
    );
    const text = encodeSummary(input(rows), { maxBreakers: 50, maxBytes: 16_384 });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(16_384);
    const s = decodeSummary(text)!;
    expect(s.total).toBe(10_000);
    expect(s.counts.open).toBe(11); // 0, 997, …, 9970
    expect(s.counts.failing).toBe(rows.filter((r) => r.state === 'closed' && r.window.failures > 0).length);
    expect(s.counts.healthy + s.counts.trouble).toBe(10_000);
    expect(s.rows.length).toBeGreaterThan(0);
    expect(s.rows.length).toBeLessThanOrEqual(50);
    expect(s.omitted).toBe(10_000 - s.rows.length);
    expect(s.rows.slice(0, 11).every((r) => r.state === 'open')).toBe(true);
    expect(s.rows.every((r) => r.name.length <= 200)).toBe(true);
  });

  it('encodeSummary — any caps and names: never more bytes than maxBytes, always decodable', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.string({ maxLength: 400 }), fc.constantFrom('open', 'closed', 'isolated' as const)),
          {
            maxLength: 200,
          },
        ),
        fc.integer({ min: 1, max: 1_000 }),
        fc.integer({ min: 1_024, max: 20_000 }),
        (breakers, maxBreakers, maxBytes) => {
          const text = encodeSummary(input(breakers.map(([n, s]) => stats(n, s))), { maxBreakers, maxBytes });
          expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxBytes);
          const s = decodeSummary(text)!;
          expect(s.total).toBe(breakers.length);
          expect(s.rows.length + s.omitted).toBe(breakers.length);
          expect(s.rows.find((r) => r.state === 'isolated')?.retryAfterMs ?? Infinity).toBe(Infinity);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('decodeSummary — anything but a summary is undefined; rows that do not parse are counted as omitted', () => {
    for (const bad of ['', 'null', '{}', '[1]', '{"v":2,"id":"a","label":"b"}', 'not json'])
      expect(decodeSummary(bad)).toBeUndefined();
    const text = encodeSummary(input([stats('a', 'open')]), { maxBreakers: 5, maxBytes: 4_096 });
    const tampered = text.replace('"rows":[', '"rows":[["x","sideways"],');
    const s = decodeSummary(tampered)!;
    expect(s.rows.map((r) => r.name)).toEqual(['a']);
    expect(s.omitted).toBe(1);
  });
});

/** A custom adapter that counts the summary calls (with the fake time of each) and can fail. */
function countingAdapter(clock: FakeClock, mode: { value: 'ok' | 'reject' | 'hang' }) {
  const publishes: number[] = [];
  const commands: string[][] = [];
  const adapter: RedisAdapter = {
    kind: 'custom',
    evalScript(_script, _sha, keys) {
      if (keys[0]?.includes(':inst:') === true) publishes.push(clock.now());
      if (mode.value === 'reject') return Promise.reject(new Error('connection lost'));
      if (mode.value === 'hang') return new Promise(() => undefined);
      return Promise.resolve(1);
    },
    command(args) {
      commands.push([...args]);
      return Promise.resolve(1);
    },
    subscriber: () => ({ subscribe() {}, unsubscribe() {}, onReady() {}, close: () => Promise.resolve() }),
  };
  return { adapter, publishes, commands };
}

describe('redisFleet summary publishing', () => {
  // Run after each test, last first: fleets are closed even when an assertion failed before the
  // test body closed them (closing twice is harmless).
  const cleanup: (() => unknown)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('summary — at most one call per second, for every outcome of the calls; none after close', async () => {
    for (const outcome of ['ok', 'reject', 'hang'] as const) {
      const clock = new FakeClock();
      const mode = { value: outcome };
      const { adapter, publishes, commands } = countingAdapter(clock, mode);
      const telemetry = new Telemetry();
      const breakers = ['a', 'b', 'c'].map((name) => new CircuitBreaker({ name, telemetry, clock }));
      const fleet = redisFleet({ client: adapter, prefix: 'rate', summary: { telemetry, clock } });
      cleanup.push(() => fleet.close());
      await clock.advanceAsync(10_000);
      expect(publishes.length, outcome).toBeGreaterThanOrEqual(outcome === 'hang' ? 5 : 10);
      expect(publishes.length, outcome).toBeLessThanOrEqual(11);
      for (let i = 1; i < publishes.length; i++)
        expect(publishes[i]! - publishes[i - 1]!, outcome).toBeGreaterThanOrEqual(1_000);
      await fleet.close();
      expect(commands).toContainEqual(['DEL', summaryKeys('rate').instance(fleet.instanceId)]);
      const before = publishes.length;
      await clock.advanceAsync(10_000);
      expect(publishes.length, outcome).toBe(before);
      expect(breakers).toHaveLength(3);
    }
  });

  it('summary — what is published: this instance, its breakers, the TTL', async () => {
    const clock = new FakeClock();
    const calls: { keys: readonly string[]; args: readonly string[] }[] = [];
    const adapter: RedisAdapter = {
      kind: 'custom',
      evalScript(_s, _h, keys, args) {
        calls.push({ keys, args });
        return Promise.resolve(1);
      },
      command: () => Promise.resolve(1),
      subscriber: () => ({ subscribe() {}, unsubscribe() {}, onReady() {}, close: () => Promise.resolve() }),
    };
    const telemetry = new Telemetry();
    // Telemetry holds breakers weakly: both are kept until the cleanup, so a collection cannot
    // drop one from the summary mid-test.
    const tripped = new CircuitBreaker({ name: 'payments', telemetry, clock, failureThreshold: 1 });
    const held = [tripped, new CircuitBreaker({ name: 'search', telemetry, clock })];
    cleanup.push(() => held.splice(0));
    await tripped.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    const fleet = redisFleet({
      client: adapter,
      summary: { telemetry, clock, label: 'web-1', ttlMs: 3_000 },
    });
    cleanup.push(() => fleet.close());
    await clock.advanceAsync(0);
    expect(calls).toHaveLength(1);
    const { keys, args } = calls[0]!;
    expect(keys).toEqual([`bw:v1:{%fleet}:inst:${fleet.instanceId}`, 'bw:v1:{%fleet}:instances']);
    expect(args[0]).toBe(fleet.instanceId);
    expect(args[2]).toBe('3000');
    const s = decodeSummary(args[1]!)!;
    expect(s).toMatchObject({ id: fleet.instanceId, label: 'web-1', total: 2, members: 0, degraded: 0 });
    expect(s.rows.map((r) => [r.name, r.state])).toEqual([
      ['payments', 'open'],
      ['search', 'closed'],
    ]);
  });

  it('summary — bad options are named', () => {
    const clock = new FakeClock();
    const { adapter } = countingAdapter(clock, { value: 'ok' });
    expect(() => redisFleet({ client: adapter, summary: { telemetry: {} as unknown as Telemetry } })).toThrow(
      /summary\.telemetry/,
    );
    expect(() =>
      redisFleet({ client: adapter, summary: { telemetry: new Telemetry(), intervalMs: 100 } }),
    ).toThrow(/summary\.intervalMs/);
    expect(() =>
      redisFleet({ client: adapter, summary: { telemetry: new Telemetry(), ttlMs: 1_500 } }),
    ).toThrow(/summary\.ttlMs/);
  });
});

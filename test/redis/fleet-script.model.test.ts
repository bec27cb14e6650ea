// Model-based test of the fleet script: random sequences of flush / acquire / report / sync /
// force with random counts, generations and time steps, each reply compared with FleetModel.
// Redis TIME cannot be faked, so the script is given `now` (an argument only tests use).
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAdapter } from '../../src/redis/adapter.js';
import { FleetScript, type FleetRule, parseReply } from '../../src/redis/fleet-script.js';
import { fleetKeys } from '../../src/redis/keys.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { FleetModel, type ModelOp } from './fleet-model.js';

const hasRedis = requireRedis('test/redis/fleet-script.model.test.ts');

const RULE: FleetRule = {
  windowMs: 1_000,
  buckets: 4,
  failureThreshold: 4,
  failureRateThreshold: 0.6,
  minimumCalls: 5,
  slowCallRateThreshold: 0.8,
  openMs: 300,
  backoffMultiplier: 2,
  maxOpenMs: 1_000,
  successThreshold: 2,
  minReporters: 2,
  stateTtlMs: 600_000,
};

interface Step {
  readonly advance: number;
  readonly op: ModelOp;
  readonly genDelta: number;
}

const leaseId = fc.constantFrom('l1', 'l2', 'l3');
const opArb: fc.Arbitrary<Omit<Step, 'advance'>> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({
        calls: fc.integer({ min: 0, max: 4 }),
        failures: fc.integer({ min: 0, max: 4 }),
        slow: fc.integer({ min: 0, max: 4 }),
        instance: fc.constantFrom('a', 'b', 'c'),
        genDelta: fc.constantFrom(0, 0, 0, -1, 1),
      })
      .map(({ calls, failures, slow, instance, genDelta }) => ({
        op: {
          op: 'flush' as const,
          calls: Math.max(calls, failures, slow),
          failures,
          slow,
          gen: 0,
          instance,
        },
        genDelta,
      })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        lease: leaseId,
        leaseMs: fc.integer({ min: 50, max: 600 }),
        cap: fc.integer({ min: 1, max: 2 }),
      })
      .map((o) => ({ op: { op: 'acquire' as const, ...o }, genDelta: 0 })),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        lease: leaseId,
        outcome: fc.constantFrom('ok', 'fail', 'fail', 'release'),
        genDelta: fc.constantFrom(0, 0, -1),
      })
      .map(({ lease, outcome, genDelta }) => ({
        op: { op: 'report' as const, lease, gen: 0, outcome },
        genDelta,
      })),
  },
  { weight: 1, arbitrary: fc.constant({ op: { op: 'sync' as const }, genDelta: 0 }) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom('isolate', 'reset', 'release')
      .map((action) => ({ op: { op: 'force' as const, action }, genDelta: 0 })),
  },
);
const stepArb: fc.Arbitrary<Step> = fc
  .record({ advance: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 400 })), rest: opArb })
  .map(({ advance, rest }) => ({ advance, ...rest }));

const flushStep = (instance: string): Step => ({
  advance: 10,
  op: { op: 'flush', calls: 4, failures: 4, slow: 0, gen: 0, instance },
  genDelta: 0,
});
const acquireStep = (lease: string, advance = 0): Step => ({
  advance,
  op: { op: 'acquire', lease, leaseMs: 200, cap: 1 },
  genDelta: 0,
});
const reportStep = (lease: string, outcome: 'ok' | 'fail', genDelta = 0): Step => ({
  advance: 5,
  op: { op: 'report', lease, gen: 0, outcome },
  genDelta,
});
/** One pass through every transition, so coverage never depends on luck. */
const WALKTHROUGH: Step[] = [
  flushStep('a'),
  flushStep('b'),
  acquireStep('l1', 300),
  reportStep('l1', 'fail'),
  acquireStep('l2', 600),
  acquireStep('l3'),
  reportStep('l2', 'ok', -1),
  reportStep('l2', 'ok'),
  acquireStep('l3'),
  reportStep('l3', 'ok'),
];

/** The script arguments of a model operation, with the generation the step refers to. */
function argsOf(op: ModelOp, gen: number): (string | number)[] {
  switch (op.op) {
    case 'flush':
      return [op.calls, op.failures, op.slow, gen, op.instance];
    case 'acquire':
      return [op.lease, op.leaseMs, op.cap];
    case 'report':
      return [op.lease, gen, op.outcome];
    case 'sync':
      return [];
    case 'force':
      return [op.action];
  }
}

describe.skipIf(!hasRedis)('fleet script', () => {
  let server: RedisServer;
  let client: Redis;
  beforeAll(async () => {
    server = await RedisServer.start();
    client = new Redis({
      port: server.port,
      host: '127.0.0.1',
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    await client.connect();
  });
  afterAll(async () => {
    client.disconnect();
    await server.dispose();
  });

  it('flush / acquire / report / sync / force — every reply equals the reference model', async () => {
    const adapter = toAdapter(client);
    const seen = new Set<string>();
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 40 }), async (steps) => {
        const script = new FleetScript(adapter, fleetKeys('model', `run-${++run}`), RULE);
        const model = new FleetModel(RULE);
        let now = 1_700_000_000_000;
        for (const step of steps) {
          now += step.advance;
          const gen = step.genDelta === 0 ? model.gen : model.gen + step.genDelta;
          const op: ModelOp = 'gen' in step.op ? { ...step.op, gen } : step.op;
          const raw = await script.raw(op.op, argsOf(op, gen), now);
          const reply = parseReply(raw, 0, 0);
          const expected = model.step(op, now);
          expect({ st: reply.st, gen: reply.gen, until: reply.until, flag: reply.flag }).toEqual(expected);
          expect(reply.now).toBe(now);
        }
        for (const s of model.seen) seen.add(s);
      }),
      { numRuns: 150, examples: [[WALKTHROUGH]] },
    );
    // The sequences reached every transition and the lease and stale-result paths.
    for (const s of [
      'closed->open',
      'open->half_open',
      'half_open->closed',
      'half_open->open',
      'lease granted',
      'lease denied',
      'stale report',
    ])
      expect(seen, s).toContain(s);
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Command, Harness } from './harness.js';
import type { ModelConfig } from './reference-model.js';

const fraction = fc.integer({ min: 1, max: 10 }).map((n) => n / 10);

const windowArb = fc.oneof(
  fc
    .record({ bucketMs: fc.integer({ min: 10, max: 200 }), buckets: fc.integer({ min: 1, max: 5 }) })
    .map(({ bucketMs, buckets }) => ({ type: 'time' as const, duration: bucketMs * buckets, buckets })),
  fc.integer({ min: 1, max: 10 }).map((size) => ({ type: 'count' as const, size })),
  fc.constant({ type: 'consecutive' as const }),
);

const configArb: fc.Arbitrary<ModelConfig> = fc
  .record({
    window: windowArb,
    failureThreshold: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 6 }) },
      fc.constant(Infinity),
    ),
    failureRateThreshold: fc.option(fraction, { nil: undefined }),
    slowCallDuration: fc.option(fc.integer({ min: 10, max: 300 }), { nil: undefined }),
    slowCallRateThreshold: fc.option(fraction, { nil: undefined }),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    recoveryTimeout: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 500 })),
    recoveryBackoff: fc.option(
      fc.record({
        multiplier: fc.integer({ min: 1, max: 3 }),
        max: fc.integer({ min: 100, max: 3_000 }),
        jitter: fc.oneof(
          fc.constant(0),
          fraction.map((f) => f / 2),
        ),
      }),
      { nil: undefined },
    ),
    halfOpenRequests: fc.integer({ min: 1, max: 4 }),
    successThreshold: fc.integer({ min: 1, max: 4 }),
    timeout: fc.oneof(fc.constant(false as const), fc.integer({ min: 20, max: 400 })),
  })
  .map((c) => {
    const rates = c.window.type !== 'consecutive';
    const slowCallDuration = c.slowCallDuration;
    return {
      window: c.window,
      failureThreshold: c.failureThreshold,
      minimumCalls: c.minimumCalls,
      // Without timeouts recoveryTimeout is the probes' deadline, and 0 is refused.
      recoveryTimeout: c.timeout === false ? Math.max(1, c.recoveryTimeout) : c.recoveryTimeout,
      halfOpenRequests: c.halfOpenRequests,
      successThreshold: c.successThreshold,
      timeout: c.timeout,
      ...(c.recoveryBackoff === undefined ? {} : { recoveryBackoff: c.recoveryBackoff }),
      ...(rates && c.failureRateThreshold !== undefined
        ? { failureRateThreshold: c.failureRateThreshold }
        : {}),
      ...(slowCallDuration === undefined ? {} : { slowCallDuration }),
      ...(rates && slowCallDuration !== undefined && c.slowCallRateThreshold !== undefined
        ? { slowCallRateThreshold: c.slowCallRateThreshold }
        : {}),
    };
  });

const pick = fc.nat({ max: 1_000 });
const callCommand = (kind: 'succeed' | 'resultFailure' | 'fail' | 'ignore' | 'abort' | 'timeout' | 'slow') =>
  pick.map((p): Command => ({ kind, pick: p }));
const simple = (kind: 'read' | 'isolate' | 'disable' | 'metricsOnly' | 'reset') =>
  fc.constant<Command>({ kind });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: fc.boolean().map((signal): Command => ({ kind: 'start', signal })) },
  { weight: 5, arbitrary: callCommand('succeed') },
  { weight: 5, arbitrary: callCommand('fail') },
  { weight: 1, arbitrary: callCommand('resultFailure') },
  { weight: 2, arbitrary: callCommand('ignore') },
  { weight: 2, arbitrary: callCommand('abort') },
  { weight: 2, arbitrary: callCommand('timeout') },
  { weight: 2, arbitrary: callCommand('slow') },
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 600 }).map((ms): Command => ({ kind: 'advance', ms })) },
  { weight: 1, arbitrary: simple('read') },
  {
    weight: 1,
    arbitrary: fc.constantFrom<Command>({ kind: 'isolate' }, { kind: 'disable' }, { kind: 'metricsOnly' }),
  },
  { weight: 1, arbitrary: simple('reset') },
);

// MODEL_RUNS=25000 runs a longer search (MODEL_VERBOSE=1 prints what it covered); the default
// keeps the file well under twenty seconds.
const RUNS = Number(process.env.MODEL_RUNS ?? 1_000);

/** Situations the runs must reach for the comparison to mean something (counted by the model). */
const MUST_SEE = [
  'trip: failure count',
  'trip: failure rate',
  'trip: slow-call rate',
  'open -> half-open',
  'half-open -> closed',
  'half-open -> open',
  'reject half-open',
  'probe deadline',
  'backoff re-open',
  'late outcome while closed',
  'late outcome while half-open',
  'late outcome while open',
  'timeout',
  'abort',
  'aborted call settles',
  'ignored error',
  'closed -> metrics-only',
  'closed -> disabled',
  'closed -> isolated',
];

describe('CircuitBreaker — reference model (DESIGN section 1)', () => {
  it(
    'execute/stats — agree with the model over random command sequences and configurations',
    async () => {
      const seen = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          configArb,
          fc.integer(),
          fc.array(commandArb, { minLength: 1, maxLength: 100, size: 'max' }),
          async (cfg, seed, commands) => {
            const h = new Harness(cfg, seed);
            try {
              for (const cmd of commands) await h.step(cmd);
            } finally {
              await h.drain();
              for (const [what, n] of h.model.seen) seen.set(what, (seen.get(what) ?? 0) + n);
            }
          },
        ),
        { numRuns: RUNS },
      );
      if (process.env.MODEL_VERBOSE !== undefined) {
        console.log([...seen].map(([what, n]) => `${what}: ${n}`).join('\n'));
      }
      const rare = MUST_SEE.filter((what) => (seen.get(what) ?? 0) < Math.min(10, RUNS / 100));
      expect(rare, 'situations the random runs reached too rarely').toEqual([]);
    },
    20_000 + RUNS * 10,
  );
});

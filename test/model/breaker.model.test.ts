import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Command, Harness, type HarnessConfig, type Listening, type Mode } from './harness.js';
import type { ModelSnapshot, ModelState } from './reference-model.js';

const fraction = fc.integer({ min: 1, max: 10 }).map((n) => n / 10);

const windowArb = fc.oneof(
  fc
    .record({ bucketMs: fc.integer({ min: 10, max: 200 }), buckets: fc.integer({ min: 1, max: 5 }) })
    .map(({ bucketMs, buckets }) => ({ type: 'time' as const, duration: bucketMs * buckets, buckets })),
  fc.integer({ min: 1, max: 10 }).map((size) => ({ type: 'count' as const, size })),
  fc.constant({ type: 'consecutive' as const }),
);

const STATES: readonly ModelState[] = ['closed', 'open', 'half-open', 'isolated', 'disabled', 'metrics-only'];

/** Valid snapshots: any state, generations near the wrap-around too, open with or without a remaining time. */
const snapshotArb: fc.Arbitrary<ModelSnapshot> = fc
  .record({
    state: fc.constantFrom(...STATES),
    generation: fc.oneof(
      { weight: 3, arbitrary: fc.integer({ min: 0, max: 50 }) },
      fc.integer({ min: 0, max: 3 }).map((k) => Number.MAX_SAFE_INTEGER - k),
    ),
    openRemainingMs: fc.option(fc.integer({ min: 0, max: 800 }), { nil: undefined }),
    reopens: fc.integer({ min: 0, max: 4 }),
  })
  .map(({ state, generation, openRemainingMs, reopens }) => ({
    state,
    generation,
    reopens,
    ...(state === 'open' && openRemainingMs !== undefined ? { openRemainingMs } : {}),
  }));

const configArb: fc.Arbitrary<HarnessConfig> = fc
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
    // Without failureThreshold a rate rule replaces the count rule (which is 5 otherwise).
    failureThresholdGiven: fc.boolean(),
    fallback: fc.boolean(),
    initialState: fc.option(snapshotArb, { nil: undefined, freq: 4 }),
    fleet: fc.boolean(),
    listening: fc.constantFrom<Listening>('none', 'none', 'transitions', 'all', 'telemetry'),
    // `untimed`: calls take the closed lane that skips the clock (no timeout, no rule that
    // successes move, nobody timing outcomes); `rates`: a rate rule alone.
    profile: fc.constantFrom('any' as const, 'untimed' as const, 'rates' as const),
  })
  .map((config): HarnessConfig => {
    const c =
      config.profile === 'untimed'
        ? {
            ...config,
            timeout: false as const,
            slowCallDuration: undefined,
            failureRateThreshold: undefined,
            listening:
              config.listening === 'all' || config.listening === 'telemetry' ? 'none' : config.listening,
          }
        : config.profile === 'rates'
          ? {
              ...config,
              failureThresholdGiven: false,
              failureRateThreshold: config.failureRateThreshold ?? 0.5,
              window:
                config.window.type === 'consecutive' ? { type: 'count' as const, size: 5 } : config.window,
            }
          : config;
    const rates = c.window.type !== 'consecutive';
    const slowCallDuration = c.slowCallDuration;
    const rateRule =
      (rates && c.failureRateThreshold !== undefined) ||
      (rates && slowCallDuration !== undefined && c.slowCallRateThreshold !== undefined);
    const failureThreshold = c.failureThresholdGiven ? c.failureThreshold : rateRule ? Infinity : 5;
    return {
      window: c.window,
      failureThreshold,
      failureThresholdGiven: c.failureThresholdGiven,
      fallback: c.fallback,
      fleet: c.fleet,
      listening: c.listening,
      ...(c.initialState === undefined ? {} : { initialState: c.initialState }),
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
const fleetCommand = fc
  .record({
    to: fc.constantFrom(
      ...(['closed', 'open', 'open', 'isolated', 'degrade', 'degrade', 'restore'] as const),
    ),
    ms: fc.integer({ min: 0, max: 2_000 }),
  })
  .map(({ to, ms }): Command => ({ kind: 'fleet', to, ms }));

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
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0, max: 1_000 }).map((ms): Command => ({ kind: 'extendOpen', ms })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({
        n: fc.oneof(
          { weight: 4, arbitrary: fc.integer({ min: 1, max: 8 }) },
          fc.integer({ min: 60, max: 70 }),
        ),
        failMask: fc.oneof(fc.constant(0), fc.nat()),
      })
      .map(({ n, failMask }): Command => ({ kind: 'burst', n, failMask })),
  },
  { weight: 3, arbitrary: fleetCommand },
);

// MODEL_RUNS=5000 runs a longer search in each mode (MODEL_VERBOSE=1 prints what it covered); the
// default keeps the three modes together well under twenty seconds.
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
  'fallback',
  'extendOpen lengthens',
  'restored open',
  'restored half-open',
  'fleet rejects (open)',
  'fleet rejects (isolated)',
  'fleet rejects a local probe',
  'fleet opens the local breaker',
  'burst of 64 or more',
  'config: untimed closed lane',
  'config: rate rule alone',
  'config: listening transitions',
  'config: listening all',
  'config: listening telemetry',
];

/** What the mixed mode must reach besides (a read after every step rolls the window in time). */
const MUST_SEE_MIXED = ['success filed in an older bucket'];

// MODEL_SEED and MODEL_PATH replay a reported failure (the `seed` and `path` fast-check prints).
const REPLAY =
  process.env.MODEL_SEED === undefined
    ? {}
    : {
        seed: Number(process.env.MODEL_SEED),
        ...(process.env.MODEL_PATH === undefined ? {} : { path: process.env.MODEL_PATH }),
        endOnFailure: true,
      };

const MODES: readonly Mode[] = ['observed', 'unobserved', 'mixed'];

describe('CircuitBreaker — reference model (docs/contract.md §1–§7)', () => {
  for (const mode of MODES) {
    it(
      `execute/stats — agree with the model over random commands and configurations (${mode})`,
      async () => {
        const seen = new Map<string, number>();
        await fc.assert(
          fc.asyncProperty(
            configArb,
            fc.integer(),
            fc.array(commandArb, { minLength: 1, maxLength: 100, size: 'max' }),
            async (cfg, seed, commands) => {
              const h = new Harness(cfg, seed, mode);
              try {
                for (const cmd of commands) await h.step(cmd);
                h.finish();
              } finally {
                await h.drain();
                for (const [what, n] of h.model.seen) seen.set(what, (seen.get(what) ?? 0) + n);
              }
            },
          ),
          { numRuns: RUNS, ...REPLAY },
        );
        if (process.env.MODEL_VERBOSE !== undefined) {
          console.log(`${mode}:\n${[...seen].map(([what, n]) => `  ${what}: ${n}`).join('\n')}`);
        }
        // A replay runs one case: it shows that case, not coverage.
        const must =
          process.env.MODEL_SEED !== undefined
            ? []
            : mode === 'mixed'
              ? [...MUST_SEE, ...MUST_SEE_MIXED]
              : MUST_SEE;
        const rare = must.filter((what) => (seen.get(what) ?? 0) < Math.min(10, RUNS / 100));
        expect(rare, 'situations the random runs reached too rarely').toEqual([]);
      },
      20_000 + RUNS * 20,
    );
  }
});

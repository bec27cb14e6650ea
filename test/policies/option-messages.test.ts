// Every policy's defaults, and the full message that names a bad option (docs/policies.md): one
// error per construction listing every problem, a TypeError when any value has the wrong type.
import { afterEach, describe, expect, it } from 'vitest';
import {
  MemoryQueueStorage,
  RetryBudget,
  bulkhead,
  constant,
  decorrelatedJitter,
  exponential,
  fallback,
  queueForLater,
  retry,
  seededRandom,
  staleCache,
  timeout,
} from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** The class name and message of the error `make` throws. */
function thrown(make: () => unknown): { kind: string; text: string } {
  try {
    make();
  } catch (error) {
    if (error instanceof Error) return { kind: error.constructor.name, text: error.message };
    throw error;
  }
  throw new Error('expected an error');
}

const CLOCK = 'a Clock with now(), setTimeout() and clearTimeout()';
const MAX = 2 ** 31 - 1;
/** A value of the wrong type, as plain JavaScript may pass it. */
const bad = (value: unknown): never => value as never;

describe('option messages', () => {
  const cases: readonly [
    label: string,
    make: () => unknown,
    kind: 'TypeError' | 'RangeError',
    text: string,
  ][] = [
    [
      'retry: options not an object',
      () => retry(bad(5)),
      'TypeError',
      'invalid retry options: options must be an object (got 5)',
    ],
    [
      'retry: null options',
      () => retry(bad(null)),
      'TypeError',
      'invalid retry options: options must be an object (got null)',
    ],
    [
      'retry: empty name',
      () => retry({ name: '' }),
      'TypeError',
      'invalid retry options: name must be a non-empty string (got "")',
    ],
    [
      'retry: zero attempts',
      () => retry({ maxAttempts: 0 }),
      'RangeError',
      'invalid retry options: maxAttempts must be an integer >= 1 (or Infinity) (got 0)',
    ],
    [
      'retry: endless attempts without a budget',
      () => retry({ maxAttempts: Infinity }),
      'RangeError',
      'invalid retry options: maxAttempts must be finite unless a budget is set (got Infinity)',
    ],
    [
      'retry: endless attempts with the budget off',
      () => retry({ maxAttempts: Infinity, budget: false }),
      'RangeError',
      'invalid retry options: maxAttempts must be finite unless a budget is set (got Infinity)',
    ],
    [
      'retry: a backoff that is neither a function nor has delay()',
      () => retry({ backoff: bad({}) }),
      'TypeError',
      'invalid retry options: backoff must be a backoff (constant, exponential, decorrelatedJitter) or a function (got an empty object)',
    ],
    [
      'retry: callbacks, clock and random that are not functions',
      () => retry({ retryOn: bad(1), onRetry: bad(2), random: bad(3), clock: bad({}) }),
      'TypeError',
      'invalid retry options: retryOn must be a function (got 1); onRetry must be a function (got 2); ' +
        `clock must be ${CLOCK} (got an empty object); random must be a function (got 3)`,
    ],
    [
      'retry: a budget of the wrong type',
      () => retry({ budget: bad('x') }),
      'TypeError',
      'invalid retry options: budget must be a RetryBudget, its options, or a boolean (got "x")',
    ],
    [
      'retry: a null budget',
      () => retry({ budget: bad(null) }),
      'TypeError',
      'invalid retry options: budget must be a RetryBudget, its options, or a boolean (got null)',
    ],
    [
      'retry: telemetry that is not a stream',
      () => retry({ telemetry: bad({}) }),
      'TypeError',
      'invalid retry options: telemetry must be a Telemetry stream (got an empty object)',
    ],
    [
      'retry: an unknown option',
      () => retry(bad({ bogus: 1 })),
      'TypeError',
      'invalid retry options: bogus is not a known option (known: name, maxAttempts, backoff, retryOn, budget, onRetry, clock, random, telemetry)',
    ],
    [
      'bulkhead: no options',
      () => bulkhead(bad(null)),
      'TypeError',
      'invalid bulkhead options: options must be an object with maxConcurrent (got null)',
    ],
    [
      'bulkhead: bad numbers',
      () => bulkhead({ maxConcurrent: 0, maxQueue: -1, queueTimeout: 0 }),
      'RangeError',
      'invalid bulkhead options: maxConcurrent must be an integer >= 1 (got 0); ' +
        'maxQueue must be an integer >= 0 (or Infinity) (got -1); queueTimeout must be a finite number > 0 <= 2147483647 (got 0)',
    ],
    [
      'bulkhead: a fractional limit and a queue timeout past the timer limit',
      () => bulkhead({ maxConcurrent: 1.5, queueTimeout: 2 ** 31 }),
      'RangeError',
      'invalid bulkhead options: maxConcurrent must be an integer >= 1 (got 1.5); ' +
        'queueTimeout must be a finite number > 0 <= 2147483647 (got 2147483648)',
    ],
    [
      'bulkhead: an unknown option',
      () => bulkhead(bad({ maxConcurrent: 1, size: 3 })),
      'TypeError',
      'invalid bulkhead options: size is not a known option (known: maxConcurrent, maxQueue, queueTimeout, name, clock, telemetry)',
    ],
    [
      'bulkhead: name, clock and telemetry of the wrong type',
      () => bulkhead({ maxConcurrent: 1, clock: bad(1), telemetry: bad(1), name: bad(3) }),
      'TypeError',
      `invalid bulkhead options: name must be a non-empty string (got 3); clock must be ${CLOCK} (got 1); ` +
        'telemetry must be a Telemetry stream (got 1)',
    ],
    [
      'timeout: zero',
      () => timeout(0),
      'RangeError',
      'invalid timeout options: ms must be a finite number > 0 <= 2147483647 (got 0)',
    ],
    [
      'timeout: past the timer limit, with bad options',
      () => timeout(2 ** 31, { name: '', clock: bad(1), telemetry: bad(1) }),
      'TypeError',
      'invalid timeout options: ms must be a finite number > 0 <= 2147483647 (got 2147483648); ' +
        `name must be a non-empty string (got ""); telemetry must be a Telemetry stream (got 1); clock must be ${CLOCK} (got 1)`,
    ],
    [
      'timeout: an unknown option',
      () => timeout(5, bad({ x: 1 })),
      'TypeError',
      'invalid timeout options: x is not a known option (known: name, clock, telemetry)',
    ],
    [
      'fallback: bad options',
      () => fallback(1, { when: bad(1), name: '', telemetry: bad(2) }),
      'TypeError',
      'invalid fallback options: telemetry must be a Telemetry stream (got 2); name must be a non-empty string (got ""); ' +
        'when must be a function (got 1)',
    ],
    [
      'fallback: an unknown option',
      () => fallback(1, bad({ y: 1 })),
      'TypeError',
      'invalid fallback options: y is not a known option (known: when, name, telemetry)',
    ],
    [
      'staleCache: no options',
      () => staleCache(bad(null)),
      'TypeError',
      'invalid staleCache options: options must be an object with ttl (got null)',
    ],
    [
      'staleCache: every option bad',
      () =>
        staleCache(
          bad({ ttl: 0, maxEntries: 0, key: 1, when: 2, onStale: 3, clock: 4, telemetry: 5, name: '' }),
        ),
      'TypeError',
      'invalid staleCache options: name must be a non-empty string (got ""); ttl must be a finite number > 0 (or Infinity) (got 0); ' +
        'maxEntries must be an integer >= 1 (got 0); key must be a function (got 1); when must be a function (got 2); ' +
        `onStale must be a function (got 3); clock must be ${CLOCK} (got 4); telemetry must be a Telemetry stream (got 5)`,
    ],
    [
      'staleCache: an unknown option',
      () => staleCache(bad({ ttl: 1, z: 1 })),
      'TypeError',
      'invalid staleCache options: z is not a known option (known: ttl, key, maxEntries, when, onStale, name, clock, telemetry)',
    ],
    [
      'queueForLater: no options',
      () => queueForLater(bad(null)),
      'TypeError',
      'invalid queueForLater options: options must be an object with replay (got null)',
    ],
    [
      'queueForLater: every option bad',
      () =>
        queueForLater(
          bad({
            replay: 1,
            payload: 2,
            onDeadLetter: 3,
            onUndecodable: 4,
            when: 5,
            maxQueued: 0,
            maxAttempts: 0,
            drainIntervalMs: 0,
            batchSize: 0,
            storage: {},
            breaker: {},
            clock: 1,
            telemetry: 2,
            name: '',
          }),
        ),
      'TypeError',
      'invalid queueForLater options: name must be a non-empty string (got ""); replay must be a function (got 1); ' +
        'payload must be a function (got 2); onDeadLetter must be a function (got 3); onUndecodable must be a function (got 4); ' +
        'when must be a function (got 5); maxQueued must be an integer >= 1 (got 0); maxAttempts must be an integer >= 1 (got 0); ' +
        'drainIntervalMs must be a finite number >= 1 <= 2147483647 (got 0); batchSize must be an integer >= 1 (got 0); ' +
        'storage must be a QueueStorage (append, take, ack, requeue, deadLetter, deadLetters, size) (got an empty object); ' +
        'breaker must be a CircuitBreaker (or anything with on("stateChange")) (got an empty object); ' +
        `clock must be ${CLOCK} (got 1); telemetry must be a Telemetry stream (got 2)`,
    ],
    [
      'queueForLater: a storage missing one method',
      () => {
        const noop = (): void => undefined;
        const storage = {
          append: noop,
          take: noop,
          ack: noop,
          requeue: noop,
          deadLetter: noop,
          deadLetters: noop,
        };
        return queueForLater(bad({ replay: noop, storage }));
      },
      'TypeError',
      'invalid queueForLater options: storage must be a QueueStorage (append, take, ack, requeue, deadLetter, deadLetters, size) ' +
        '(got a plain object with keys append, take, ack, requeue, deadLetter, deadLetters)',
    ],
    [
      'queueForLater: an unknown option',
      () => queueForLater(bad({ replay: () => 1, q: 1 })),
      'TypeError',
      'invalid queueForLater options: q is not a known option (known: replay, payload, storage, maxQueued, maxAttempts, ' +
        'onDeadLetter, onUndecodable, breaker, drainIntervalMs, when, batchSize, name, clock, telemetry)',
    ],
    [
      'queueForLater: a drain interval past the timer limit',
      () => queueForLater(bad({ replay: () => 1, drainIntervalMs: 2 ** 31 })),
      'RangeError',
      'invalid queueForLater options: drainIntervalMs must be a finite number >= 1 <= 2147483647 (got 2147483648)',
    ],
    [
      'RetryBudget: bad numbers and clock',
      () => new RetryBudget({ ratio: -1, minRetriesPerSecond: -1, window: 0, clock: bad(1) }),
      'TypeError',
      'invalid RetryBudget options: ratio must be a finite number >= 0 (got -1); minRetriesPerSecond must be a finite number >= 0 (got -1); ' +
        `window must be a finite number > 0 (got 0); clock must be ${CLOCK} (got 1)`,
    ],
    [
      'RetryBudget: an unknown option',
      () => new RetryBudget(bad({ w: 1 })),
      'TypeError',
      'invalid RetryBudget options: w is not a known option (known: ratio, minRetriesPerSecond, window, clock)',
    ],
    [
      'constant: negative',
      () => constant(-1),
      'RangeError',
      'invalid constant backoff options: ms must be a finite number >= 0 <= 2147483647 (got -1)',
    ],
    [
      'constant: past the timer limit',
      () => constant(2 ** 31),
      'RangeError',
      'invalid constant backoff options: ms must be a finite number >= 0 <= 2147483647 (got 2147483648)',
    ],
    [
      'exponential: every option bad',
      () => exponential({ initial: -1, max: -1, multiplier: 0.5, jitter: bad('x') }),
      'TypeError',
      'invalid exponential backoff options: initial must be a finite number >= 0 <= 2147483647 (got -1); ' +
        "max must be a finite number >= 0 <= 2147483647 (got -1); multiplier must be a finite number >= 1 (got 0.5); jitter must be 'full' or 'none' (got \"x\")",
    ],
    [
      'exponential: max below initial',
      () => exponential({ initial: 500, max: 100 }),
      'RangeError',
      'invalid exponential backoff options: max must be >= initial (500) (got 100)',
    ],
    [
      'exponential: an unknown option',
      () => exponential(bad({ k: 1 })),
      'TypeError',
      'invalid exponential backoff options: k is not a known option (known: initial, max, multiplier, jitter)',
    ],
    [
      'decorrelatedJitter: past the timer limit',
      () => decorrelatedJitter({ initial: 2 ** 31, max: 2 ** 31 }),
      'RangeError',
      'invalid decorrelatedJitter backoff options: initial must be a finite number >= 0 <= 2147483647 (got 2147483648); ' +
        'max must be a finite number >= 0 <= 2147483647 (got 2147483648)',
    ],
    [
      'decorrelatedJitter: max below initial',
      () => decorrelatedJitter({ initial: 500, max: 100 }),
      'RangeError',
      'invalid decorrelatedJitter backoff options: max must be >= initial (500) (got 100)',
    ],
    [
      'decorrelatedJitter: an unknown option',
      () => decorrelatedJitter(bad({ k: 1 })),
      'TypeError',
      'invalid decorrelatedJitter backoff options: k is not a known option (known: initial, max)',
    ],
  ];

  for (const [label, make, kind, text] of cases) {
    it(`constructor — ${label}`, () => {
      expect(thrown(make)).toEqual({ kind, text });
    });
  }

  it('constructor — the edges of every range are accepted', () => {
    expect(() => retry({ maxAttempts: Infinity, budget: true })).not.toThrow();
    expect(() => retry({ maxAttempts: 1, budget: {} })).not.toThrow();
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: Infinity, queueTimeout: MAX })).not.toThrow();
    expect(() => bulkhead({ maxConcurrent: 1, maxQueue: 0 })).not.toThrow();
    expect(() => timeout(MAX)).not.toThrow();
    expect(() => staleCache({ ttl: Infinity, maxEntries: 1 })).not.toThrow();
    expect(() => new RetryBudget({ ratio: 0, minRetriesPerSecond: 0, window: 0.5 })).not.toThrow();
    expect(() => constant(0)).not.toThrow();
    expect(() => constant(MAX)).not.toThrow();
    expect(() => exponential({ initial: 0, max: 0, multiplier: 1, jitter: 'none' })).not.toThrow();
    expect(() => exponential({ initial: MAX, max: MAX })).not.toThrow();
    expect(() => decorrelatedJitter({ initial: 7, max: 7 })).not.toThrow();
  });
});

describe('defaults', () => {
  const disposers: (() => void)[] = [];
  afterEach(() => {
    for (const dispose of disposers.splice(0)) dispose();
  });

  it('retry — 3 attempts, no budget, named "retry"', () => {
    const policy = retry();
    expect([policy.name, policy.maxAttempts, policy.budget]).toEqual(['retry', 3, undefined]);
    expect(retry({ budget: false }).budget).toBeUndefined();
  });

  it('retry — budget true makes a budget with its defaults on the policy clock; options are passed on', () => {
    const clock = new FakeClock();
    const own = retry({ budget: true, clock }).budget;
    expect([own?.ratio, own?.floor, own?.window]).toEqual([0.2, 30, 10_000]);
    const tuned = retry({ budget: { ratio: 0.5, window: 2_000 }, clock }).budget;
    expect([tuned?.ratio, tuned?.floor, tuned?.window]).toEqual([0.5, 6, 2_000]);
    const given = new RetryBudget();
    expect(retry({ budget: given }).budget).toBe(given);
  });

  it('retry — the default backoff is exponential from 100 ms, doubling, with full jitter', async () => {
    const clock = new FakeClock();
    const delays: number[] = [];
    const policy = retry({
      maxAttempts: 4,
      clock,
      random: seededRandom(3),
      onRetry: (e) => delays.push(e.delayMs),
    });
    const expected = ((r) => [r() * 100, r() * 200, r() * 400])(seededRandom(3));
    const done = policy.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    for (let i = 0; i < 10 && delays.length < 3; i++) await clock.advanceAsync(1_000);
    await done;
    expect(delays).toEqual(expected);
  });

  it('bulkhead — no queue by default, named "bulkhead"', () => {
    const policy = bulkhead({ maxConcurrent: 2 });
    expect([policy.name, policy.maxConcurrent, policy.maxQueue]).toEqual(['bulkhead', 2, 0]);
  });

  it('timeout, fallback, staleCache — default names and limits', () => {
    expect([timeout(5).name, timeout(5).ms]).toEqual(['timeout', 5]);
    expect(fallback(1).name).toBe('fallback');
    const cache = staleCache({ ttl: 50 });
    expect([cache.name, cache.ttl, cache.maxEntries]).toEqual(['staleCache', 50, 1_000]);
  });

  it('queueForLater — 1,000 queued, 5 attempts, memory storage, named "queueForLater"', () => {
    const queue = queueForLater({ replay: () => Promise.resolve() });
    disposers.push(() => queue.dispose());
    expect([queue.name, queue.maxQueued, queue.maxAttempts]).toEqual(['queueForLater', 1_000, 5]);
    expect(queue.storage).toBeInstanceOf(MemoryQueueStorage);
  });

  it('RetryBudget — ratio 0.2, 3 retries a second over 10 s', () => {
    const budget = new RetryBudget();
    expect([budget.ratio, budget.floor, budget.window]).toEqual([0.2, 30, 10_000]);
  });

  it('backoffs — their names state their settings, defaults included', () => {
    expect(constant(250).name).toBe('constant(250)');
    expect(exponential().name).toBe('exponential(100..30000, x2, jitter full)');
    expect(exponential({ initial: 5, max: 50, multiplier: 3, jitter: 'none' }).name).toBe(
      'exponential(5..50, x3, jitter none)',
    );
    expect(decorrelatedJitter().name).toBe('decorrelatedJitter(100..30000)');
    expect(decorrelatedJitter({ initial: 1, max: 9 }).name).toBe('decorrelatedJitter(1..9)');
  });
});

// docs/contract.md §12.2 (validation) and §11.2: every bad option is reported, by name and value, all at once.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions, systemClock } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** The error thrown by `new CircuitBreaker(options)`; fails the test when nothing is thrown. */
function constructionError(options: unknown): Error {
  try {
    new CircuitBreaker(options as CircuitBreakerOptions);
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`threw a non-Error: ${String(error)}`, { cause: error });
  }
  throw new Error('expected the constructor to throw');
}

type Case = readonly [
  label: string,
  options: Record<string, unknown>,
  mentions: readonly string[],
  kind: 'type' | 'range',
];

const cases: readonly Case[] = [
  ['negative failureThreshold', { failureThreshold: -1 }, ['failureThreshold', '-1'], 'range'],
  ['zero failureThreshold', { failureThreshold: 0 }, ['failureThreshold', '0'], 'range'],
  ['NaN failureThreshold', { failureThreshold: NaN }, ['failureThreshold', 'NaN'], 'range'],
  ['fractional failureThreshold', { failureThreshold: 2.5 }, ['failureThreshold', '2.5'], 'range'],
  ['string failureThreshold', { failureThreshold: '5' }, ['failureThreshold', '"5"'], 'type'],
  ['fractional halfOpenRequests', { halfOpenRequests: 1.5 }, ['halfOpenRequests', '1.5'], 'range'],
  ['zero halfOpenRequests', { halfOpenRequests: 0 }, ['halfOpenRequests', '0'], 'range'],
  ['fractional successThreshold', { successThreshold: 0.5 }, ['successThreshold', '0.5'], 'range'],
  ['fractional minimumCalls', { minimumCalls: 3.3 }, ['minimumCalls', '3.3'], 'range'],
  ['negative recoveryTimeout', { recoveryTimeout: -5 }, ['recoveryTimeout', '-5'], 'range'],
  ['NaN recoveryTimeout', { recoveryTimeout: NaN }, ['recoveryTimeout', 'NaN'], 'range'],
  ['infinite recoveryTimeout', { recoveryTimeout: Infinity }, ['recoveryTimeout', 'Infinity'], 'range'],
  ['zero timeout', { timeout: 0 }, ['timeout', '0'], 'range'],
  ['negative timeout', { timeout: -1 }, ['timeout', '-1'], 'range'],
  ['timeout true', { timeout: true }, ['timeout', 'true'], 'type'],
  ['timeout above the timer limit', { timeout: 2 ** 31 }, ['timeout', String(2 ** 31)], 'range'],
  ['failureRateThreshold 0', { failureRateThreshold: 0 }, ['failureRateThreshold', '0'], 'range'],
  ['failureRateThreshold above 1', { failureRateThreshold: 1.01 }, ['failureRateThreshold', '1.01'], 'range'],
  [
    'failureRateThreshold as a percentage',
    { failureRateThreshold: 50 },
    ['failureRateThreshold', '50'],
    'range',
  ],
  [
    'negative slowCallRateThreshold',
    { slowCallDuration: 10, slowCallRateThreshold: -0.1 },
    ['slowCallRateThreshold', '-0.1'],
    'range',
  ],
  [
    'slowCallRateThreshold above 1',
    { slowCallDuration: 10, slowCallRateThreshold: 2 },
    ['slowCallRateThreshold', '2'],
    'range',
  ],
  [
    'slowCallRateThreshold without slowCallDuration',
    { slowCallRateThreshold: 0.5 },
    ['slowCallRateThreshold', 'slowCallDuration'],
    'range',
  ],
  ['zero slowCallDuration', { slowCallDuration: 0 }, ['slowCallDuration', '0'], 'range'],
  [
    'failureRateThreshold on a consecutive window',
    { window: { type: 'consecutive' }, failureRateThreshold: 0.5 },
    ['failureRateThreshold', 'consecutive'],
    'range',
  ],
  [
    'slowCallRateThreshold on a consecutive window',
    { window: { type: 'consecutive' }, slowCallDuration: 5, slowCallRateThreshold: 0.5 },
    ['slowCallRateThreshold', 'consecutive'],
    'range',
  ],
  ['unknown key', { failureTreshold: 3 }, ['failureTreshold', 'not a known option'], 'type'],
  ['unknown window type', { window: { type: 'sliding', size: 3 } }, ['window.type', '"sliding"'], 'type'],
  ['window not an object', { window: 'time' }, ['window', '"time"'], 'type'],
  [
    'unknown window key',
    { window: { type: 'count', size: 3, duration: 10 } },
    ['window.duration', 'not a known option'],
    'type',
  ],
  ['zero count window size', { window: { type: 'count', size: 0 } }, ['window.size', '0'], 'range'],
  ['fractional count window size', { window: { type: 'count', size: 2.5 } }, ['window.size', '2.5'], 'range'],
  ['missing count window size', { window: { type: 'count' } }, ['window.size', 'undefined'], 'type'],
  ['zero time window duration', { window: { type: 'time', duration: 0 } }, ['window.duration', '0'], 'range'],
  [
    'fractional bucket count',
    { window: { type: 'time', duration: 1_000, buckets: 2.5 } },
    ['window.buckets', '2.5'],
    'range',
  ],
  [
    'backoff multiplier below 1',
    { recoveryBackoff: { multiplier: 0.5 } },
    ['recoveryBackoff.multiplier', '0.5'],
    'range',
  ],
  [
    'backoff jitter above 1',
    { recoveryBackoff: { jitter: 1.5 } },
    ['recoveryBackoff.jitter', '1.5'],
    'range',
  ],
  ['backoff negative max', { recoveryBackoff: { max: -1 } }, ['recoveryBackoff.max', '-1'], 'range'],
  [
    'backoff unknown key',
    { recoveryBackoff: { factor: 2 } },
    ['recoveryBackoff.factor', 'not a known option'],
    'type',
  ],
  ['backoff as a number', { recoveryBackoff: 2 }, ['recoveryBackoff', '2'], 'type'],
  ['empty name', { name: '' }, ['name', '""'], 'type'],
  ['isFailure not a function', { isFailure: true }, ['isFailure', 'true'], 'type'],
  ['isResultFailure not a function', { isResultFailure: 'yes' }, ['isResultFailure', '"yes"'], 'type'],
  ['fallback not a function', { fallback: 42 }, ['fallback', '42'], 'type'],
  ['clock without timers', { clock: { now: () => 0 } }, ['clock'], 'type'],
  ['random not a function', { random: 0.5 }, ['random', '0.5'], 'type'],
  ['initialState null', { initialState: null }, ['initialState', 'null'], 'type'],
];

describe('option validation', () => {
  for (const [label, options, mentions, kind] of cases) {
    it(`constructor — rejects ${label}`, () => {
      const error = constructionError({ clock: new FakeClock(), ...options });
      expect(error).toBeInstanceOf(kind === 'type' ? TypeError : RangeError);
      expect(error.message).toMatch(/^invalid CircuitBreaker options: /);
      for (const text of mentions) expect(error.message).toContain(text);
    });
  }

  it('constructor — reports several bad options together in one error naming each option and value', () => {
    const error = constructionError({
      failureThreshold: -3,
      recoveryTimeout: NaN,
      halfOpenRequests: 1.5,
      failureRateThreshold: 7,
    });
    expect(error).toBeInstanceOf(RangeError);
    for (const text of [
      'failureThreshold',
      '-3',
      'recoveryTimeout',
      'NaN',
      'halfOpenRequests',
      '1.5',
      'failureRateThreshold',
      '7',
    ])
      expect(error.message).toContain(text);
    expect(error.message.split('; ')).toHaveLength(4);
  });

  it('constructor — a mix of type and range problems is one TypeError listing both', () => {
    const error = constructionError({ failureThreshold: -3, timeout: 'soon' });
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toContain('failureThreshold must be');
    expect(error.message).toContain('timeout must be');
    expect(error.message).toContain('"soon"');
  });

  it('constructor — options that are not an object are a TypeError', () => {
    expect(constructionError(null)).toBeInstanceOf(TypeError);
    expect(constructionError('fast').message).toContain('options');
  });

  it('constructor — accepts the boundaries of every range', () => {
    const clock = new FakeClock();
    expect(
      () =>
        new CircuitBreaker({
          clock,
          failureThreshold: 1,
          failureRateThreshold: 1,
          slowCallDuration: 0.5,
          slowCallRateThreshold: 1,
          minimumCalls: 1,
          recoveryTimeout: 0,
          recoveryBackoff: { multiplier: 1, max: 0, jitter: 1 },
          halfOpenRequests: 1,
          successThreshold: 1,
          timeout: 2_147_483_647,
        }),
    ).not.toThrow();
    expect(() => new CircuitBreaker({ clock, failureThreshold: Infinity, timeout: false })).not.toThrow();
    expect(
      () => new CircuitBreaker({ clock, window: { type: 'consecutive' }, recoveryBackoff: true }),
    ).not.toThrow();
  });

  it('constructor — never mutates the caller’s options (a frozen object works)', () => {
    const window = Object.freeze({ type: 'count', size: 4 } as const);
    const backoff = Object.freeze({ multiplier: 3 });
    const options = Object.freeze({
      clock: new FakeClock(),
      window,
      recoveryBackoff: backoff,
      failureThreshold: 2,
    });
    const copy = { ...options, window: { ...window }, recoveryBackoff: { ...backoff } };
    const breaker = new CircuitBreaker(options);
    expect(breaker.name).toBe('breaker');
    expect(options).toEqual(copy);
    expect(Object.keys(options)).toEqual(['clock', 'window', 'recoveryBackoff', 'failureThreshold']);
  });

  it('constructor — a bad option fails even when another option is undefined', () => {
    const error = constructionError({ name: undefined, failureThreshold: -1 });
    expect(error.message).toContain('failureThreshold');
    expect(error.message).not.toContain('name');
  });

  it('constructor — an unknown option is reported even when its value is undefined', () => {
    const error = constructionError({ timout: undefined });
    expect(error.message).toContain('timout is not a known option');
  });

  it('constructor — breakers that set only a name still differ by name, and each works on its own', async () => {
    const a = new CircuitBreaker({ name: 'a' });
    const b = new CircuitBreaker({ name: 'b', clock: systemClock });
    expect([a.name, b.name]).toEqual(['a', 'b']);
    for (let i = 0; i < 5; i++)
      await a.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    expect([a.state, b.state]).toEqual(['open', 'closed']);
    expect(() => new CircuitBreaker({ name: '' })).toThrow(/name must be a non-empty string/);
  });

  it('constructor — options like those of the breaker before still take effect, nested objects included', async () => {
    const fail = () => Promise.reject(new Error('down'));
    const ok = async () => 'ok';
    const window = { type: 'count' as const, size: 2 };
    const small = new CircuitBreaker({ window, failureThreshold: 2, timeout: false });
    window.size = 4; // changed between two breakers built from the same objects
    const large = new CircuitBreaker({ window, failureThreshold: 2, timeout: false });
    for (const b of [small, large]) {
      for (const fn of [fail, ok, ok, fail]) await b.execute(fn).catch(() => undefined);
    }
    expect(small.state).toBe('closed'); // a window of 2 holds one of the failures
    expect(large.state).toBe('open'); // a window of 4 holds both
    new CircuitBreaker({ failureThreshold: 3 });
    expect(() => new CircuitBreaker({ failureThreshold: -1 })).toThrow(/failureThreshold/);
    expect(new CircuitBreaker({ failureThreshold: 3, name: 'x' }).name).toBe('x');
  });
});

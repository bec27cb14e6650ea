// docs/contract.md §12.2: every option's default, and the message that names a bad one. The
// resolved settings are read where a fleet receives them (FleetHost.options, after defaults).
import { describe, expect, it } from 'vitest';
import {
  CircuitBreaker,
  circuitBreaker,
  type CircuitBreakerOptions,
  seededRandom,
  systemClock,
  systemRandom,
} from '../../src/index.js';
import type { FleetSettings } from '../../src/breaker/fleet.js';
import { FakeClock } from '../../src/testing/index.js';
import { recordingFleet } from '../support/recording-fleet.js';

/** The settings a breaker built from `options` hands its fleet, and the host's name, clock and random. */
function resolved(options: CircuitBreakerOptions = {}) {
  const fleet = recordingFleet();
  new CircuitBreaker({ ...options, fleet });
  const host = fleet.hosts[0];
  if (host === undefined) throw new Error('the breaker did not join its fleet');
  return host;
}

/** The full message of the error `new CircuitBreaker(options)` throws. */
function message(options: unknown): { kind: string; text: string } {
  try {
    new CircuitBreaker(options as CircuitBreakerOptions);
  } catch (error) {
    if (error instanceof Error) return { kind: error.constructor.name, text: error.message };
    throw error;
  }
  throw new Error('expected the constructor to throw');
}

const PREFIX = 'invalid CircuitBreaker options: ';

describe('defaults', () => {
  it('resolve — every default, as the fleet receives it', () => {
    const host = resolved();
    expect(host.name).toBe('breaker');
    expect(host.clock).toBe(systemClock);
    expect(host.random).toBe(systemRandom);
    const settings: FleetSettings = host.options;
    expect({
      window: settings.window,
      rules: settings.rules,
      recoveryTimeout: settings.recoveryTimeout,
      backoff: settings.backoff,
      successThreshold: settings.successThreshold,
      timeout: settings.timeout,
    }).toEqual({
      window: { type: 'time', duration: 10_000, buckets: 10 },
      rules: {
        failureThreshold: 5,
        failureRateThreshold: Infinity,
        slowCallRateThreshold: Infinity,
        minimumCalls: 10,
      },
      recoveryTimeout: 30_000,
      backoff: undefined,
      successThreshold: 2,
      timeout: 10_000,
    });
  });

  it('resolve — a rate rule alone turns the count rule off; given beside it, both apply', () => {
    expect(resolved({ failureRateThreshold: 0.5 }).options.rules).toEqual({
      failureThreshold: Infinity,
      failureRateThreshold: 0.5,
      slowCallRateThreshold: Infinity,
      minimumCalls: 10,
    });
    expect(resolved({ slowCallDuration: 100, slowCallRateThreshold: 0.25 }).options.rules).toEqual({
      failureThreshold: Infinity,
      failureRateThreshold: Infinity,
      slowCallRateThreshold: 0.25,
      minimumCalls: 10,
    });
    expect(resolved({ failureRateThreshold: 0.5, failureThreshold: 3 }).options.rules.failureThreshold).toBe(
      3,
    );
  });

  it('resolve — minimumCalls on a count window is capped at its size, elsewhere kept', () => {
    expect(resolved({ window: { type: 'count', size: 4 } }).options.rules.minimumCalls).toBe(4);
    expect(resolved({ window: { type: 'count', size: 40 } }).options.rules.minimumCalls).toBe(10);
    expect(resolved({ window: { type: 'count', size: 4 }, minimumCalls: 3 }).options.rules.minimumCalls).toBe(
      3,
    );
    expect(resolved({ window: { type: 'consecutive' }, minimumCalls: 30 }).options.rules.minimumCalls).toBe(
      30,
    );
    expect(
      resolved({ window: { type: 'time', duration: 1_000, buckets: 2 }, minimumCalls: 30 }).options.rules
        .minimumCalls,
    ).toBe(30);
  });

  it('resolve — a time window without buckets gets 10; count and consecutive windows keep their own fields', () => {
    expect(resolved({ window: { type: 'time', duration: 500 } }).options.window).toEqual({
      type: 'time',
      duration: 500,
      buckets: 10,
    });
    expect(resolved({ window: { type: 'count', size: 7 } }).options.window).toEqual({
      type: 'count',
      size: 7,
    });
    expect(resolved({ window: { type: 'consecutive' } }).options.window).toEqual({ type: 'consecutive' });
  });

  it('recoveryBackoff — true and {} mean multiplier 2, max 300 s, jitter 0.1; each field can be set alone', () => {
    const defaults = { multiplier: 2, max: 300_000, jitter: 0.1 };
    expect(resolved({ recoveryBackoff: true }).options.backoff).toEqual(defaults);
    expect(resolved({ recoveryBackoff: {} }).options.backoff).toEqual(defaults);
    expect(resolved({ recoveryBackoff: { multiplier: 3 } }).options.backoff).toEqual({
      ...defaults,
      multiplier: 3,
    });
    expect(resolved({ recoveryBackoff: { max: 1_000 } }).options.backoff).toEqual({
      ...defaults,
      max: 1_000,
    });
    expect(resolved({ recoveryBackoff: { jitter: 0 } }).options.backoff).toEqual({ ...defaults, jitter: 0 });
    expect(resolved({ recoveryBackoff: false }).options.backoff).toBeUndefined();
  });

  it('resolve — given values are passed through: timeout false, clock, random, name', () => {
    const clock = new FakeClock();
    const random = seededRandom(1);
    const host = resolved({ name: 'prices', timeout: false, clock, random, recoveryTimeout: 0.5 });
    expect(host.name).toBe('prices');
    expect(host.clock).toBe(clock);
    expect(host.random).toBe(random);
    expect(host.options.timeout).toBe(false);
    expect(host.options.recoveryTimeout).toBe(0.5);
  });
});

describe('validation messages', () => {
  const cases: readonly [options: Record<string, unknown>, kind: 'TypeError' | 'RangeError', text: string][] =
    [
      [{ name: '' }, 'TypeError', 'name must be a non-empty string (got "")'],
      [{ name: 5 }, 'TypeError', 'name must be a non-empty string (got 5)'],
      [
        { failureThreshold: 0 },
        'RangeError',
        'failureThreshold must be an integer >= 1 (or Infinity) (got 0)',
      ],
      [
        { failureThreshold: -Infinity },
        'RangeError',
        'failureThreshold must be an integer >= 1 (or Infinity) (got -Infinity)',
      ],
      [
        { window: { type: 'time', duration: 0, buckets: 0 } },
        'RangeError',
        'window.duration must be a finite number > 0 (got 0); window.buckets must be an integer >= 1 <= 1000 (got 0)',
      ],
      [
        { window: { type: 'time', duration: 1, buckets: 1001 } },
        'RangeError',
        'window.buckets must be an integer >= 1 <= 1000 (got 1001)',
      ],
      [
        { window: { type: 'time', duration: 1, size: 3 } },
        'TypeError',
        'window.size is not a known option (known: type, duration, buckets)',
      ],
      [
        { window: { type: 'count', size: 1_000_001 } },
        'RangeError',
        'window.size must be an integer >= 1 <= 1000000 (got 1000001)',
      ],
      [
        { window: { type: 'count', size: 2, buckets: 3 } },
        'TypeError',
        'window.buckets is not a known option (known: type, size)',
      ],
      [
        { window: { type: 'consecutive', size: 1 } },
        'TypeError',
        'window.size is not a known option (known: type)',
      ],
      [
        { window: 3 },
        'TypeError',
        "window must be an object with type 'time', 'count' or 'consecutive' (got 3)",
      ],
      [
        { window: { type: 'x' } },
        'TypeError',
        "window.type must be 'time', 'count' or 'consecutive' (got \"x\")",
      ],
      [{ minimumCalls: 0 }, 'RangeError', 'minimumCalls must be an integer >= 1 (got 0)'],
      [
        { failureRateThreshold: 0 },
        'RangeError',
        'failureRateThreshold must be a finite number > 0 <= 1 (got 0)',
      ],
      [
        { window: { type: 'consecutive' }, failureRateThreshold: 0.5 },
        'RangeError',
        'failureRateThreshold must be unset with a consecutive window (rates need a time or count window) (got 0.5)',
      ],
      [{ slowCallDuration: 0 }, 'RangeError', 'slowCallDuration must be a finite number > 0 (got 0)'],
      [
        { slowCallDuration: 1, slowCallRateThreshold: 0 },
        'RangeError',
        'slowCallRateThreshold must be a finite number > 0 <= 1 (got 0)',
      ],
      [
        { slowCallRateThreshold: 0.5 },
        'RangeError',
        'slowCallRateThreshold must be accompanied by slowCallDuration (got 0.5)',
      ],
      [
        { window: { type: 'consecutive' }, slowCallDuration: 1, slowCallRateThreshold: 0.5 },
        'RangeError',
        'slowCallRateThreshold must be unset with a consecutive window (rates need a time or count window) (got 0.5)',
      ],
      [
        { recoveryTimeout: -1 },
        'RangeError',
        'recoveryTimeout must be a finite number >= 0 <= 2147483647 (got -1)',
      ],
      [{ recoveryBackoff: 3 }, 'TypeError', 'recoveryBackoff must be an object, true or false (got 3)'],
      [{ recoveryBackoff: null }, 'TypeError', 'recoveryBackoff must be an object, true or false (got null)'],
      [
        { recoveryBackoff: { multiplier: 0, max: -1, jitter: 2 } },
        'RangeError',
        'recoveryBackoff.multiplier must be a finite number >= 1 (got 0); ' +
          'recoveryBackoff.max must be a finite number >= 0 <= 2147483647 (got -1); ' +
          'recoveryBackoff.jitter must be a finite number >= 0 <= 1 (got 2)',
      ],
      [
        { recoveryBackoff: { max: 2 ** 31 } },
        'RangeError',
        'recoveryBackoff.max must be a finite number >= 0 <= 2147483647 (got 2147483648)',
      ],
      [
        { recoveryBackoff: { jitter: -0.1 } },
        'RangeError',
        'recoveryBackoff.jitter must be a finite number >= 0 <= 1 (got -0.1)',
      ],
      [
        { recoveryBackoff: { base: 1 } },
        'TypeError',
        'recoveryBackoff.base is not a known option (known: multiplier, max, jitter)',
      ],
      [{ halfOpenRequests: 0 }, 'RangeError', 'halfOpenRequests must be an integer >= 1 (got 0)'],
      [{ successThreshold: 0 }, 'RangeError', 'successThreshold must be an integer >= 1 (got 0)'],
      [{ timeout: 0 }, 'RangeError', 'timeout must be a finite number > 0 <= 2147483647 (got 0)'],
      [
        { timeout: false, recoveryTimeout: 0 },
        'RangeError',
        'recoveryTimeout must be > 0 when timeout is false (it is then the deadline of each probe) (got 0)',
      ],
      [{ isFailure: 1 }, 'TypeError', 'isFailure must be a function (got 1)'],
      [{ isResultFailure: 1 }, 'TypeError', 'isResultFailure must be a function (got 1)'],
      [{ fallback: 1 }, 'TypeError', 'fallback must be a function (got 1)'],
      [
        { clock: {} },
        'TypeError',
        'clock must be a Clock with now(), setTimeout() and clearTimeout() (got an empty object)',
      ],
      [{ random: 1 }, 'TypeError', 'random must be a function (got 1)'],
      [{ telemetry: {} }, 'TypeError', 'telemetry must be a Telemetry stream (got an empty object)'],
      [
        { fleet: {} },
        'TypeError',
        'fleet must be a Fleet (for example redisFleet() from breakwater/redis) (got an empty object)',
      ],
      [
        { fleet: { attach: 1 } },
        'TypeError',
        'fleet must be a Fleet (for example redisFleet() from breakwater/redis) (got {"attach":1})',
      ],
      [{ initialState: 3 }, 'TypeError', 'initialState must be a snapshot from toJSON() (got 3)'],
      [
        {
          initialState: {
            version: 2,
            name: 1,
            state: 'x',
            generation: -1,
            reopens: -1,
            openRemainingMs: 5,
            extra: 1,
          },
        },
        'TypeError',
        'initialState.extra is not a known option (known: version, name, state, generation, openRemainingMs, reopens); ' +
          'initialState.version must be 1 (got 2); initialState.name must be a string (got 1); ' +
          'initialState.state must be one of closed, open, half-open, isolated, disabled, metrics-only (got "x"); ' +
          'initialState.generation must be an integer >= 0 <= 9007199254740991 (got -1); ' +
          'initialState.reopens must be an integer >= 0 <= 9007199254740991 (got -1); ' +
          "initialState.openRemainingMs must be unset unless state is 'open' (got 5)",
      ],
      [
        { initialState: { version: 1, name: 'a', state: 5, generation: 0, reopens: 0 } },
        'TypeError',
        'initialState.state must be one of closed, open, half-open, isolated, disabled, metrics-only (got 5)',
      ],
      [
        {
          initialState: {
            version: 1,
            name: 'a',
            state: 'open',
            generation: 0,
            reopens: 0,
            openRemainingMs: -1,
          },
        },
        'RangeError',
        'initialState.openRemainingMs must be a finite number >= 0 <= 2147483647 (got -1)',
      ],
      [
        {
          initialState: {
            version: 1,
            name: 'a',
            state: 'open',
            generation: 0,
            reopens: 0,
            openRemainingMs: 2 ** 31,
          },
        },
        'RangeError',
        'initialState.openRemainingMs must be a finite number >= 0 <= 2147483647 (got 2147483648)',
      ],
    ];

  for (const [options, kind, text] of cases) {
    it(`constructor — ${JSON.stringify(options)}: ${kind} "${text.slice(0, 40)}…"`, () => {
      expect(message(options)).toEqual({ kind, text: PREFIX + text });
    });
  }

  it('constructor — an unknown option lists every known one', () => {
    expect(message({ bogus: 1 }).text).toBe(
      `${PREFIX}bogus is not a known option (known: name, failureThreshold, window, failureRateThreshold, ` +
        'slowCallDuration, slowCallRateThreshold, minimumCalls, recoveryTimeout, recoveryBackoff, ' +
        'halfOpenRequests, successThreshold, timeout, isFailure, isResultFailure, fallback, clock, random, ' +
        'initialState, telemetry, fleet)',
    );
  });

  it('constructor — options that are not an object: a TypeError naming what was given', () => {
    expect(message(null)).toEqual({
      kind: 'TypeError',
      text: `${PREFIX}options must be an object (got null)`,
    });
    expect(message('fast')).toEqual({
      kind: 'TypeError',
      text: `${PREFIX}options must be an object (got "fast")`,
    });
  });

  it('constructor — the upper bounds of every range are accepted', () => {
    const max = 2 ** 31 - 1;
    expect(
      () =>
        new CircuitBreaker({
          window: { type: 'time', duration: 1, buckets: 1000 },
          recoveryTimeout: max,
          timeout: max,
          recoveryBackoff: { multiplier: 1, max, jitter: 1 },
          failureRateThreshold: 1,
          slowCallDuration: 1,
          slowCallRateThreshold: 1,
        }),
    ).not.toThrow();
    expect(() => new CircuitBreaker({ window: { type: 'count', size: 1_000_000 } })).not.toThrow();
    expect(() => new CircuitBreaker({ recoveryBackoff: { max: 0, jitter: 0 } })).not.toThrow();
  });
});

describe('shared resolution', () => {
  /** The resolved settings of one breaker per options object, built in order on one fleet. */
  function settingsOf(...list: CircuitBreakerOptions[]): FleetSettings[] {
    const fleet = recordingFleet();
    for (const options of list) new CircuitBreaker({ ...options, fleet });
    return fleet.hosts.map((host) => host.options);
  }

  it('resolve — breakers made one after another from the same settings share one resolution, names aside', () => {
    const [a, b] = settingsOf({ name: 'a', failureThreshold: 3 }, { name: 'b', failureThreshold: 3 });
    expect(b).toBe(a);
  });

  it('resolve — nested options with equal fields count as the same; a changed field does not', () => {
    const window = { type: 'count', size: 5 } as const;
    const [a, b, c] = settingsOf(
      { window },
      { window: { type: 'count', size: 5 } },
      { window: { type: 'count', size: 6 } },
    );
    expect(b).toBe(a);
    expect(c).not.toBe(b);
    expect(c?.window).toEqual({ type: 'count', size: 6 });
    const [d, e] = settingsOf({ recoveryBackoff: { max: 10 } }, { recoveryBackoff: { max: 10, jitter: 0 } });
    expect(e).not.toBe(d);
    expect(e?.backoff).toEqual({ multiplier: 2, max: 10, jitter: 0 });
  });

  it('resolve — a nested object changed in place between two breakers takes effect', () => {
    const window = { type: 'count' as const, size: 5 };
    const fleet = recordingFleet();
    new CircuitBreaker({ window, fleet });
    window.size = 9;
    new CircuitBreaker({ window, fleet });
    expect(fleet.hosts.map((h) => h.options.window)).toEqual([
      { type: 'count', size: 5 },
      { type: 'count', size: 9 },
    ]);
  });

  it('resolve — an option set before and left out now, or added now, is a different setting', () => {
    const [a, b, c] = settingsOf({ successThreshold: 4 }, {}, { successThreshold: 4 });
    expect(b).not.toBe(a);
    expect(b?.successThreshold).toBe(2);
    expect(c).not.toBe(b);
    expect(c?.successThreshold).toBe(4);
  });

  it('resolve — an option given as undefined is the same as one left out; the system clock is the default', () => {
    const unset = { timeout: undefined } as unknown as CircuitBreakerOptions; // as plain JavaScript may pass it
    const [a, b, c] = settingsOf({}, unset, { clock: systemClock });
    expect(b).toBe(a);
    expect(c).toBe(a);
  });

  it('resolve — a breaker restored from a snapshot does not lend its resolution to the next', () => {
    const initialState = { version: 1, name: 'x', state: 'closed', generation: 3, reopens: 0 } as const;
    const [a, b] = settingsOf({ initialState }, { initialState });
    expect(b).not.toBe(a);
  });

  it('resolve — decorating with an existing breaker leaves the shared resolution in place', () => {
    const existing = new CircuitBreaker({ name: 'existing' });
    const fleet = recordingFleet();
    new CircuitBreaker({ failureThreshold: 3, fleet });
    circuitBreaker(existing);
    new CircuitBreaker({ failureThreshold: 3, fleet });
    const [a, b] = fleet.hosts.map((host) => host.options);
    expect(b).toBe(a);
  });

  it('resolve — equal recoveryBackoff objects, true twice, a name or an undefined option left out now: shared', () => {
    const [a, b] = settingsOf({ recoveryBackoff: { multiplier: 3 } }, { recoveryBackoff: { multiplier: 3 } });
    expect(b).toBe(a);
    const [c, d] = settingsOf({ recoveryBackoff: true }, { recoveryBackoff: true });
    expect(d).toBe(c);
    const [e, f] = settingsOf({ name: 'e', failureThreshold: 7 }, { failureThreshold: 7 });
    expect(f).toBe(e);
    const unset = { failureThreshold: 8, timeout: undefined } as unknown as CircuitBreakerOptions;
    const [g, h] = settingsOf(unset, { failureThreshold: 8 });
    expect(h).toBe(g);
  });

  it('resolve — the default window is one object for every breaker, whatever else differs', () => {
    const [a, b] = settingsOf({ failureThreshold: 3 }, { failureThreshold: 4 });
    expect(b).not.toBe(a);
    expect(b?.window).toBe(a?.window);
  });

  it('resolve — other objects (clocks) are compared by identity, not by their fields', () => {
    const first = new FakeClock();
    const second = new FakeClock();
    new CircuitBreaker({ clock: first, failureThreshold: 1, recoveryTimeout: 100, timeout: false });
    const b = new CircuitBreaker({
      clock: second,
      failureThreshold: 1,
      recoveryTimeout: 100,
      timeout: false,
    });
    second.advance(50);
    expect(b.stats.timeInStateMs).toBe(50);
  });

  it('resolve — after a shared-looking breaker, an unknown option and a non-object still fail by name; a null window is the default', () => {
    new CircuitBreaker({ failureThreshold: 3, window: { type: 'count', size: 5 } });
    expect(
      message({ failureThreshold: 3, window: { type: 'count', size: 5 }, bogus: undefined }).text,
    ).toMatch(/^invalid CircuitBreaker options: bogus is not a known option/);
    new CircuitBreaker({ failureThreshold: 3, window: { type: 'count', size: 5 } });
    const nullWindow = { failureThreshold: 3, window: null } as unknown as CircuitBreakerOptions;
    expect(resolved(nullWindow).options.window).toEqual({ type: 'time', duration: 10_000, buckets: 10 });
    new CircuitBreaker({ failureThreshold: 3 });
    expect(message(5).kind).toBe('TypeError');
    expect(message(5).text).toMatch(/options must be an object/);
  });

  it('resolve — a window given after a null one is resolved, not compared with null', () => {
    const nullWindow = { failureThreshold: 3, window: null } as unknown as CircuitBreakerOptions;
    const [a, b] = settingsOf(nullWindow, { failureThreshold: 3, window: { type: 'count', size: 5 } });
    expect(a?.window).toEqual({ type: 'time', duration: 10_000, buckets: 10 });
    expect(b).not.toBe(a);
    expect(b?.window).toEqual({ type: 'count', size: 5 });
  });

  it('resolve — recoveryBackoff false, 0 or "" after {} is not compared field by field with it', () => {
    // None of them has fields, as {} has none; each is its own setting.
    const [a, b] = settingsOf({ recoveryBackoff: {} }, { recoveryBackoff: false });
    expect(a?.backoff).toEqual({ multiplier: 2, max: 300_000, jitter: 0.1 });
    expect(b?.backoff).toBeUndefined();
    for (const bad of [0, '']) {
      new CircuitBreaker({ recoveryBackoff: {} });
      expect(message({ recoveryBackoff: bad }).text).toBe(
        `${PREFIX}recoveryBackoff must be an object, true or false (got ${JSON.stringify(bad)})`,
      );
    }
  });

  it('resolve — a window of {} after a null one is checked, not taken for the null one', () => {
    new CircuitBreaker({ window: null } as unknown as CircuitBreakerOptions);
    expect(message({ window: {} }).text).toBe(
      `${PREFIX}window.type must be 'time', 'count' or 'consecutive' (got undefined)`,
    );
  });

  it('resolve — only clock may hold the system clock and count as left out: any other option holding it is checked', () => {
    new CircuitBreaker({});
    expect(new CircuitBreaker({ clock: systemClock }).stats.state).toBe('closed'); // shared: same as {}
    new CircuitBreaker({});
    expect(message({ timeout: systemClock }).text).toBe(
      `${PREFIX}timeout must be a finite number > 0 <= 2147483647 (got a plain object with keys now, setTimeout, clearTimeout)`,
    );
  });

  it('resolve — a shared resolution still checks the new name', () => {
    new CircuitBreaker({ name: 'a' });
    expect(message({ name: '' }).text).toBe(`${PREFIX}name must be a non-empty string (got "")`);
    new CircuitBreaker({ name: 'a' });
    expect(message({ name: 7 }).text).toBe(`${PREFIX}name must be a non-empty string (got 7)`);
    new CircuitBreaker({ name: 'a' });
    // Not a string, though it has a length.
    expect(message({ name: ['a'] }).text).toBe(`${PREFIX}name must be a non-empty string (got ["a"])`);
    expect(new CircuitBreaker({}).name).toBe('breaker');
    expect(message({ name: '' }).text).toBe(`${PREFIX}name must be a non-empty string (got "")`);
  });
});

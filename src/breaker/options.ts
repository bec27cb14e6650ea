import { type Clock, MAX_TIMER_MS, systemClock } from '../core/clock.js';
import { type Random, systemRandom } from '../core/random.js';
import { isTelemetry, type Telemetry } from '../core/telemetry.js';
import { checkClock, OptionChecker } from '../core/validate.js';
import { type Fleet, isFleet } from './fleet.js';
import { type BreakerSnapshot, checkSnapshot } from './snapshot.js';
import type { TripRules } from './trip-rules.js';
import type { WindowOptions } from './window.js';

/** How the open duration grows when a circuit re-opens straight from half-open. */
export interface RecoveryBackoff {
  /** Factor applied for each consecutive re-open. Default `2`. */
  readonly multiplier?: number;
  /** Upper bound of the open duration, in ms. Default `300_000`. */
  readonly max?: number;
  /** Random spread as a fraction of the duration: `0.1` means ±10 %. Default `0.1`. */
  readonly jitter?: number;
}

/** Options of a {@link CircuitBreaker}. Every one is optional; defaults are the seed's values. */
export interface CircuitBreakerOptions {
  /** Label in errors, events and metrics. Default `'breaker'` (wrap and decorator: the function name). */
  readonly name?: string;
  /**
   * Failures inside the window that open the circuit. `Infinity` turns the rule off. Default `5`,
   * unless a rate rule (`failureRateThreshold` or `slowCallRateThreshold`) is given: rate rules
   * replace the count rule, and both apply only when this is given too.
   */
  readonly failureThreshold?: number;
  /** What the window remembers. Default `{ type: 'time', duration: 10_000, buckets: 10 }`. */
  readonly window?: WindowOptions;
  /** Open when failures / calls ≥ this fraction in (0, 1] (and calls ≥ `minimumCalls`). Default off. */
  readonly failureRateThreshold?: number;
  /** A call taking at least this many ms is slow. Default off. */
  readonly slowCallDuration?: number;
  /** Open when slow calls / calls ≥ this fraction in (0, 1]. Needs `slowCallDuration`. Default off. */
  readonly slowCallRateThreshold?: number;
  /** Calls the window must hold before a rate rule may trip. Default `10` (a count window: at most its size). */
  readonly minimumCalls?: number;
  /** Ms the circuit stays open before probes are admitted. Default `30_000`. */
  readonly recoveryTimeout?: number;
  /** Grow the open duration on each re-open from half-open; `true` uses the defaults. Default off. */
  readonly recoveryBackoff?: RecoveryBackoff | boolean;
  /** Probes allowed in flight at once in half-open. Default `3`. */
  readonly halfOpenRequests?: number;
  /** Probe successes that close the circuit. Default `2`. */
  readonly successThreshold?: number;
  /** Ms per call, or `false`. On expiry the call's signal aborts and it fails with `CallTimeoutError`. Default `10_000`. */
  readonly timeout?: number | false;
  /** `false` marks an error as ignored: rethrown untouched, not counted. Default: every error is a failure. */
  readonly isFailure?: (error: unknown) => boolean;
  /** `true` records a failure although the call resolved; the caller still receives the result. Default: never. */
  readonly isResultFailure?: (result: unknown) => boolean;
  /**
   * Answer given instead of an error for rejections and counted failures (never for ignored
   * errors or caller aborts). Receives the error and the wrapped function's arguments.
   */
  readonly fallback?: (error: unknown, ...args: never[]) => unknown;
  /** Time source. Default: the system clock. */
  readonly clock?: Clock;
  /** Randomness source (backoff jitter). Default: `Math.random`. */
  readonly random?: Random;
  /** Start from a snapshot taken with `toJSON()`. */
  readonly initialState?: BreakerSnapshot;
  /** A telemetry stream to report calls and transitions into (exporters and the dashboard read it). */
  readonly telemetry?: Telemetry;
  /**
   * Share this breaker with other processes through a store, e.g. `redisFleet({ client })` from
   * `breakwater/redis`. The local breaker keeps working (and deciding) on its own when the store
   * is down. Default: none.
   */
  readonly fleet?: Fleet;
}

/**
 * Options after defaults and validation, without the name: breakers built from the same options
 * (every default breaker, every breaker of a registry) share one object.
 */
export interface ResolvedOptions {
  readonly window: Required<WindowOptions>;
  readonly rules: TripRules;
  readonly slowCallDuration: number; // Infinity when off
  readonly recoveryTimeout: number;
  readonly backoff: Required<RecoveryBackoff> | undefined;
  readonly halfOpenRequests: number;
  readonly successThreshold: number;
  readonly timeout: number | false;
  readonly isFailure: ((error: unknown) => boolean) | undefined;
  readonly isResultFailure: ((result: unknown) => boolean) | undefined;
  readonly fallback: ((error: unknown, ...args: unknown[]) => unknown) | undefined;
  readonly clock: Clock;
  readonly random: Random;
  readonly initialState: BreakerSnapshot | undefined;
  readonly telemetry: Telemetry | undefined;
  readonly fleet: Fleet | undefined;
}

const KNOWN = [
  'name',
  'failureThreshold',
  'window',
  'failureRateThreshold',
  'slowCallDuration',
  'slowCallRateThreshold',
  'minimumCalls',
  'recoveryTimeout',
  'recoveryBackoff',
  'halfOpenRequests',
  'successThreshold',
  'timeout',
  'isFailure',
  'isResultFailure',
  'fallback',
  'clock',
  'random',
  'initialState',
  'telemetry',
  'fleet',
] as const;

export { MAX_TIMER_MS } from '../core/clock.js';

const DEFAULT_WINDOW = { type: 'time', duration: 10_000, buckets: 10 } as const;

/** A breaker's name and its resolved options. */
export interface Resolved {
  readonly name: string;
  readonly options: ResolvedOptions;
}

// The options resolved last, and their resolution. Breakers made one after another from the same
// settings (every default breaker, the keys of a registry, a loop over dependencies) share one
// resolved object, and their options are validated once. One entry: it holds at most one set of
// options (and what they reference) beyond the breakers that use it.
let last: { readonly options: CircuitBreakerOptions; readonly resolved: ResolvedOptions } | undefined;

/** Option objects compared by their fields: a caller may change one between two breakers. */
const NESTED = new Set(['window', 'recoveryBackoff']);

/** The value that counts for `key` (the system clock is the default, whether given or not). */
function setting(options: CircuitBreakerOptions, key: string): unknown {
  const value = options[key as keyof CircuitBreakerOptions];
  return key === 'clock' && value === systemClock ? undefined : value;
}

function sameValue(key: string, a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (!NESTED.has(key) || typeof a !== 'object' || typeof b !== 'object' || a === null || b === null)
    return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
  for (const k of keys) if (x[k] !== y[k]) return false;
  return true;
}

/** True when `options` set exactly what `previous` set, the name aside. */
function sameSettings(options: CircuitBreakerOptions, previous: CircuitBreakerOptions): boolean {
  for (const key in options) {
    if (key === 'name') continue;
    if (!(KNOWN as readonly string[]).includes(key)) return false; // left to the full check to report
    if (!sameValue(key, setting(options, key), setting(previous, key))) return false;
  }
  for (const key in previous) {
    if (key !== 'name' && !(key in options) && setting(previous, key) !== undefined) return false;
  }
  return true;
}

/**
 * Applies defaults and validates; throws one error naming every bad option. Never mutates
 * `options`. Options that set the same as the options resolved last (the name aside) share
 * their resolution.
 */
export function resolveOptions(options: CircuitBreakerOptions, defaultName = 'breaker'): Resolved {
  const isObject = typeof options === 'object' && (options as unknown) !== null;
  if (isObject && last !== undefined && sameSettings(options, last.options)) {
    const name = options.name ?? defaultName;
    if (typeof name === 'string' && name.length > 0) return { name, options: last.resolved };
  }
  const resolved = resolveAll(options, defaultName);
  // A snapshot belongs to one breaker; nested option objects are copied, as they are compared.
  if (options.initialState === undefined) {
    const copy: Record<string, unknown> = { ...options };
    for (const key of NESTED) {
      const nested = copy[key];
      if (typeof nested === 'object' && nested !== null) copy[key] = { ...nested };
    }
    last = { options: copy, resolved: resolved.options };
  }
  return resolved;
}

function resolveAll(options: CircuitBreakerOptions, defaultName: string): Resolved {
  const check = new OptionChecker('CircuitBreaker');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, KNOWN);
  const o = options;

  const name = o.name ?? defaultName;
  if (typeof name !== 'string' || name.length === 0) check.fail('name', name, 'a non-empty string', 'type');

  // Rate rules replace the count rule unless both are given (a rate-only breaker that also opened
  // on 5 failures out of 200 would surprise every user of a peer library).
  const rateRuleGiven = o.failureRateThreshold !== undefined || o.slowCallRateThreshold !== undefined;
  const failureThreshold = o.failureThreshold ?? (rateRuleGiven ? Infinity : 5);
  check.number('failureThreshold', failureThreshold, { integer: true, min: 1, allowInfinity: true });

  const window = resolveWindow(check, o.window ?? DEFAULT_WINDOW);

  const minimumCallsGiven = o.minimumCalls ?? 10;
  check.number('minimumCalls', minimumCallsGiven, { integer: true, min: 1 });
  const minimumCalls = window.type === 'count' ? Math.min(minimumCallsGiven, window.size) : minimumCallsGiven;

  if (o.failureRateThreshold !== undefined) {
    check.number('failureRateThreshold', o.failureRateThreshold, { min: 0, minExclusive: true, max: 1 });
    if (window.type === 'consecutive') {
      check.fail(
        'failureRateThreshold',
        o.failureRateThreshold,
        'unset with a consecutive window (rates need a time or count window)',
      );
    }
  }
  if (o.slowCallDuration !== undefined) {
    check.number('slowCallDuration', o.slowCallDuration, { min: 0, minExclusive: true });
  }
  if (o.slowCallRateThreshold !== undefined) {
    check.number('slowCallRateThreshold', o.slowCallRateThreshold, { min: 0, minExclusive: true, max: 1 });
    if (o.slowCallDuration === undefined) {
      check.fail('slowCallRateThreshold', o.slowCallRateThreshold, 'accompanied by slowCallDuration');
    }
    if (window.type === 'consecutive') {
      check.fail(
        'slowCallRateThreshold',
        o.slowCallRateThreshold,
        'unset with a consecutive window (rates need a time or count window)',
      );
    }
  }

  const rules: TripRules = {
    failureThreshold,
    failureRateThreshold: o.failureRateThreshold ?? Infinity,
    slowCallRateThreshold: o.slowCallRateThreshold ?? Infinity,
    minimumCalls,
  };

  const recoveryTimeout = o.recoveryTimeout ?? 30_000;
  check.number('recoveryTimeout', recoveryTimeout, { min: 0, max: MAX_TIMER_MS });
  const backoff = resolveBackoff(check, o.recoveryBackoff);

  const halfOpenRequests = o.halfOpenRequests ?? 3;
  check.number('halfOpenRequests', halfOpenRequests, { integer: true, min: 1 });
  const successThreshold = o.successThreshold ?? 2;
  check.number('successThreshold', successThreshold, { integer: true, min: 1 });

  const timeout = o.timeout ?? 10_000;
  if (timeout !== false) check.number('timeout', timeout, { min: 0, minExclusive: true, max: MAX_TIMER_MS });
  // Without call timeouts a probe's deadline is recoveryTimeout: at 0 every probe would be past its
  // deadline when admitted, count as a failure, and the circuit would never close.
  else if (recoveryTimeout === 0)
    check.fail('recoveryTimeout', 0, '> 0 when timeout is false (it is then the deadline of each probe)');

  if (o.isFailure !== undefined) check.func('isFailure', o.isFailure);
  if (o.isResultFailure !== undefined) check.func('isResultFailure', o.isResultFailure);
  if (o.fallback !== undefined) check.func('fallback', o.fallback);

  const clock = o.clock ?? systemClock;
  checkClock(check, clock);
  const random = o.random ?? systemRandom;
  check.func('random', random);

  if (o.initialState !== undefined) checkSnapshot(check, o.initialState, MAX_TIMER_MS);

  if (o.telemetry !== undefined && !isTelemetry(o.telemetry)) {
    check.fail('telemetry', o.telemetry, 'a Telemetry stream', 'type');
  }

  if (o.fleet !== undefined && !isFleet(o.fleet)) {
    check.fail('fleet', o.fleet, 'a Fleet (for example redisFleet() from breakwater/redis)', 'type');
  }

  check.throwIfAny();
  const resolved: ResolvedOptions = {
    window,
    rules,
    slowCallDuration: o.slowCallDuration ?? Infinity,
    recoveryTimeout,
    backoff,
    halfOpenRequests,
    successThreshold,
    timeout,
    isFailure: o.isFailure,
    isResultFailure: o.isResultFailure,
    fallback: o.fallback as ResolvedOptions['fallback'],
    clock,
    random,
    initialState: o.initialState,
    telemetry: o.telemetry,
    fleet: o.fleet,
  };
  return { name, options: resolved };
}

function resolveWindow(check: OptionChecker, w: WindowOptions): Required<WindowOptions> {
  if (w === DEFAULT_WINDOW) return DEFAULT_WINDOW; // shared, not copied for every breaker
  if (typeof w !== 'object' || (w as unknown) === null) {
    check.fail('window', w, "an object with type 'time', 'count' or 'consecutive'", 'type');
    return DEFAULT_WINDOW;
  }
  switch (w.type) {
    case 'time': {
      check.knownKeys(w, ['type', 'duration', 'buckets'], 'window.');
      const buckets = w.buckets ?? 10;
      check.number('window.duration', w.duration, { min: 0, minExclusive: true });
      check.number('window.buckets', buckets, { integer: true, min: 1, max: 1000 });
      return { type: 'time', duration: w.duration, buckets };
    }
    case 'count':
      check.knownKeys(w, ['type', 'size'], 'window.');
      check.number('window.size', w.size, { integer: true, min: 1, max: 1_000_000 });
      return { type: 'count', size: w.size };
    case 'consecutive':
      check.knownKeys(w, ['type'], 'window.');
      return { type: 'consecutive' };
    default:
      check.fail('window.type', (w as { type: unknown }).type, "'time', 'count' or 'consecutive'", 'type');
      return DEFAULT_WINDOW;
  }
}

function resolveBackoff(
  check: OptionChecker,
  given: RecoveryBackoff | boolean | undefined,
): Required<RecoveryBackoff> | undefined {
  if (given === undefined || given === false) return undefined;
  const b = given === true ? {} : given;
  if (typeof b !== 'object' || (b as unknown) === null) {
    check.fail('recoveryBackoff', given, 'an object, true or false', 'type');
    return undefined;
  }
  check.knownKeys(b, ['multiplier', 'max', 'jitter'], 'recoveryBackoff.');
  const resolved = { multiplier: b.multiplier ?? 2, max: b.max ?? 300_000, jitter: b.jitter ?? 0.1 };
  check.number('recoveryBackoff.multiplier', resolved.multiplier, { min: 1 });
  check.number('recoveryBackoff.max', resolved.max, { min: 0, max: MAX_TIMER_MS });
  check.number('recoveryBackoff.jitter', resolved.jitter, { min: 0, max: 1 });
  return resolved;
}

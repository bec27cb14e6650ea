import type { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { type CircuitBreakerOptions, resolveOptions } from '../breaker/options.js';
import { type Clock, isClock, systemClock } from '../core/clock.js';
import { OptionChecker } from '../core/validate.js';

/** Options of a {@link BreakerRegistry}. */
export interface BreakerRegistryOptions {
  /**
   * Options of every breaker the registry creates. `name` is set per key (`key`, or
   * `${prefix}:${key}`); `clock` defaults to the registry's clock.
   */
  readonly defaults?: Omit<CircuitBreakerOptions, 'name' | 'initialState'>;
  /** Breaker names become `${prefix}:${key}`. Default: the key alone. */
  readonly prefix?: string;
  /** Most breakers held at once; the least recently used evictable one makes room. Default `10_000`. */
  readonly maxBreakers?: number;
  /** Ms without a `get(key)` after which a breaker may be evicted; `Infinity` turns it off. Default `600_000`. */
  readonly idleTtl?: number;
  /** Time source of the registry, and of its breakers unless `defaults.clock` is given. Default: the system clock. */
  readonly clock?: Clock;
  /**
   * Builds the breaker of a key from `options` (the defaults with `name` and `clock` set).
   * Default: `new CircuitBreaker(options)`. Must return a `CircuitBreaker`.
   */
  readonly create?: (key: string, options: CircuitBreakerOptions) => CircuitBreaker;
}

/** Registry options after defaults and validation. */
export interface ResolvedRegistryOptions {
  readonly defaults: Omit<CircuitBreakerOptions, 'name' | 'initialState'>;
  readonly prefix: string | undefined;
  readonly maxBreakers: number;
  readonly idleTtl: number;
  readonly clock: Clock;
  readonly create: ((key: string, options: CircuitBreakerOptions) => CircuitBreaker) | undefined;
}

const KNOWN = ['defaults', 'prefix', 'maxBreakers', 'idleTtl', 'clock', 'create'] as const;

/** Applies defaults and validates, reporting every problem at once. Never mutates `options`. */
export function resolveRegistryOptions(options: BreakerRegistryOptions): ResolvedRegistryOptions {
  const check = new OptionChecker('BreakerRegistry');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, KNOWN);
  const maxBreakers = options.maxBreakers ?? 10_000;
  check.number('maxBreakers', maxBreakers, { integer: true, min: 1 });
  const idleTtl = options.idleTtl ?? 600_000;
  check.number('idleTtl', idleTtl, { min: 0, minExclusive: true, allowInfinity: true });
  const prefix = options.prefix;
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix.length === 0)) {
    check.fail('prefix', prefix, 'a non-empty string', 'type');
  }
  const clock = options.clock ?? systemClock;
  if (!isClock(clock))
    check.fail('clock', clock, 'a Clock with now(), setTimeout() and clearTimeout()', 'type');
  if (options.create !== undefined) check.func('create', options.create);

  const defaults = options.defaults ?? {};
  if (typeof defaults !== 'object' || (defaults as unknown) === null) {
    check.fail('defaults', defaults, 'an object of CircuitBreaker options', 'type');
  } else {
    const given = defaults as CircuitBreakerOptions;
    if (given.name !== undefined)
      check.fail('defaults.name', given.name, 'unset (names come from keys; use prefix)');
    if (given.initialState !== undefined) {
      check.fail('defaults.initialState', given.initialState, 'unset (one snapshot cannot serve every key)');
    }
    try {
      resolveOptions({ ...given, name: 'registry defaults' });
    } catch (error) {
      const detail = (error instanceof Error ? error.message : String(error)).replace(
        /^invalid CircuitBreaker options: /,
        '',
      );
      check.fail(
        'defaults',
        defaults,
        `valid CircuitBreaker options (${detail})`,
        error instanceof TypeError ? 'type' : 'range',
      );
    }
  }
  check.throwIfAny();
  return Object.freeze({
    defaults: Object.freeze({ ...defaults }),
    prefix,
    maxBreakers,
    idleTtl,
    clock,
    create: options.create,
  });
}

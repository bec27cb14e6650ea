import { type Clock, MAX_TIMER_MS } from '../core/clock.js';
import type { ExecuteOptions, Protected } from '../core/policy.js';
import { OptionChecker } from '../core/validate.js';
import { BreakerRegistry, type CircuitBreakerOptions } from '../index.js';

/** A function with the `fetch` signature. */
export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** What `retry` must offer: a `Policy`'s `execute` (a `retry(...)` policy, a pipeline...). */
export interface ExecutingPolicy {
  /** Runs `fn` under the policy, with a signal, and answers its result. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T>;
}

/** Options of {@link createFetch}. */
export interface CreateFetchOptions {
  /** The fetch to protect. Default: `globalThis.fetch`, read when `createFetch` is called. */
  readonly fetch?: FetchFunction;
  /**
   * Where the per-origin breakers live (keys are origins such as `https://api.example.com`).
   * Pass one to share it with a dashboard or an exporter. Default: a new registry built from
   * `breaker`, `maxBreakers`, `idleTtl` and `clock`; it is `registry` on the returned function.
   */
  readonly registry?: BreakerRegistry;
  /**
   * Prefix of the breakers' names (not with `registry`): a breaker is named `<name>:<origin>`, so
   * that two fetches reporting into one telemetry stream keep their series apart (names are
   * identities on a stream). Default: none, the bare origin.
   */
  readonly name?: string;
  /** Options of each per-origin breaker (not with `registry`). Default: the breaker defaults. */
  readonly breaker?: Omit<CircuitBreakerOptions, 'name' | 'initialState'>;
  /** Ms per attempt until the response headers arrive, or `false` (not with `registry`). Default: `breaker.timeout`, else `10_000`. */
  readonly timeout?: number | false;
  /** Most origins with a breaker at once (not with `registry`). Default `10_000`. */
  readonly maxBreakers?: number;
  /** Ms after which an unused origin's breaker may be evicted (not with `registry`). Default `600_000`. */
  readonly idleTtl?: number;
  /** Time source of the registry and breakers (not with `registry`). Default: the system clock. */
  readonly clock?: Clock;
  /** A policy run around each breaker call, e.g. a retry; it sees failure statuses as {@link HttpStatusError}. */
  readonly retry?: ExecutingPolicy;
  /** Statuses that count as failures. Default: `status >= 500 || status === 429`. */
  readonly isFailureStatus?: (status: number, response: Response) => boolean;
  /** Longest open period a `Retry-After` may ask for, in ms; `0` ignores `Retry-After`. Default `300_000`. */
  readonly retryAfterCap?: number;
}

/** Options after defaults and validation. */
export interface ResolvedFetchOptions {
  readonly fetch: FetchFunction;
  readonly registry: BreakerRegistry;
  readonly retry: ExecutingPolicy | undefined;
  readonly isFailureStatus: (status: number, response: Response) => boolean;
  readonly retryAfterCap: number;
}

const KNOWN = [
  'fetch',
  'name',
  'registry',
  'breaker',
  'timeout',
  'maxBreakers',
  'idleTtl',
  'clock',
  'retry',
  'isFailureStatus',
  'retryAfterCap',
] as const;

/** Registry-building options that make no sense next to a given `registry`. */
const REGISTRY_ONLY = ['name', 'breaker', 'timeout', 'maxBreakers', 'idleTtl', 'clock'] as const;

/** 5xx and 429 (Too Many Requests) are failures; everything else, 404 included, is an answer. */
export function defaultIsFailureStatus(status: number): boolean {
  return status >= 500 || status === 429;
}

/** Applies defaults and validates, reporting every problem at once. Never mutates `options`. */
export function resolveFetchOptions(options: CreateFetchOptions): ResolvedFetchOptions {
  const check = new OptionChecker('createFetch');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, KNOWN);
  const fetch: unknown = options.fetch ?? (globalThis as { fetch?: unknown }).fetch;
  if (fetch === undefined)
    check.fail('fetch', fetch, 'a fetch function (this runtime has no global fetch)', 'type');
  else check.func('fetch', fetch);
  const retry = options.retry;
  if (
    retry !== undefined &&
    (typeof retry !== 'object' || typeof (retry as Partial<ExecutingPolicy> | null)?.execute !== 'function')
  ) {
    check.fail('retry', retry, 'a policy with execute(fn, { signal })', 'type');
  }
  const isFailureStatus = options.isFailureStatus ?? defaultIsFailureStatus;
  check.func('isFailureStatus', isFailureStatus);
  const retryAfterCap = options.retryAfterCap ?? 300_000;
  check.number('retryAfterCap', retryAfterCap, { min: 0, max: MAX_TIMER_MS });
  if (options.timeout !== undefined && options.timeout !== false) {
    check.number('timeout', options.timeout, { min: 0, minExclusive: true, max: MAX_TIMER_MS });
  }

  let registry = options.registry;
  if (registry !== undefined) {
    if (!isRegistry(registry)) check.fail('registry', registry, 'a BreakerRegistry', 'type');
    for (const name of REGISTRY_ONLY) {
      if (options[name] !== undefined) {
        check.fail(
          name,
          options[name],
          'unset when registry is given (configure the registry instead)',
          'type',
        );
      }
    }
  } else {
    registry = buildRegistry(check, options);
  }
  check.throwIfAny();
  if (registry === undefined)
    throw new Error('createFetch: no registry (a bug: the reason was not reported)');
  return Object.freeze({
    fetch: fetch as FetchFunction,
    registry,
    retry,
    isFailureStatus,
    retryAfterCap,
  });
}

/** Duck-typed, so that a registry from another copy of the package (ESM next to CJS) is accepted. */
function isRegistry(value: unknown): value is BreakerRegistry {
  const r = value as Partial<BreakerRegistry> | null;
  return (
    typeof r === 'object' && r !== null && typeof r.get === 'function' && typeof r.entries === 'function'
  );
}

function buildRegistry(check: OptionChecker, o: CreateFetchOptions): BreakerRegistry | undefined {
  const breaker = o.breaker ?? {};
  const defaults = o.timeout === undefined ? breaker : { ...breaker, timeout: o.timeout };
  try {
    return new BreakerRegistry({
      defaults,
      ...(o.name === undefined ? {} : { prefix: o.name }),
      ...(o.maxBreakers === undefined ? {} : { maxBreakers: o.maxBreakers }),
      ...(o.idleTtl === undefined ? {} : { idleTtl: o.idleTtl }),
      ...(o.clock === undefined ? {} : { clock: o.clock }),
    });
  } catch (error) {
    // The registry names its own options (`defaults` is ours as `breaker`): pass its findings on.
    const detail = (error instanceof Error ? error.message : String(error))
      .replace(/^invalid BreakerRegistry options: /, '')
      .replace(/\bdefaults\b/g, 'breaker')
      .replace(/\bprefix\b/g, 'name');
    check.fail(
      'breaker or registry options',
      breaker,
      `valid (${detail})`,
      error instanceof TypeError ? 'type' : 'range',
    );
    return undefined;
  }
}

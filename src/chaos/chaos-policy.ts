import { NEVER_ABORTED_CONTEXT } from '../core/never-aborted.js';
import type { ExecuteOptions, Policy, PolicyContext, Protected } from '../core/policy.js';
import { type Random, systemRandom } from '../core/random.js';
import { isAbortSignal, type OptionChecker, signalError } from '../core/validate.js';

/** Options every chaos policy shares. */
export interface ChaosOptions {
  /** Fraction of calls, in [0, 1], that get the fault while enabled. Default `1`. */
  readonly rate?: number;
  /** Whether the policy injects at all; change it at run time with `enabled`, `enable()`, `disable()`. Default `true`. */
  readonly enabled?: boolean;
  /** Randomness that decides each injection; pass `seededRandom(seed)` to replay a run. Default `Math.random`. */
  readonly random?: Random;
}

/** What a chaos policy has done since it was made. */
export interface ChaosStats {
  /** Calls that went through the policy. */
  readonly calls: number;
  /** Calls that got the fault. */
  readonly injected: number;
}

/** The option names shared by every chaos policy. */
export const CHAOS_KEYS = ['rate', 'enabled', 'random'] as const;

/** Checks the shared options; returns them with defaults applied. */
export function checkChaosOptions(
  check: OptionChecker,
  options: ChaosOptions,
): { rate: number; enabled: boolean; random: Random } {
  const rate = options.rate ?? 1;
  check.number('rate', rate, { min: 0, max: 1 });
  const enabled = options.enabled ?? true;
  if (typeof enabled !== 'boolean') check.fail('enabled', enabled, 'a boolean', 'type');
  const random = options.random ?? systemRandom;
  check.func('random', random);
  return { rate, enabled, random };
}

/** Validates an options argument as an object before its keys are read. */
export function checkObject(check: OptionChecker, options: unknown): options is object {
  if (typeof options === 'object' && options !== null) return true;
  check.fail('options', options, 'an object', 'type');
  check.throwIfAny();
  return false;
}

/**
 * The common part of `fault`, `latency`, `hang` and `outcome`: an ordinary {@link Policy} that,
 * while enabled, draws one random number per call and injects when it falls below `rate`.
 * Subclasses say what an injection does.
 */
export abstract class ChaosPolicy implements Policy {
  /** Whether the policy injects. Switch it at run time; a disabled policy only calls through. */
  enabled: boolean;
  #rate: number;
  readonly #random: Random;
  readonly #name: string;
  #calls = 0;
  #injected = 0;

  protected constructor(name: string, shared: { rate: number; enabled: boolean; random: Random }) {
    this.#name = name;
    this.#rate = shared.rate;
    this.enabled = shared.enabled;
    this.#random = shared.random;
  }

  /** Fraction of calls, in [0, 1], that get the fault while enabled. May be changed at run time. */
  get rate(): number {
    return this.#rate;
  }

  /** Sets the fraction of calls that get the fault; a value outside [0, 1] is a `RangeError`. */
  set rate(value: number) {
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new RangeError(`${this.#name}: rate must be a number in [0, 1] (got ${String(value)})`);
    }
    this.#rate = value;
  }

  /** Turns injection on. */
  enable(): void {
    this.enabled = true;
  }

  /** Turns injection off: calls pass straight through. */
  disable(): void {
    this.enabled = false;
  }

  /** Calls seen and faults injected so far. */
  get stats(): ChaosStats {
    return { calls: this.#calls, injected: this.#injected };
  }

  /** Runs `fn`, or injects the fault instead (or before it) for a `rate` share of calls. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`${this.#name}: execute(fn) needs a function (got ${typeof fn})`));
    }
    let signal: unknown;
    try {
      signal = options?.signal; // a throwing getter or proxy rejects the call, like any other bad argument
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(signalError(`${this.#name}: execute(fn, { signal })`, signal));
    }
    if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
    this.#calls++;
    const context = signal === undefined ? NEVER_ABORTED_CONTEXT : { signal };
    if (!this.enabled || !(this.#random() < this.#rate)) return callThrough(fn, context);
    this.#injected++;
    return this.inject(fn, context, signal);
  }

  /** Returns a function with `fn`'s parameters that runs it under this policy; `this` is passed on. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>> {
    if (typeof fn !== 'function') {
      throw new TypeError(`${this.#name}: wrap(fn) needs a function (got ${typeof fn})`);
    }
    const execute = this.execute.bind(this);
    return function (this: unknown, ...args: A): Promise<Awaited<R>> {
      return execute(() => fn.apply(this, args)) as Promise<Awaited<R>>;
    };
  }

  /** What an injected call does. `signal` is the caller's, when there is one. */
  protected abstract inject<T>(
    fn: Protected<T>,
    context: PolicyContext,
    signal: AbortSignal | undefined,
  ): Promise<T>;
}

/** Calls `fn`, turning a synchronous throw into a rejection. */
export async function callThrough<T>(fn: Protected<T>, context: PolicyContext): Promise<T> {
  return fn(context);
}

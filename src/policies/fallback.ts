import type { ExecuteOptions, Protected } from '../core/policy.js';
import type { AnsweringPolicy } from '../core/pipeline.js';
import { checkSignal, OptionChecker } from '../core/validate.js';
import { checkName, checkObject, checkTelemetry, Contexts, isAborted } from './common.js';
import type { Telemetry } from '../core/telemetry.js';

/** Options of {@link fallback}. */
export interface FallbackOptions {
  /** Which errors the fallback answers. Default: every error (except a caller abort). */
  readonly when?: (error: unknown) => boolean;
  /** Label for docs and pipelines. Default `'fallback'`. */
  readonly name?: string;
  /** A telemetry stream to report each fallback answer into. */
  readonly telemetry?: Telemetry;
}

/** Produces the fallback answer from the error; may be async. */
export type FallbackFunction<F> = (error: unknown) => F | PromiseLike<F>;

/**
 * Answers with a default or degraded value instead of an error. Give it a value, or a function
 * that receives the error and returns (or resolves to) the answer. To answer with a function
 * value, return it from a function: `fallback(() => noop)`.
 *
 * It answers every error the protected function (or the policies inside it) throws —
 * `CircuitOpenError`, `CallTimeoutError`, `BulkheadFullError` included — unless `when` says
 * otherwise, and never a caller abort: a caller that gave up wants no answer. Put it outermost.
 *
 * @example
 * const prices = pipeline(fallback((error) => cachedPrices(error)), retry(), breaker, timeout(500));
 */
export function fallback<F>(
  answer: F | FallbackFunction<F>,
  options: FallbackOptions = {},
): FallbackPolicy<F> {
  return new FallbackPolicy<F>(answer, options);
}

/** The policy made by {@link fallback}: its calls resolve with the function's result or an `F`. */
export class FallbackPolicy<F> implements AnsweringPolicy<F> {
  /** Label for docs and pipelines. */
  readonly name: string;
  /** Type-level marker of what the policy may answer besides the function's result. */
  declare readonly answers?: F;
  readonly #answer: FallbackFunction<F>;
  readonly #when: ((error: unknown) => boolean) | undefined;
  readonly #contexts = new Contexts();
  readonly #telemetry: Telemetry | undefined;

  constructor(answer: F | FallbackFunction<F>, options: FallbackOptions = {}) {
    const check = new OptionChecker('fallback');
    checkObject(check, options, ['when', 'name', 'telemetry']);
    this.#telemetry = checkTelemetry(check, options.telemetry);
    this.name = checkName(check, options.name, 'fallback');
    if (options.when !== undefined) check.func('when', options.when);
    check.throwIfAny();
    this.#answer = typeof answer === 'function' ? (answer as FallbackFunction<F>) : () => answer;
    this.#when = options.when;
  }

  /** Runs `fn`; when it fails (and `when` agrees), resolves with the fallback answer instead. */
  async execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T | F> {
    if (typeof fn !== 'function')
      throw new TypeError(`fallback "${this.name}": execute(fn) needs a function`);
    const signal = options?.signal;
    checkSignal(`fallback "${this.name}": execute(fn, { signal })`, signal);
    try {
      return await fn(this.#contexts.for(signal));
    } catch (error) {
      if (isAborted(signal) || (this.#when !== undefined && !this.#when(error))) throw error;
      if (this.#telemetry?.active === true)
        this.#telemetry.emit({ type: 'fallback', policy: this.name, kind: 'fallback' });
      return this.#answer(error);
    }
  }

  /** Returns a function with `fn`'s parameters that runs it under this policy; `this` is passed on. */
  wrap<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
  ): (...args: A) => Promise<Awaited<R> | F> {
    if (typeof fn !== 'function') throw new TypeError(`fallback "${this.name}": wrap(fn) needs a function`);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    return function (this: unknown, ...args: A): Promise<Awaited<R> | F> {
      return self.execute(() => fn.apply(this, args)) as Promise<Awaited<R> | F>;
    };
  }
}

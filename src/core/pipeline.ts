/**
 * Composition: `pipeline(a, b, c)` runs a function under `c`, that under `b`, that under `a`
 * (outermost first, like cockatiel's `wrap` and Polly's pipeline builder).
 */
import type { ExecuteOptions, PolicyContext, Protected } from './policy.js';
import { isAbortSignal, show, signalError } from './validate.js';

/**
 * A policy whose calls resolve with the function's result or with an answer of its own, of type
 * `F` (a fallback, a queue receipt). Every `Policy` is an `AnsweringPolicy<never>`.
 */
export interface AnsweringPolicy<F = never> {
  /** Runs `fn` under the policy. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T | F>;
  /** Returns a function with the same parameters as `fn` that runs it under the policy. */
  wrap<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
  ): (...args: A) => Promise<Awaited<R> | F>;
}

/** What a policy may answer besides the function's result: `never` for most policies. */
export type AnswerOf<P> = P extends {
  /** The policy's type-level marker of what it may answer. */
  readonly answers?: infer F;
}
  ? Exclude<F, undefined>
  : never;

/** The union of the answers of every policy in `P`. */
type AnswersOf<P extends readonly unknown[]> = { [K in keyof P]: AnswerOf<P[K]> }[number];

/** A composed policy: see {@link pipeline}. */
export interface Pipeline<F = never> extends AnsweringPolicy<F> {
  /** The names of the composed policies, outermost first, joined by ` → `. */
  readonly name: string;
  /** Type-level marker of what the pipeline may answer besides the function's result. */
  readonly answers?: F;
}

/**
 * Composes policies, **outermost first**: `pipeline(fallback, retry, breaker, timeout)` runs a
 * call under the timeout, inside the breaker, inside the retry, inside the fallback. The signal
 * flows inward: each policy hands the next one the signal it received or derived (a timeout's
 * signal aborts at the deadline, the caller's signal aborts everything).
 *
 * The result is itself a policy, so pipelines nest and `protect(...)` decorates them. Its
 * calls resolve with the function's result or with the answer of a fallback in the pipeline;
 * the type says so.
 *
 * @example
 * const resilient = pipeline(fallback(null), retry({ maxAttempts: 3 }), breaker, timeout(2_000));
 * const user = await resilient.execute(({ signal }) => fetchUser(id, { signal })); // User | null
 */
export function pipeline<const P extends readonly [AnsweringPolicy<unknown>, ...AnsweringPolicy<unknown>[]]>(
  ...policies: P
): Pipeline<AnswersOf<P>> {
  policies.forEach((policy: unknown, i) => {
    const p = policy as Partial<AnsweringPolicy<unknown>> | null;
    if (
      typeof p !== 'object' ||
      p === null ||
      typeof p.execute !== 'function' ||
      typeof p.wrap !== 'function'
    ) {
      throw new TypeError(
        `pipeline: argument ${i} is not a policy (an object with execute and wrap) (got ${show(policy)})`,
      );
    }
  });
  return new ComposedPolicy(policies) as unknown as Pipeline<AnswersOf<P>>;
}

type Run = (fn: Protected<unknown>, options: ExecuteOptions | undefined) => Promise<unknown>;

class ComposedPolicy implements Pipeline<unknown> {
  readonly name: string;
  readonly #run: Run;

  constructor(policies: readonly AnsweringPolicy<unknown>[]) {
    this.name = policies
      .map((p) => {
        const name = (p as { name?: unknown }).name;
        return typeof name === 'string' ? name : 'policy';
      })
      .join(' → ');
    // Built once, innermost first: each policy runs the rest of the pipeline as its function. The
    // context a policy hands over is passed on as the next policy's options, so its signal is read
    // only if a policy needs it.
    const run = policies.reduceRight<Run | undefined>(
      (inner, policy) =>
        inner === undefined
          ? (fn, options) => policy.execute(fn, options)
          : (fn, options) => policy.execute((context: PolicyContext) => inner(fn, context), options),
      undefined,
    );
    if (run === undefined) throw new TypeError('pipeline(...policies) needs at least one policy');
    this.#run = run;
  }

  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<unknown> {
    if (typeof fn !== 'function') {
      return Promise.reject(new TypeError(`pipeline "${this.name}": execute(fn) needs a function`));
    }
    let signal: unknown;
    try {
      signal = options?.signal; // a throwing getter or proxy rejects the call, like any other bad argument
    } catch (error) {
      return Promise.reject(error);
    }
    if (signal !== undefined && !isAbortSignal(signal)) {
      return Promise.reject(signalError(`pipeline "${this.name}": execute(fn, { signal })`, signal));
    }
    return this.#run(fn, options);
  }

  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<unknown> {
    if (typeof fn !== 'function') throw new TypeError(`pipeline "${this.name}": wrap(fn) needs a function`);
    const run = this.#run;
    return function (this: unknown, ...args: A): Promise<unknown> {
      return run(() => fn.apply(this, args), undefined);
    };
  }
}

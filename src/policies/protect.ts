import type { AnswerOf } from '../core/pipeline.js';
import { type AnyFunction, markGuarded, threeFormDecorator } from '../core/decorate.js';
import { show } from '../core/validate.js';

const POLICY = Symbol.for('breakwater.policy');

/** Anything `protect` can put around a function: a policy, a pipeline, a stale cache. */
export interface Wrapper<F = never> {
  /** Returns `fn` run under the policy: same parameters, a Promise of its result or `F`. */
  wrap<A extends unknown[], R>(
    fn: (...args: A) => R | PromiseLike<R>,
  ): (...args: A) => Promise<Awaited<R> | F>;
}

/**
 * What `protect(...)` returns: a TC39 method decorator, a legacy (`experimentalDecorators`)
 * method decorator, and a plain function wrapper, in one. `F` is what the policy may answer
 * besides the function's result (a fallback value): a decorated method must be able to return it.
 */
export interface ProtectDecorator<F = never> {
  /** Standard (TC39) method decorator: `@protect(policy) async method() {}`. */
  <This, A extends unknown[], R>(
    method: (this: This, ...args: A) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): (this: This, ...args: A) => Promise<R | F>;
  /** Plain wrapper: `protect(policy)(fn)`; same parameters, a Promise of the same result. */
  <This, A extends unknown[], R>(
    fn: (this: This, ...args: A) => R | PromiseLike<R>,
  ): (this: This, ...args: A) => Promise<Awaited<R> | F>;
  /** Legacy method decorator (TypeScript `experimentalDecorators`, as in NestJS projects). */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Puts any policy or pipeline around a function or method, as `circuitBreaker(...)` does for a
 * breaker. The policy is shared: as a method decorator, every instance of the class runs its
 * calls through the same policy object (one bulkhead, one retry budget, one breaker for all).
 * `this` and the arguments are passed on.
 *
 * @example
 * const resilient = pipeline(retry({ maxAttempts: 3 }), breaker, timeout(2_000));
 * class Inventory {
 *   @protect(resilient)
 *   async stock(sku: string) { ... }
 * }
 * const guarded = protect(resilient)(fetchStock);
 */
export function protect<P extends Wrapper<unknown>>(policy: P): ProtectDecorator<AnswerOf<P>> {
  if (
    typeof policy !== 'object' ||
    (policy as unknown) === null ||
    typeof (policy as Partial<Wrapper>).wrap !== 'function'
  ) {
    throw new TypeError(
      `protect(policy) needs a policy or pipeline (an object with a wrap method) (got ${show(policy)})`,
    );
  }
  // Every breakwater policy's wrap passes `this` on, so the result serves as a method as it is.
  const guard = (fn: AnyFunction): AnyFunction =>
    markGuarded(policy.wrap(fn as (...args: unknown[]) => unknown), fn, POLICY, policy);
  return threeFormDecorator('protect', guard) as ProtectDecorator<AnswerOf<P>>;
}

/** The policy behind a function made by `protect(...)` (or a decorated method), if any. */
export function policyOf(fn: unknown): unknown {
  if (typeof fn !== 'function') return undefined;
  return (fn as unknown as Record<symbol, unknown>)[POLICY];
}

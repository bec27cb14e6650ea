import { type AnyFunction, markGuarded, threeFormDecorator } from '../core/decorate.js';
import { CircuitBreaker, isCircuitBreaker } from './circuit-breaker.js';
import { type CircuitBreakerOptions, resolveOptions } from './options.js';

const BREAKER = Symbol.for('breakwater.breaker');

/**
 * What `circuitBreaker(...)` returns: a TC39 method decorator, a legacy
 * (`experimentalDecorators`) method decorator, and a plain function wrapper, in one.
 */
export interface CircuitBreakerDecorator {
  /** Standard (TC39) method decorator: `@circuitBreaker(options) async method() {}`. */
  <This, A extends unknown[], R>(
    method: (this: This, ...args: A) => Promise<R>,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: A) => Promise<R>>,
  ): (this: This, ...args: A) => Promise<R>;
  /**
   * Plain wrapper: `circuitBreaker(options)(fn)`; same parameters, a Promise of the same result.
   * (`context` is never given: declaring it stops TypeScript from accepting this form as a
   * decorator of getters, setters and fields, which are rejected at run time.)
   */
  <This, A extends unknown[], R>(
    fn: (this: This, ...args: A) => R | PromiseLike<R>,
    context?: undefined,
  ): (this: This, ...args: A) => Promise<Awaited<R>>;
  /** Legacy method decorator (TypeScript `experimentalDecorators`, as in NestJS projects). */
  (target: object, propertyKey: string | symbol, descriptor: PropertyDescriptor): PropertyDescriptor;
}

/**
 * Puts a circuit breaker around a function or method. Give it options (a breaker is created,
 * named after the function or method unless `name` is given) or an existing `CircuitBreaker`.
 *
 * As a method decorator it creates **one breaker per decorated method, shared by every instance
 * of the class**, like a breaker around a module-level function: a dependency is usually shared
 * by all instances. Use `breakerOf(instance.method)` to reach it (stats, events, manual control).
 *
 * @example
 * class PaymentService {
 *   @circuitBreaker({ failureThreshold: 5, recoveryTimeout: 30_000 })
 *   async charge(orderId: string, amount: number) { ... }
 * }
 * const guarded = circuitBreaker({ failureThreshold: 5 })(callPaymentService);
 */
export function circuitBreaker(
  options: CircuitBreakerOptions | CircuitBreaker = {},
): CircuitBreakerDecorator {
  // Validate now, so a bad option fails where the decorator is written, not at the first call.
  if (!isCircuitBreaker(options)) resolveOptions(options);
  const breakerFor = (name: string): CircuitBreaker =>
    isCircuitBreaker(options) ? options : new CircuitBreaker({ ...options, name: options.name ?? name });
  // The same three forms as `protect(breaker)`, with a breaker made per decorated function.
  const guard = (fn: AnyFunction, name: string): AnyFunction => {
    const breaker = breakerFor(name || 'breaker');
    return markGuarded(breaker.wrap(fn as (...args: unknown[]) => unknown), fn, BREAKER, breaker);
  };
  return threeFormDecorator('circuitBreaker', guard) as CircuitBreakerDecorator;
}

/** The breaker behind a function made by `circuitBreaker(...)` (or a decorated method), if any. */
export function breakerOf(fn: unknown): CircuitBreaker | undefined {
  if (typeof fn !== 'function') return undefined;
  const breaker = (fn as unknown as Record<symbol, unknown>)[BREAKER];
  return isCircuitBreaker(breaker) ? breaker : undefined;
}

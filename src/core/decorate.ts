/**
 * The three forms of a decorator that puts a policy around a function, shared by `protect(...)`
 * and `circuitBreaker(...)`: a plain wrapper (`decorate(fn)`), a TC39 method decorator and a
 * legacy (`experimentalDecorators`) method decorator.
 */

/** Any function, as a decorator receives it. */
export type AnyFunction = (this: never, ...args: never[]) => unknown;

/** Puts a policy around `fn`; `name` is the function's or the method's name. */
export type Guard = (fn: AnyFunction, name: string) => AnyFunction;

/**
 * The decorator function for `guard`. `label` names the decorator in errors (`protect`,
 * `circuitBreaker`). Getters, setters, fields and classes are refused with a `TypeError`.
 */
export function threeFormDecorator(
  label: string,
  guard: Guard,
): (target: unknown, context?: unknown, descriptor?: PropertyDescriptor) => unknown {
  return function apply(target: unknown, context?: unknown, descriptor?: PropertyDescriptor): unknown {
    if (typeof target === 'function' && context === undefined)
      return guard(target as AnyFunction, target.name);
    if (typeof context === 'object' && context !== null && 'kind' in context) {
      const ctx = context as { kind: string; name: string | symbol };
      if (ctx.kind !== 'method' || typeof target !== 'function') {
        const what = /^[aeiou]/.test(ctx.kind) ? `an ${ctx.kind}` : `a ${ctx.kind}`;
        throw new TypeError(
          `@${label} is a method decorator: it decorates methods and functions, not ${what} (${String(ctx.name)})`,
        );
      }
      return guard(target as AnyFunction, String(ctx.name));
    }
    // Legacy form: the target is the prototype (an instance method) or the class (a static one).
    if (
      ((typeof target === 'object' && target !== null) || typeof target === 'function') &&
      (typeof context === 'string' || typeof context === 'symbol') &&
      typeof descriptor?.value === 'function'
    ) {
      return { ...descriptor, value: guard(descriptor.value as AnyFunction, String(context)) };
    }
    throw new TypeError(
      `${label}(...) must be applied to a function, or used as a method decorator (standard or experimentalDecorators)`,
    );
  };
}

/**
 * Gives `guarded` the name of `original` and a hidden link (`key`) to what guards it, so
 * `breakerOf` / `policyOf` can find it.
 */
export function markGuarded(
  guarded: AnyFunction,
  original: AnyFunction,
  key: symbol,
  value: unknown,
): AnyFunction {
  Object.defineProperty(guarded, key, { value });
  Object.defineProperty(guarded, 'name', { value: original.name, configurable: true });
  return guarded;
}

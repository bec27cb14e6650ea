import { OptionChecker } from '../core/validate.js';
import {
  CHAOS_KEYS,
  type ChaosOptions,
  ChaosPolicy,
  checkChaosOptions,
  checkObject,
} from './chaos-policy.js';

/** Options of {@link outcome}: give exactly one of `value` and `valueFn`. */
export interface OutcomeOptions extends ChaosOptions {
  /** The result returned instead of calling the function. */
  readonly value?: unknown;
  /** Computes the result of each injected call (may return a promise). */
  readonly valueFn?: () => unknown;
}

/** A policy that answers a share of calls with a made-up result. See {@link outcome}. */
export class OutcomePolicy extends ChaosPolicy {
  readonly #make: () => unknown;

  constructor(options: OutcomeOptions) {
    const check = new OptionChecker('outcome');
    checkObject(check, options);
    check.knownKeys(options, [...CHAOS_KEYS, 'value', 'valueFn']);
    const shared = checkChaosOptions(check, options);
    const hasValue = 'value' in options;
    const { value, valueFn } = options;
    if (hasValue === (valueFn !== undefined)) {
      check.fail('value', value, 'given, or else valueFn, but not both', 'type');
    } else if (valueFn !== undefined) {
      check.func('valueFn', valueFn);
    }
    check.throwIfAny();
    super('outcome', shared);
    this.#make = valueFn ?? (() => value);
  }

  protected inject<T>(): Promise<T> {
    try {
      return Promise.resolve(this.#make() as T);
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/**
 * Outcome injection: a `rate` share of calls resolves with `value` (or what `valueFn` returns)
 * without calling the protected function — an HTTP 503 response, an empty list, a stale
 * record. Pair it with `isResultFailure` to check that bad answers open the circuit. The
 * caller receives the value as the call's result type: make it one.
 *
 * @example
 * const unavailable = outcome({ rate: 0.3, valueFn: () => new Response(null, { status: 503 }) });
 */
export function outcome(options: OutcomeOptions): OutcomePolicy {
  return new OutcomePolicy(options);
}

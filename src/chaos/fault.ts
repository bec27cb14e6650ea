import { OptionChecker } from '../core/validate.js';
import {
  CHAOS_KEYS,
  type ChaosOptions,
  ChaosPolicy,
  checkChaosOptions,
  checkObject,
} from './chaos-policy.js';

/** Options of {@link fault}: give `error` or `errorFactory` (neither: a plain `Error`). */
export interface FaultOptions extends ChaosOptions {
  /** The value to reject with on each injection. */
  readonly error?: unknown;
  /** Builds the rejection on each injection (a fresh stack per call). */
  readonly errorFactory?: () => unknown;
}

/** A policy that fails a share of calls without running them. See {@link fault}. */
export class FaultPolicy extends ChaosPolicy {
  readonly #make: () => unknown;

  constructor(options: FaultOptions = {}) {
    const check = new OptionChecker('fault');
    checkObject(check, options);
    check.knownKeys(options, [...CHAOS_KEYS, 'error', 'errorFactory']);
    const shared = checkChaosOptions(check, options);
    const { error, errorFactory } = options;
    if (errorFactory !== undefined) check.func('errorFactory', errorFactory);
    if (errorFactory !== undefined && 'error' in options) {
      check.fail('error', error, 'left out when errorFactory is given (pick one)', 'type');
    }
    check.throwIfAny();
    super('fault', shared);
    this.#make =
      errorFactory ??
      ('error' in options ? () => error : () => new Error('fault injected by breakwater/chaos'));
  }

  protected inject<T>(): Promise<T> {
    try {
      return Promise.reject(this.#make());
    } catch (factoryError) {
      return Promise.reject(factoryError);
    }
  }
}

/**
 * Fault injection: rejects a `rate` share of calls with `error` (or what `errorFactory` returns)
 * without calling the protected function. Use it to check that a breaker opens and a fallback
 * answers when a dependency fails.
 *
 * @example
 * const failing = fault({ rate: 0.5, errorFactory: () => new Error('ECONNRESET'), random: seededRandom(7) });
 * await breaker.execute(() => failing.execute(() => inventory.get(id)));
 */
export function fault(options: FaultOptions = {}): FaultPolicy {
  return new FaultPolicy(options);
}

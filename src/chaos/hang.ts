import type { PolicyContext, Protected } from '../core/policy.js';
import { OptionChecker } from '../core/validate.js';
import {
  CHAOS_KEYS,
  type ChaosOptions,
  ChaosPolicy,
  checkChaosOptions,
  checkObject,
} from './chaos-policy.js';

/** Options of {@link hang}. */
export type HangOptions = ChaosOptions;

/** A policy that never answers a share of calls. See {@link hang}. */
export class HangPolicy extends ChaosPolicy {
  constructor(options: HangOptions = {}) {
    const check = new OptionChecker('hang');
    checkObject(check, options);
    check.knownKeys(options, CHAOS_KEYS);
    const shared = checkChaosOptions(check, options);
    check.throwIfAny();
    super('hang', shared);
  }

  protected inject<T>(
    _fn: Protected<T>,
    _context: PolicyContext,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return new Promise<T>((_resolve, reject) => {
      signal?.addEventListener(
        'abort',
        () => {
          reject(signal.reason);
        },
        { once: true },
      );
    });
  }
}

/**
 * Hang injection: a `rate` share of calls never settles and the protected function is not
 * called, like a dependency that accepted the connection and went silent. Only the caller's
 * signal ends such a call (it rejects with the abort reason), so put a timeout, or a breaker with
 * one, outside it: that is what it tests.
 *
 * @example
 * const silent = hang({ rate: 1, enabled: false });
 * silent.enable(); // from now on every call hangs until its signal aborts
 */
export function hang(options: HangOptions = {}): HangPolicy {
  return new HangPolicy(options);
}

import { isTelemetry, type Telemetry } from '../core/telemetry.js';
/**
 * Small pieces shared by the companion policies: option checks for the fields every policy has,
 * the context handed to a protected function, and warnings about callbacks.
 */
import { NEVER_ABORTED_CONTEXT } from '../core/never-aborted.js';
import type { PolicyContext } from '../core/policy.js';
import type { OptionChecker } from '../core/validate.js';
import { describeError } from '../core/describe-error.js';
import { processWarning } from '../core/warn.js';

/** Checks a `telemetry` option. */
export function checkTelemetry(check: OptionChecker, telemetry: unknown): Telemetry | undefined {
  if (telemetry === undefined) return undefined;
  if (!isTelemetry(telemetry)) check.fail('telemetry', telemetry, 'a Telemetry stream', 'type');
  return telemetry as Telemetry;
}

/** Checks a `name` option; returns the name to use. */
export function checkName(check: OptionChecker, name: unknown, fallback: string): string {
  if (name === undefined) return fallback;
  if (typeof name !== 'string' || name.length === 0) check.fail('name', name, 'a non-empty string', 'type');
  return name as string;
}

/** Checks that `options` is an object (or absent) and has only `known` keys. */
export function checkObject(check: OptionChecker, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options as object, known);
}

/**
 * Hands a protected function its `{ signal }`: the caller's signal when there is one, otherwise a
 * shared context whose signal never aborts and keeps no listeners (see `never-aborted.ts`).
 */
export class Contexts {
  /** The context for a call whose caller passed `signal` (or none). */
  for(signal: AbortSignal | undefined): PolicyContext {
    return signal === undefined ? NEVER_ABORTED_CONTEXT : { signal };
  }
}

/** Reports a problem that must not change a call's outcome (a throwing callback) as a process warning. */
export function warn(message: string, error: unknown): void {
  processWarning(
    `breakwater: ${message}: ${describeError(error, 'stack')}`,
    'BreakwaterWarning',
    'BREAKWATER_CALLBACK',
  );
}

/**
 * Reports what a callback returned when it is a promise that rejects (an `async` callback), as
 * {@link warn} reports a throw; `message` says which callback, e.g. `onStale of "prices" returned a rejected promise`.
 */
export function warnOnRejection(result: unknown, message: string): void {
  if ((typeof result !== 'object' && typeof result !== 'function') || result === null) return;
  try {
    const then = (result as { then?: unknown }).then;
    if (typeof then === 'function') {
      (then as PromiseLike<unknown>['then']).call(result, undefined, (error: unknown) => {
        warn(message, error);
      });
    }
  } catch (error) {
    warn(message, error);
  }
}

/** True when `signal` has aborted (a function, so checks after an `await` are not narrowed away). */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

import { isTelemetry, type Telemetry } from '../core/telemetry.js';
/**
 * Small pieces shared by the companion policies: option checks for the fields every policy has,
 * the context handed to a protected function, and an abortable delay on an injected clock.
 */
import type { Clock } from '../core/clock.js';
import { NEVER_ABORTED_CONTEXT } from '../core/never-aborted.js';
import type { PolicyContext } from '../core/policy.js';
import type { OptionChecker } from '../core/validate.js';
import { describeError } from '../core/describe-error.js';

/** The largest delay a Node timer accepts. */
export const MAX_DELAY_MS = 2_147_483_647;

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

/** Checks a `clock` option (a `Clock` with `now`, `setTimeout`, `clearTimeout`). */
export function checkClock(check: OptionChecker, clock: unknown): void {
  const c = clock as Partial<Clock> | null;
  if (
    typeof c !== 'object' ||
    c === null ||
    typeof c.now !== 'function' ||
    typeof c.setTimeout !== 'function' ||
    typeof c.clearTimeout !== 'function'
  ) {
    check.fail('clock', clock, 'a Clock with now(), setTimeout() and clearTimeout()', 'type');
  }
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

/**
 * Waits `ms` on `clock`. Rejects at once with the signal's reason when `signal` aborts (the timer
 * is cleared), and does not start at all when it already has.
 */
export function delay(clock: Clock, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(signal.reason as unknown);
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason as unknown);
    };
    // The wait is the caller's awaited work: it keeps the process alive, as any sleep would.
    const timer = clock.setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      ms,
      { keepAlive: true },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Reports a problem that must not change a call's outcome (a throwing callback) as a process warning. */
export function warn(message: string, error: unknown): void {
  const text = `breakwater: ${message}: ${describeError(error, 'stack')}`;
  const proc = (globalThis as { process?: { emitWarning?: (w: string, o: object) => void } }).process;
  if (proc?.emitWarning) proc.emitWarning(text, { type: 'BreakwaterWarning', code: 'BREAKWATER_CALLBACK' });
  else console.warn(text);
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

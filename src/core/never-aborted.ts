/**
 * The signal of calls that nothing can abort (no timeout, no caller's signal): one `AbortSignal`
 * for the whole process, made on first read, whose controller is dropped at once, so it never
 * aborts. Its abort listeners could never run, so it does not keep them: `addEventListener` and
 * `removeEventListener` on it do nothing. A function that adds an abort listener on every call
 * (as `fetch` and database drivers do) then neither grows its listener list without bound nor
 * triggers Node's `MaxListenersExceededWarning`, and sharing it costs no allocation per call.
 */
import type { PolicyContext } from './policy.js';

let never: AbortSignal | undefined;

const ignore = (): void => undefined;

/** The process-wide never-aborting signal; see the module comment. */
export function neverAborted(): AbortSignal {
  if (never === undefined) {
    const signal = new AbortController().signal;
    Object.defineProperties(signal, {
      addEventListener: { value: ignore },
      removeEventListener: { value: ignore },
    });
    never = signal;
  }
  return never;
}

/** The context of calls that nothing can abort; its signal is read lazily (most functions never read it). */
export const NEVER_ABORTED_CONTEXT: PolicyContext = Object.freeze({
  get signal(): AbortSignal {
    return neverAborted();
  },
});

/**
 * Process warnings: the one way breakwater reports a problem that must not change a call's
 * outcome (a throwing listener or callback, a classifier that returned a promise).
 */

interface WarningProcess {
  emitWarning?: (warning: string, options: object) => void;
}

/**
 * Emits `message` as a process warning of `type` (and `code`, when given); without a `process`
 * (a browser-like runtime) it goes to `console.warn`.
 */
export function processWarning(message: string, type: string, code?: string): void {
  const proc = (globalThis as { process?: WarningProcess }).process;
  if (typeof proc?.emitWarning === 'function') {
    proc.emitWarning(message, code === undefined ? { type } : { type, code });
  } else {
    console.warn(message);
  }
}

// `describeError` (text for any thrown value, never throwing) lives in describe-error.ts.
export { describeError } from './describe-error.js';

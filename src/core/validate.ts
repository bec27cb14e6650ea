/**
 * Option validation that reports every problem at once. A checker collects violations by option
 * name; `throwIfAny` raises a single error listing them all, a `TypeError` when any value has the
 * wrong type and a `RangeError` when every value has the right type but a bad value.
 */

import { isClock } from './clock.js';

/**
 * Names a value in an error message. Objects are named by what they are — `a Telemetry`,
 * `a Map`, `an empty object`, `a plain object with keys a, b` — because an instance whose state
 * is private prints as `{}`; a small plain object or array is shown as JSON.
 */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value !== 'object' || value === null) return String(value);
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null && !Array.isArray(value)) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? article(name) : 'an object';
  }
  const keys = Object.keys(value);
  if (keys.length === 0 && !Array.isArray(value)) return 'an empty object';
  // JSON drops functions and undefined: an object holding them is named by its keys instead.
  const record = value as Record<string, unknown>;
  if (keys.every((k) => typeof record[k] !== 'function' && record[k] !== undefined)) {
    try {
      const json = JSON.stringify(value);
      if (json.length <= 60) return json;
    } catch {
      // A cycle: named by its keys below.
    }
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const shown = keys.slice(0, 6).join(', ');
  return `a plain object with keys ${shown}${keys.length > 6 ? ', ...' : ''}`;
}

function article(name: string): string {
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

export class OptionChecker {
  readonly #subject: string;
  readonly #problems: string[] = [];
  #typeProblem = false;

  constructor(subject: string) {
    this.#subject = subject;
  }

  /** Records a problem with option `name` whose value is `value`. */
  fail(name: string, value: unknown, expected: string, kind: 'type' | 'range' = 'range'): void {
    this.#problems.push(`${name} must be ${expected} (got ${show(value)})`);
    if (kind === 'type') this.#typeProblem = true;
  }

  /** Rejects keys of `options` that are not in `known` (plain JavaScript callers make typos). */
  knownKeys(options: object, known: readonly string[], prefix = ''): void {
    for (const key of Object.keys(options)) {
      if (!known.includes(key)) {
        this.#problems.push(`${prefix}${key} is not a known option (known: ${known.join(', ')})`);
        this.#typeProblem = true;
      }
    }
  }

  /** A number; `integer` and the bounds narrow it. Returns whether it passed. */
  number(
    name: string,
    value: unknown,
    rule: { integer?: boolean; min?: number; max?: number; minExclusive?: boolean; allowInfinity?: boolean },
  ): boolean {
    if (typeof value !== 'number') {
      this.fail(name, value, describe(rule), 'type');
      return false;
    }
    const infinite = value === Infinity && rule.allowInfinity === true;
    const bad =
      Number.isNaN(value) ||
      (!Number.isFinite(value) && !infinite) ||
      (rule.integer === true && !infinite && !Number.isInteger(value)) ||
      (rule.min !== undefined && (rule.minExclusive === true ? value <= rule.min : value < rule.min)) ||
      (rule.max !== undefined && value > rule.max);
    if (bad) this.fail(name, value, describe(rule));
    return !bad;
  }

  /** A function, when present. */
  func(name: string, value: unknown): boolean {
    if (typeof value === 'function') return true;
    this.fail(name, value, 'a function', 'type');
    return false;
  }

  /** Throws one error naming every recorded problem, if there is any. */
  throwIfAny(): void {
    if (this.#problems.length === 0) return;
    const message = `invalid ${this.#subject} options: ${this.#problems.join('; ')}`;
    throw this.#typeProblem ? new TypeError(message) : new RangeError(message);
  }
}

function describe(rule: {
  integer?: boolean;
  min?: number;
  max?: number;
  minExclusive?: boolean;
  allowInfinity?: boolean;
}): string {
  const kind = rule.integer === true ? 'an integer' : 'a finite number';
  const parts = [kind];
  if (rule.min !== undefined) parts.push(rule.minExclusive === true ? `> ${rule.min}` : `>= ${rule.min}`);
  if (rule.max !== undefined) parts.push(`<= ${rule.max}`);
  let text = parts.join(' ');
  if (rule.allowInfinity === true) text += ' (or Infinity)';
  return text;
}

/**
 * True when `value` can serve as a caller's abort signal: an `AbortSignal`, or an object that
 * behaves as one (a boolean `aborted`, `addEventListener` and `removeEventListener`), such as the
 * `AbortSignal` of another realm (jsdom, a polyfill). undici's `fetch` accepts the same.
 */
export function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  const s = value as Partial<AbortSignal> | null;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.aborted === 'boolean' &&
    typeof s.addEventListener === 'function' &&
    typeof s.removeEventListener === 'function'
  );
}

/**
 * The `TypeError` for a `signal` option that is not an abort signal (see {@link isAbortSignal});
 * `where` names the call, e.g. `breaker "payments": execute(fn, { signal })`.
 */
export function signalError(where: string, value: unknown): TypeError {
  return new TypeError(`${where}: signal must be an AbortSignal or undefined (got ${show(value)})`);
}

/** Throws {@link signalError} unless `signal` is `undefined` or an abort signal (for async entry points). */
export function checkSignal(where: string, signal: unknown): asserts signal is AbortSignal | undefined {
  if (signal !== undefined && !isAbortSignal(signal)) throw signalError(where, signal);
}

/** Checks a `clock` option: a `Clock` with `now`, `setTimeout` and `clearTimeout`. */
export function checkClock(check: OptionChecker, clock: unknown): void {
  if (!isClock(clock))
    check.fail('clock', clock, 'a Clock with now(), setTimeout() and clearTimeout()', 'type');
}

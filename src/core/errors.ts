/**
 * Errors thrown by breakwater. Each has a stable `code`, the name of the policy that threw it,
 * and a guard (`isCircuitOpenError`, ...) that works even when two copies of the package are
 * installed, because it checks a `Symbol.for` brand rather than the class identity.
 */

const BRAND = Symbol.for('breakwater.error');

/** The state a breaker was in when it rejected a call. */
export type RejectingState = 'open' | 'half-open' | 'isolated';

/**
 * The options a {@link BreakwaterError} passes to `Error`. Declared here rather than as the
 * ES2022 library's `ErrorOptions`, so the published types compile with any `lib` setting.
 */
export interface BreakwaterErrorOptions {
  /** The error that caused this one. */
  readonly cause?: unknown;
}

/** Base class of every error breakwater throws. */
export class BreakwaterError extends Error {
  /** Stable machine-readable code, e.g. `ERR_CIRCUIT_OPEN`. */
  readonly code: string;
  /** Name of the breaker or policy that produced the error. */
  readonly policy: string;

  constructor(code: string, policy: string, message: string, options?: BreakwaterErrorOptions) {
    super(message, options);
    this.code = code;
    this.policy = policy;
  }

  /** The class's name (`'CircuitOpenError'`, …), also for errors made without the constructor. */
  override get name(): string {
    return this.constructor.name;
  }
}

// The brand is a getter on the prototype that answers the error's code: free at construction, not
// enumerable, and every copy of the package reads the same `Symbol.for` key.
Object.defineProperty(BreakwaterError.prototype, BRAND, {
  get(this: BreakwaterError): string {
    return this.code;
  },
});

/** Who refused a call: this process's breaker, or the fleet it belongs to. */
export type RejectionSource = 'local' | 'fleet';

/** A breaker rejected the call without running it. */
export class CircuitOpenError extends BreakwaterError {
  /** Name of the breaker. */
  readonly breaker: string;
  /** State that rejected the call. */
  readonly state: RejectingState;
  /**
   * Milliseconds until the breaker admits probes again: `0` in half-open (probes are being
   * admitted, all permits are taken), `Infinity` when isolated (no automatic recovery).
   */
  readonly retryAfterMs: number;
  /**
   * Who refused the call: `'local'`, this process's breaker, or `'fleet'`, the fleet the breaker
   * belongs to (its state is open or half-open for every instance while this process's own
   * breaker may be closed).
   */
  readonly source: RejectionSource;

  constructor(
    breaker: string,
    state: RejectingState,
    retryAfterMs: number,
    source: RejectionSource = 'local',
  ) {
    super('ERR_CIRCUIT_OPEN', breaker, openMessage(breaker, state, retryAfterMs));
    this.breaker = breaker;
    this.state = state;
    this.retryAfterMs = retryAfterMs;
    this.source = source;
  }

  /**
   * Builds the error the breaker rejects with. The result is an instance of `CircuitOpenError`,
   * `BreakwaterError` and `Error` with the same fields; its `message` is made when first read, and
   * its `stack` is the message line alone: the stack of a rejection says nothing that `breaker`
   * and `state` do not.
   *
   * Speed trick: the `Error` constructor is not run (its stack capture dominates a rejection, and
   * rejections come at full load), and `#shape` below keeps the objects' hidden class alive across
   * full garbage collections. Saves most of the cost of a rejection; benchmark row `open`
   * (figures: README, "Performance").
   */
  static fast(
    breaker: string,
    state: RejectingState,
    retryAfterMs: number,
    source: RejectionSource = 'local',
  ): CircuitOpenError {
    const error = Object.create(CircuitOpenError.prototype) as {
      -readonly [K in keyof CircuitOpenError]: CircuitOpenError[K];
    };
    error.code = 'ERR_CIRCUIT_OPEN';
    error.policy = breaker;
    error.breaker = breaker;
    error.state = state;
    error.retryAfterMs = retryAfterMs;
    error.source = source;
    return error;
  }

  // Part of the speed trick of `fast`: V8 holds a hidden class only while an object has it.
  // eslint-disable-next-line no-unused-private-class-members -- held, never read
  static readonly #shape = CircuitOpenError.fast('', 'open', 0.5);
}

function openMessage(breaker: string, state: RejectingState, retryAfterMs: number): string {
  return state === 'half-open'
    ? `circuit "${breaker}" is half-open and all probe permits are taken`
    : state === 'isolated'
      ? `circuit "${breaker}" is isolated`
      : `circuit "${breaker}" is open (probes admitted in ${Math.ceil(retryAfterMs)} ms)`;
}

// For errors made by `CircuitOpenError.fast` (which have no own `message` or `stack`): computed on
// read. Errors made with `new` have their own `message` and `stack`, which take precedence.
Object.defineProperties(CircuitOpenError.prototype, {
  message: {
    get(this: CircuitOpenError): string {
      return openMessage(this.breaker, this.state, this.retryAfterMs);
    },
    configurable: true,
  },
  stack: {
    get(this: CircuitOpenError): string {
      return `${this.name}: ${this.message}`;
    },
    configurable: true,
  },
});

/** A call took longer than its timeout; its `AbortSignal` was aborted. */
export class CallTimeoutError extends BreakwaterError {
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;

  constructor(policy: string, timeoutMs: number) {
    super('ERR_CALL_TIMEOUT', policy, `call through "${policy}" timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** A bulkhead had no free slot and no room in its queue (or the queue wait expired). */
export class BulkheadFullError extends BreakwaterError {
  /** Concurrent executions allowed by the bulkhead. */
  readonly maxConcurrent: number;
  /** Queue length allowed by the bulkhead. */
  readonly maxQueue: number;

  constructor(policy: string, maxConcurrent: number, maxQueue: number, reason = 'is full') {
    super(
      'ERR_BULKHEAD_FULL',
      policy,
      `bulkhead "${policy}" ${reason} (${maxConcurrent} running, queue ${maxQueue})`,
    );
    this.maxConcurrent = maxConcurrent;
    this.maxQueue = maxQueue;
  }
}

function brandOf(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return undefined;
  try {
    return (value as Record<symbol, unknown>)[BRAND];
  } catch {
    // A revoked Proxy, or one whose reads throw: not ours, and a guard never throws.
    return undefined;
  }
}

/** True for any error thrown by breakwater, from this copy of the package or another. */
export function isBreakwaterError(value: unknown): value is BreakwaterError {
  return typeof brandOf(value) === 'string';
}

/** True when `value` is a {@link CircuitOpenError}, from this copy of the package or another. */
export function isCircuitOpenError(value: unknown): value is CircuitOpenError {
  return brandOf(value) === 'ERR_CIRCUIT_OPEN';
}

/** True when `value` is a {@link CallTimeoutError}, from this copy of the package or another. */
export function isCallTimeoutError(value: unknown): value is CallTimeoutError {
  return brandOf(value) === 'ERR_CALL_TIMEOUT';
}

/** True when `value` is a {@link BulkheadFullError}, from this copy of the package or another. */
export function isBulkheadFullError(value: unknown): value is BulkheadFullError {
  return brandOf(value) === 'ERR_BULKHEAD_FULL';
}

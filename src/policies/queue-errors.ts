import { BreakwaterError, type BreakwaterErrorOptions, isBreakwaterError } from '../core/errors.js';

/**
 * `queueForLater` could not tell whether a request was stored: the storage's append failed after
 * it may have reached the store (a deadline missed, a connection lost mid-reply). The request may
 * be replayed later, under `receipt`, or never. Do not queue it again under a new receipt: either
 * wait and look for `receipt` (replays carry it), or queue it again with
 * `execute(fn, { payload, receipt })` so an idempotent consumer sees one request. `cause` is the
 * storage's error; `reason` is the error of the call that failed.
 */
export class QueueAppendUnknownError extends BreakwaterError {
  /** The receipt id the request was (or was not) stored under. */
  readonly receipt: string;
  /** The error that made the call fail (or be rejected). */
  readonly reason: unknown;

  constructor(policy: string, receipt: string, reason: unknown, cause: unknown) {
    super(
      'ERR_QUEUE_APPEND_UNKNOWN',
      policy,
      `queue "${policy}": the request may or may not have been queued (receipt ${receipt}): ` +
        `the storage failed mid-append: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
    this.receipt = receipt;
    this.reason = reason;
  }
}

/** True when `value` is a {@link QueueAppendUnknownError}, from this copy of the package or another. */
export function isQueueAppendUnknownError(value: unknown): value is QueueAppendUnknownError {
  return isBreakwaterError(value) && value.code === 'ERR_QUEUE_APPEND_UNKNOWN';
}

/**
 * A storage refused a request it cannot encode (a `bigint`, a function, a cycle, a `Map`...), before
 * anything was stored. Thrown by a storage with `cause` the encoder's detail; `queueForLater`
 * answers the caller with one whose `cause` is the error of the call that failed.
 */
export class QueueEncodeError extends BreakwaterError {
  /** Where in the request the value is, e.g. `payload.order.total`. */
  readonly path: string;
  /** What it is, e.g. `a bigint`. */
  readonly what: string;

  constructor(policy: string, path: string, what: string, options?: BreakwaterErrorOptions) {
    super(
      'ERR_QUEUE_ENCODE',
      policy,
      `queue "${policy}" cannot store the request: ${path} is ${what}, which JSON cannot carry; ` +
        'the request was not queued',
      options,
    );
    this.path = path;
    this.what = what;
  }
}

/** True when `value` is a {@link QueueEncodeError}, from this copy of the package or another. */
export function isQueueEncodeError(value: unknown): value is QueueEncodeError {
  return isBreakwaterError(value) && value.code === 'ERR_QUEUE_ENCODE';
}

const stringify = JSON.stringify as (
  value: unknown,
  replacer: (this: object, key: string, v: unknown) => unknown,
) => string | undefined;
const REFUSED = new Set(['Map', 'Set', 'WeakMap', 'WeakSet', 'Promise', 'ArrayBuffer', 'SharedArrayBuffer']);

/**
 * `JSON.stringify(value)`, refusing what would not come back as it went in: a `bigint`, a function
 * or symbol, a non-finite number, a cycle, a `Map` / `Set` / typed array (JSON turns them into `{}`).
 * Objects with `toJSON` (a `Date`) are encoded by it. Throws {@link QueueEncodeError} naming the path
 * (`root` names `value` itself; its keys are named bare: `payload.order.total`). For storages
 * that serialise.
 */
export function encodeForQueue(value: unknown, policy: string, root = ''): string {
  const paths = new WeakMap<object, string>();
  // Each object's holder on the way down: the chain from a holder up to the root is the path being
  // encoded (a holder is still being encoded, so its entry was not overwritten since).
  const holders = new WeakMap<object, object>();
  const inside = (holder: object, v: object): boolean => {
    for (let at: object | undefined = holder; at !== undefined; at = holders.get(at))
      if (at === v) return true;
    return false;
  };
  const named = (path: string): string => path || 'the value';
  const fail = (path: string, what: string): never => {
    throw new QueueEncodeError(policy, path, what);
  };
  let text: string | undefined;
  try {
    text = stringify(value, function (this: object, key: string, v: unknown): unknown {
      const parent = paths.get(this);
      const path =
        parent === undefined
          ? named(root)
          : Array.isArray(this)
            ? `${parent}[${key}]`
            : parent === ''
              ? key
              : `${parent}.${key}`;
      switch (typeof v) {
        case 'bigint':
          return fail(path, 'a bigint');
        case 'function':
          return fail(path, 'a function');
        case 'symbol':
          return fail(path, 'a symbol');
        case 'number':
          return Number.isFinite(v) ? v : fail(path, String(v));
        case 'object': {
          if (v === null) return v;
          if (inside(this, v)) return fail(path, `a cycle (back to ${named(paths.get(v) ?? '')})`);
          const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
          if (ArrayBuffer.isView(v) || (typeof name === 'string' && REFUSED.has(name)))
            return fail(path, `a ${String(name)}`);
          paths.set(v, parent === undefined ? root : path);
          holders.set(v, this);
          return v;
        }
        default:
          return v;
      }
    });
  } catch (error) {
    if (isQueueEncodeError(error)) throw error;
    throw new QueueEncodeError(policy, named(root), 'not encodable', { cause: error });
  }
  return text ?? fail(named(root), 'undefined');
}

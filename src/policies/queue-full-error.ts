import { BreakwaterError, isBreakwaterError } from '../core/errors.js';

/**
 * `queueForLater` could not accept a request: its queue already holds `maxQueued` requests.
 * The request was not stored; `cause` is the error of the call that failed.
 */
export class QueueFullError extends BreakwaterError {
  /** Requests the queue holds at most. */
  readonly maxQueued: number;

  constructor(policy: string, maxQueued: number, cause: unknown) {
    super(
      'ERR_QUEUE_FULL',
      policy,
      `queue "${policy}" is full (${maxQueued} requests waiting); the request was not queued`,
      { cause },
    );
    this.maxQueued = maxQueued;
  }
}

/** True when `value` is a {@link QueueFullError}, from this copy of the package or another. */
export function isQueueFullError(value: unknown): value is QueueFullError {
  return isBreakwaterError(value) && value.code === 'ERR_QUEUE_FULL';
}

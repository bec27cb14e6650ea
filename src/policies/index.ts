/**
 * The companion policies of the circuit breaker and their composition: retry with backoff and a
 * retry budget, timeout, bulkhead, and the four fallback strategies (value, stale cache, queue
 * for later).
 *
 * @packageDocumentation
 */
export { pipeline, type Pipeline, type AnsweringPolicy, type AnswerOf } from '../core/pipeline.js';
export { protect, policyOf, type ProtectDecorator, type Wrapper } from './protect.js';
export {
  constant,
  exponential,
  decorrelatedJitter,
  type Backoff,
  type ExponentialOptions,
  type DecorrelatedJitterOptions,
} from './backoff.js';
export { RetryBudget, type RetryBudgetOptions } from './retry-budget.js';
export { retry, RetryPolicy, type RetryOptions, type RetryEvents, type GiveUpReason } from './retry.js';
export { timeout, TimeoutPolicy, type TimeoutOptions } from './timeout.js';
export { bulkhead, BulkheadPolicy, type BulkheadOptions } from './bulkhead.js';
export { fallback, FallbackPolicy, type FallbackOptions, type FallbackFunction } from './fallback.js';
export {
  staleCache,
  StaleCache,
  type StaleCacheOptions,
  type StaleCacheExecuteOptions,
} from './stale-cache.js';
export {
  queueForLater,
  QueueForLater,
  isQueuedReceipt,
  type QueueForLaterOptions,
  type QueueExecuteOptions,
  type QueuedReceipt,
  type DrainReport,
  type StateChangeSource,
  type ReplayContext,
} from './queue-for-later.js';
export {
  MemoryQueueStorage,
  type MemoryQueueStorageOptions,
  type QueueStorage,
  type QueuedItem,
  type DeadLetter,
  type UndecodableEntry,
} from './queue-storage.js';
export { QueueFullError, isQueueFullError } from './queue-full-error.js';
export {
  QueueAppendUnknownError,
  isQueueAppendUnknownError,
  QueueEncodeError,
  isQueueEncodeError,
  encodeForQueue,
} from './queue-errors.js';

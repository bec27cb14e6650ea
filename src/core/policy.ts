/**
 * The one interface every policy implements (the breaker, retry, timeout, bulkhead, fallbacks,
 * chaos) so that they compose with `pipeline(...)` and decorate with `protect(...)`.
 */

/** What a protected function receives. */
export interface PolicyContext {
  /**
   * Aborted when the call should stop: its timeout expired, or the caller's signal aborted.
   * Pass it on to `fetch`, database drivers and anything else that accepts one.
   */
  readonly signal: AbortSignal;
}

/** Per-call options accepted by {@link Policy.execute}. */
export interface ExecuteOptions {
  /** The caller's signal: aborting it rejects the call at once with the abort reason. */
  readonly signal?: AbortSignal | undefined;
}

/** A function protected by a policy. */
export type Protected<T> = (context: PolicyContext) => T | PromiseLike<T>;

/** A resilience policy. */
export interface Policy {
  /** Runs `fn` under the policy. */
  execute<T>(fn: Protected<T>, options?: ExecuteOptions): Promise<T>;
  /** Returns a function with the same parameters as `fn` that runs it under the policy. */
  wrap<A extends unknown[], R>(fn: (...args: A) => R | PromiseLike<R>): (...args: A) => Promise<Awaited<R>>;
}

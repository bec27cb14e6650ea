// Shared helpers for the breaker unit tests: controllable calls and outcome capture.
import { expect } from 'vitest';
import { CircuitBreaker, type CircuitBreakerOptions } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

/** A promise with its resolve and reject exposed, for calls that finish when a test says so. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** The rejection reason of `promise`; fails the test when it resolves instead. */
export async function caught(promise: Promise<unknown>): Promise<unknown> {
  const settled = await promise.then(
    (value: unknown) => ({ rejected: false as const, value }),
    (reason: unknown) => ({ rejected: true as const, reason }),
  );
  if (!settled.rejected)
    throw new Error(`expected a rejection, got a resolution with ${String(settled.value)}`);
  return settled.reason;
}

/** A function that fails with a fresh `Error(message)`. */
export const boom =
  (message = 'boom') =>
  (): Promise<never> =>
    Promise.reject(new Error(message));

/** A function that succeeds with `value`. */
export const ok =
  <T>(value: T) =>
  (): Promise<T> =>
    Promise.resolve(value);

/** A breaker on a fresh FakeClock. */
export function makeBreaker(options: CircuitBreakerOptions = {}): {
  breaker: CircuitBreaker;
  clock: FakeClock;
} {
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock();
  return { breaker: new CircuitBreaker({ ...options, clock }), clock };
}

/** Runs `n` failing calls, swallowing their errors. */
export async function failTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await caught(breaker.execute(boom()));
}

/** Runs `n` succeeding calls. */
export async function succeedTimes(breaker: CircuitBreaker, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await breaker.execute(ok(i));
}

/** Runs one call that takes `ms` of fake time and then settles as told. */
export async function timedCall(
  breaker: CircuitBreaker,
  clock: FakeClock,
  ms: number,
  outcome: 'success' | 'failure' = 'success',
): Promise<unknown> {
  const d = deferred<string>();
  const call = breaker
    .execute(() => d.promise)
    .then(
      (value) => value,
      (error: unknown) => error,
    );
  clock.advance(ms);
  if (outcome === 'success') d.resolve('done');
  else d.reject(new Error('slow failure'));
  return call;
}

/** Calls `start`, failing the test if it throws synchronously; returns the promise it made. */
export function noSyncThrow<T>(start: () => Promise<T>): Promise<T> {
  let answer: Promise<T> | Error = new Error('not started');
  expect(() => {
    answer = start();
  }).not.toThrow();
  return answer instanceof Error ? Promise.reject(answer) : answer;
}

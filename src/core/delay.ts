import type { Clock } from './clock.js';

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

/**
 * The one polling helper of the suite. `limitMs` only bounds how long a broken test hangs: it is
 * never the claim under test, so give it generous headroom (a loaded two-core machine can stall
 * a process for seconds). A test that asserts a duration compares it with a baseline measured in
 * the same run, or uses the fake clock.
 */

/** Resolves after `ms` of real time. Use it to pace traffic, never before a negative assertion. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls `condition` (which may be async) every `everyMs` until it holds; resolves the elapsed ms,
 * or rejects naming `what` (a function is called only then, e.g. to show output) after `limitMs`.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  limitMs = 10_000,
  what: string | (() => string) = 'condition',
  everyMs = 10,
): Promise<number> {
  const start = performance.now();
  while (!(await condition())) {
    if (performance.now() - start > limitMs) {
      const described = typeof what === 'function' ? what() : what;
      throw new Error(`timed out after ${limitMs} ms waiting for ${described}`);
    }
    await sleep(everyMs);
  }
  return performance.now() - start;
}

// The polling helper's contract. Durations are only bounded from below (a loaded machine can
// stall a process for seconds, so an upper bound would be a guess), and limits are small.
import { describe, expect, it, vi } from 'vitest';
import { sleep, waitFor } from './wait.js';

/** A condition that holds from its `n`th call on, counting its calls. */
function holdsFrom(n: number) {
  const condition = vi.fn(() => condition.mock.calls.length >= n);
  return condition;
}

describe('waitFor', () => {
  it('waitFor — a condition that already holds resolves after one call', async () => {
    const condition = holdsFrom(1);
    const elapsed = await waitFor(condition, 1_000, 'never used');
    expect(condition).toHaveBeenCalledTimes(1);
    expect(elapsed).toBeGreaterThanOrEqual(0);
  });

  it('waitFor — polls a sync condition every everyMs and resolves the elapsed ms once it holds', async () => {
    const condition = holdsFrom(3);
    const elapsed = await waitFor(condition, 10_000, 'the third call', 25);
    expect(condition).toHaveBeenCalledTimes(3);
    // Two pauses of 25 ms (a timer may fire up to a millisecond early).
    expect(elapsed).toBeGreaterThanOrEqual(48);
  });

  it('waitFor — awaits an async condition', async () => {
    let calls = 0;
    const elapsed = await waitFor(async () => {
      await sleep(1);
      return ++calls === 2;
    }, 10_000);
    expect(calls).toBe(2);
    expect(elapsed).toBeGreaterThan(0);
  });

  it('waitFor — rejects after the limit, naming what it waited for', async () => {
    const start = performance.now();
    await expect(waitFor(() => false, 50, 'the queue to drain')).rejects.toThrow(
      'timed out after 50 ms waiting for the queue to drain',
    );
    expect(performance.now() - start).toBeGreaterThanOrEqual(50);
  });

  it('waitFor — without a description it names "condition"', async () => {
    await expect(waitFor(() => false, 20)).rejects.toThrow('timed out after 20 ms waiting for condition');
  });

  it('waitFor — a description function is called only when waiting fails', async () => {
    const explain = vi.fn(() => 'the server (output: listening)');
    await waitFor(holdsFrom(2), 10_000, explain);
    expect(explain).not.toHaveBeenCalled();
    await expect(waitFor(() => false, 20, explain)).rejects.toThrow(
      'timed out after 20 ms waiting for the server (output: listening)',
    );
    expect(explain).toHaveBeenCalledTimes(1);
  });

  it('waitFor — an async condition that rejects rejects the wait with its error, at once', async () => {
    const explain = vi.fn(() => 'unused');
    const failure = new Error('connection refused');
    let calls = 0;
    await expect(
      waitFor(
        async () => {
          if (++calls === 2) throw failure;
          return false;
        },
        10_000,
        explain,
      ),
    ).rejects.toBe(failure);
    expect(calls).toBe(2);
    expect(explain).not.toHaveBeenCalled();
  });

  it('waitFor — a sync condition that throws rejects the wait with its error', async () => {
    const failure = new Error('bad state');
    await expect(
      waitFor(() => {
        throw failure;
      }, 10_000),
    ).rejects.toBe(failure);
  });
});

describe('sleep', () => {
  it('sleep — resolves after at least the given ms', async () => {
    const start = performance.now();
    await sleep(30);
    // A timer may fire up to a millisecond early.
    expect(performance.now() - start).toBeGreaterThanOrEqual(29);
  });
});

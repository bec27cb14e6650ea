// The system clock's timers: they fire, they can be cancelled, and only a keep-alive wait holds
// the process open (README "Testing with a fake clock"; docs/contract.md §18).
import { describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/index.js';

/** Resolves when a system-clock timer of `ms` fires. */
function after(ms: number): Promise<void> {
  return new Promise((resolve) => systemClock.setTimeout(resolve, ms));
}

describe('systemClock timers', () => {
  it('setTimeout — runs the function', async () => {
    let runs = 0;
    await new Promise<void>((resolve) => {
      systemClock.setTimeout(() => {
        runs++;
        resolve();
      }, 1);
    });
    expect(runs).toBe(1);
  });

  it('setTimeout — a keepAlive timer keeps the process alive; other timers do not', () => {
    const kept = systemClock.setTimeout(() => undefined, 60_000, { keepAlive: true }) as NodeJS.Timeout;
    const plain = systemClock.setTimeout(() => undefined, 60_000, { keepAlive: false }) as NodeJS.Timeout;
    try {
      expect(kept.hasRef()).toBe(true);
      expect(plain.hasRef()).toBe(false);
    } finally {
      systemClock.clearTimeout(kept);
      systemClock.clearTimeout(plain);
    }
  });

  it('clearTimeout — a cancelled timer never runs, even after a later timer has', async () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => (fired = true), 1);
    systemClock.clearTimeout(handle);
    await after(20); // timers of a shorter delay run first
    expect(fired).toBe(false);
  });

  it('clearTimeout — an unknown handle is ignored', () => {
    expect(() => {
      systemClock.clearTimeout(undefined);
      systemClock.clearTimeout({});
    }).not.toThrow();
  });

  it('setTimeout — a timer handle without unref (a number, as in browsers) is returned as it is', () => {
    const calls: unknown[][] = [];
    vi.stubGlobal('setTimeout', (...args: unknown[]) => {
      calls.push(args);
      return 42;
    });
    try {
      const fn = (): void => undefined;
      expect(systemClock.setTimeout(fn, 10)).toBe(42);
      expect(systemClock.setTimeout(fn, 20, { keepAlive: true })).toBe(42);
      expect(calls).toEqual([
        [fn, 10],
        [fn, 20],
      ]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('now — advances with real time', async () => {
    const before = systemClock.now();
    await after(5);
    expect(systemClock.now()).toBeGreaterThan(before);
  });
});

// The system clock: monotonic time, and timers that never keep the process alive.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/index.js';

describe('systemClock', () => {
  it('setTimeout — returns an unref’d timer that clearTimeout cancels', () => {
    let fired = false;
    const handle = systemClock.setTimeout(() => (fired = true), 60_000) as NodeJS.Timeout;
    expect(handle.hasRef()).toBe(false);
    systemClock.clearTimeout(handle);
    expect(fired).toBe(false);
  });

  it('now — never goes backwards', () => {
    let last = systemClock.now();
    for (let i = 0; i < 1_000; i++) {
      const now = systemClock.now();
      expect(now).toBeGreaterThanOrEqual(last);
      last = now;
    }
  });

  it('systemClock — is frozen', () => {
    expect(Object.isFrozen(systemClock)).toBe(true);
  });
});

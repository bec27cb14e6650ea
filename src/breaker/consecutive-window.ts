import type { Window } from './window.js';

/**
 * Consecutive failures: any counted success resets the count. `calls` and `slowCalls` track the
 * same run, so rate rules are meaningless here (option validation rejects them).
 */
export class ConsecutiveWindow implements Window {
  calls = 0;
  failures = 0;
  slowCalls = 0;

  record(_now: number, failure: boolean, slow: boolean): void {
    if (failure) {
      this.calls++;
      this.failures++;
      if (slow) this.slowCalls++;
    } else {
      this.calls = this.failures = this.slowCalls = 0;
    }
  }

  recordUntimedSuccess(): boolean {
    this.calls = this.failures = this.slowCalls = 0;
    return true;
  }

  roll(): void {
    // Consecutive counts forget on success, not by age.
  }

  reset(): void {
    this.calls = this.failures = this.slowCalls = 0;
  }
}

// Windows on their own: time (buckets), count (ring) and consecutive; one contract, three kinds.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConsecutiveWindow } from '../../src/breaker/consecutive-window.js';
import { CountWindow } from '../../src/breaker/count-window.js';
import { TimeWindow } from '../../src/breaker/time-window.js';
import type { Window } from '../../src/breaker/window.js';

const counts = (w: Window) => ({ calls: w.calls, failures: w.failures, slowCalls: w.slowCalls });

describe('every window', () => {
  const kinds: [string, () => Window][] = [
    ['TimeWindow', () => new TimeWindow(1_000, 10)],
    ['CountWindow', () => new CountWindow(10)],
    ['ConsecutiveWindow', () => new ConsecutiveWindow()],
  ];
  for (const [name, make] of kinds) {
    it(`${name} — starts empty, counts failures and slow calls, and reset empties it`, () => {
      const w = make();
      expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
      w.record(0, true, true);
      w.record(1, true, false);
      expect(counts(w)).toEqual({ calls: 2, failures: 2, slowCalls: 1 });
      w.reset();
      expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
      w.record(2, true, false);
      expect(counts(w)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    });
  }
});

describe('TimeWindow', () => {
  it('record — counts in the current bucket; roll drops each bucket as a whole', () => {
    const w = new TimeWindow(1_000, 4); // buckets of 250 ms
    w.record(0, true, false);
    w.record(249, false, true);
    w.record(250, true, true);
    expect(counts(w)).toEqual({ calls: 3, failures: 2, slowCalls: 2 });
    w.roll(999);
    expect(w.calls).toBe(3);
    w.roll(1_000); // [0, 250) drops out
    expect(counts(w)).toEqual({ calls: 1, failures: 1, slowCalls: 1 });
    w.roll(1_249);
    expect(w.calls).toBe(1);
    w.roll(1_250);
    expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('record — recording after a gap first forgets what aged out', () => {
    const w = new TimeWindow(100, 10);
    w.record(5, true, false);
    w.record(55, true, false);
    w.record(105, false, false); // the bucket of t = 5 dropped, t = 55 kept
    expect(counts(w)).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
  });

  it('record — a time older than the newest bucket (a call that started earlier) counts in the newest', () => {
    const w = new TimeWindow(10, 1);
    w.roll(10); // a stats read at t=10 moved the window to bucket 1 before anything was recorded
    w.record(0, false, false); // the success of a call that started at t=0
    expect(w.calls).toBe(1);
    w.roll(19);
    expect(w.calls).toBe(1); // still inside the window: it counts where it was recorded
    w.roll(20);
    expect(w.calls).toBe(0);
  });

  it('roll — a long idle jump empties the window at once', () => {
    const w = new TimeWindow(10_000, 10);
    for (let t = 0; t < 10_000; t += 100) w.record(t, t % 200 === 0, false);
    expect(w.calls).toBe(100);
    w.roll(1e15);
    expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    w.record(1e15 + 1, true, false);
    expect(counts(w)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
  });

  it('roll — costs O(buckets) however long the idle period', () => {
    const w = new TimeWindow(1_000, 1_000);
    for (let t = 0; t < 1_000; t++) w.record(t, true, false);
    // A jump of 2**40 buckets would take hours if it stepped per bucket: the test's timeout, not a
    // wall-clock threshold, is what catches that.
    w.roll(2 ** 40);
    expect(w.calls).toBe(0);
    expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    w.record(2 ** 40 + 1, true, false);
    expect(counts(w)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
  });

  it('roll — a jump shorter than the window subtracts only the buckets that dropped', () => {
    const w = new TimeWindow(1_000, 10);
    for (let t = 0; t < 1_000; t += 100) w.record(t, true, false); // one failure per bucket
    w.roll(1_350); // buckets 0..3 drop out
    expect(w.failures).toBe(6);
  });

  it('record — a time in an older bucket is counted in the newest one', () => {
    const w = new TimeWindow(1_000, 10);
    w.record(500, false, false);
    w.record(100, true, false);
    w.roll(1_499); // the bucket of 500 (and what was put in it) is still in
    expect(counts(w)).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    w.roll(1_500);
    expect(w.calls).toBe(0);
  });

  it('record — works with a fractional bucket length', () => {
    const w = new TimeWindow(1_000, 3); // 333.33 ms buckets
    w.record(0, true, false);
    w.roll(999);
    expect(w.calls).toBe(1);
    w.roll(1_000);
    expect(w.calls).toBe(0);
  });

  it('record — a time at or next to a bucket edge is filed in the bucket floor(t / bucketMs) names', () => {
    // The window skips the division for times clearly inside its newest bucket; near an edge it
    // must agree with the division to the last bit. Times here sit on edges and a few ulps off.
    const nudge = (x: number, ulps: number): number => {
      const f = new Float64Array([x]);
      const bits = new BigInt64Array(f.buffer);
      bits[0] = (bits[0] ?? 0n) + BigInt(ulps); // x >= 0: one step of the bit pattern is one ulp
      return f[0] ?? x;
    };
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100_000 }),
        fc.integer({ min: 1, max: 12 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: -2, max: 2 })), {
          maxLength: 40,
        }),
        (duration, buckets, steps) => {
          const bucketMs = duration / buckets;
          const w = new TimeWindow(duration, buckets);
          const filed: number[] = []; // the reference: bucket each record is counted in
          let head = -Infinity;
          for (const [edge, ulps] of steps.sort((a, b) => a[0] - b[0])) {
            const t = nudge(edge * bucketMs, ulps);
            head = Math.max(head, Math.floor(t / bucketMs));
            filed.push(head);
            w.record(t, false, false);
            expect(w.calls).toBe(filed.filter((b) => b > head - buckets).length);
          }
        },
      ),
    );
  });

  for (const t0 of [1.7e12, -1.7e12]) {
    it(`record — at clock readings near ${t0} a time just past a bucket edge starts the next bucket`, () => {
      // A wall clock reads about 1.7e12 ms: the margin below each edge scales with the time, and
      // must stay below it (on a negative clock too).
      const w = new TimeWindow(1_000, 10); // buckets of 100 ms; t0 is a bucket start
      w.record(t0, true, false);
      w.record(t0 + 150, false, true); // the next bucket
      w.record(t0 + 150, false, false);
      w.roll(t0 + 1_000); // the bucket of t0 drops out
      expect(counts(w)).toEqual({ calls: 2, failures: 0, slowCalls: 1 });
      w.roll(t0 + 1_100);
      expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
    });
  }

  it('roll — rolls before anything was recorded count nothing, and recording then starts clean', () => {
    const w = new TimeWindow(1_000, 10);
    expect(w.recordUntimedSuccess()).toBe(false); // no time seen yet
    w.roll(0);
    w.roll(150); // one bucket on, still nothing recorded
    expect(w.recordUntimedSuccess()).toBe(false);
    w.record(160, true, false);
    expect(w.recordUntimedSuccess()).toBe(true); // counted in the bucket of 160
    expect(counts(w)).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    w.roll(1_099);
    expect(w.calls).toBe(2);
    w.roll(1_100);
    expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('record — on a clock crossing 0, a time of exactly 0 starts bucket 0', () => {
    const w = new TimeWindow(10, 1);
    w.record(-5, true, false); // bucket -1
    w.record(0, false, false); // bucket 0: the failure of bucket -1 drops out
    expect(counts(w)).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
    w.roll(9);
    expect(w.calls).toBe(1);
    w.roll(10);
    expect(w.calls).toBe(0);
  });

  it('roll — a window crossing from negative to positive times drops a negative bucket on time', () => {
    const w = new TimeWindow(1_000, 10);
    w.record(-50, true, true); // bucket -1
    w.roll(850); // bucket 8: -1 is still one of the last ten
    expect(counts(w)).toEqual({ calls: 1, failures: 1, slowCalls: 1 });
    w.record(860, false, false);
    w.roll(900); // bucket 9: -1 drops out
    expect(counts(w)).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
  });

  it('roll — a time older than the newest bucket moves nothing back', () => {
    const w = new TimeWindow(1_000, 10);
    w.record(500, true, false); // bucket 5
    w.roll(100); // older: ignored
    w.record(600, false, false); // bucket 6
    expect(counts(w)).toEqual({ calls: 2, failures: 1, slowCalls: 0 });
    w.roll(1_599); // bucket 15: the window holds buckets 6 to 15
    expect(counts(w)).toEqual({ calls: 1, failures: 0, slowCalls: 0 });
  });

  it('record — works on a clock that reads negative times', () => {
    const w = new TimeWindow(1_000, 10);
    w.record(-5_000, true, false); // bucket -50
    w.record(-4_850, true, false); // bucket -49
    expect(w.failures).toBe(2);
    w.roll(-4_000); // bucket -40: bucket -50 drops out
    expect(counts(w)).toEqual({ calls: 1, failures: 1, slowCalls: 0 });
    w.roll(-3_900);
    expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });
});

describe('CountWindow', () => {
  it('record — keeps the last size outcomes, overwriting the oldest', () => {
    const w = new CountWindow(3);
    w.record(0, true, true);
    w.record(0, false, false);
    w.record(0, true, false);
    expect(counts(w)).toEqual({ calls: 3, failures: 2, slowCalls: 1 });
    w.record(0, false, false); // drops the first (failure, slow)
    expect(counts(w)).toEqual({ calls: 3, failures: 1, slowCalls: 0 });
    w.record(0, false, true);
    w.record(0, false, false);
    expect(counts(w)).toEqual({ calls: 3, failures: 0, slowCalls: 1 });
  });

  it('record — stays exact over many wraps of the ring', () => {
    const w = new CountWindow(7);
    const outcomes: [boolean, boolean][] = [];
    for (let i = 0; i < 1_000; i++) {
      const outcome: [boolean, boolean] = [i % 3 === 0, i % 5 === 0];
      outcomes.push(outcome);
      w.record(i, ...outcome);
      const last = outcomes.slice(-7);
      expect(counts(w)).toEqual({
        calls: last.length,
        failures: last.filter(([f]) => f).length,
        slowCalls: last.filter(([, s]) => s).length,
      });
    }
  });

  it('roll — never forgets by age', () => {
    const w: Window = new CountWindow(2);
    w.record(0, true, false);
    w.roll(1e12);
    expect(w.failures).toBe(1);
  });

  it('reset — restarts the ring', () => {
    const w = new CountWindow(2);
    w.record(0, true, false);
    w.reset();
    w.record(0, false, false);
    w.record(0, false, false);
    w.record(0, false, false);
    expect(counts(w)).toEqual({ calls: 2, failures: 0, slowCalls: 0 });
  });
});

describe('ConsecutiveWindow', () => {
  it('record — any success resets the run of failures', () => {
    const w = new ConsecutiveWindow();
    w.record(0, true, true);
    w.record(0, true, false);
    expect(counts(w)).toEqual({ calls: 2, failures: 2, slowCalls: 1 });
    w.record(0, false, true); // a slow success still resets
    expect(counts(w)).toEqual({ calls: 0, failures: 0, slowCalls: 0 });
  });

  it('roll — never forgets by age', () => {
    const w: Window = new ConsecutiveWindow();
    w.record(0, true, false);
    w.roll(1e12);
    expect(w.failures).toBe(1);
  });
});

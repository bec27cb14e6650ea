import { describe, expect, it } from 'vitest';
import { CircuitBreaker, isCircuitOpenError } from '../../src/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

interface Outcome {
  readonly ok: boolean;
  readonly value: unknown;
}

/** A breaker already turned half-open (one failure trips it, then the open duration elapses). */
function halfOpen(
  halfOpenRequests: number,
  successThreshold = 2,
): { breaker: CircuitBreaker; clock: FakeClock } {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({
    clock,
    failureThreshold: 1,
    recoveryTimeout: 1_000,
    halfOpenRequests,
    successThreshold,
    isFailure: (e) => !(e instanceof TypeError),
  });
  return { breaker, clock };
}

async function tripAndWait(breaker: CircuitBreaker, clock: FakeClock): Promise<void> {
  await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
  expect(breaker.state).toBe('open');
  clock.advance(1_000);
  expect(breaker.state).toBe('half-open');
}

/** Starts `n` callers at once; each function waits until the test releases it. */
function burst(breaker: CircuitBreaker, n: number) {
  const releases: ((v: string) => void)[] = [];
  const failers: ((e: unknown) => void)[] = [];
  const outcomes: (Outcome | undefined)[] = new Array<Outcome | undefined>(n).fill(undefined);
  for (let i = 0; i < n; i++) {
    breaker
      .execute(
        () =>
          new Promise<string>((resolve, reject) => {
            releases.push(resolve);
            failers.push(reject);
          }),
      )
      .then(
        (value) => (outcomes[i] = { ok: true, value }),
        (error: unknown) => (outcomes[i] = { ok: false, value: error }),
      );
  }
  return { releases, failers, outcomes };
}

describe('CircuitBreaker — concurrency in half-open', () => {
  for (const permits of [1, 3, 17]) {
    it(`execute — 1,000 concurrent callers: exactly ${permits} reach the function, the rest are rejected half-open`, async () => {
      const { breaker, clock } = halfOpen(permits, permits);
      await tripAndWait(breaker, clock);
      const { releases, outcomes } = burst(breaker, 1_000);
      expect(releases).toHaveLength(permits);
      await settle();
      // Rejected at once, never queued behind the probes (which are all still running).
      const rejected = outcomes.filter((o) => o !== undefined);
      expect(rejected).toHaveLength(1_000 - permits);
      for (const o of rejected) {
        expect(o.ok).toBe(false);
        expect(isCircuitOpenError(o.value)).toBe(true);
        expect(o.value).toMatchObject({ state: 'half-open', retryAfterMs: 0 });
      }
      expect(breaker.stats).toMatchObject({ state: 'half-open', probesInFlight: permits, inFlight: permits });
      expect(breaker.stats.totals).toMatchObject({ calls: permits + 1, rejected: 1_000 - permits });

      for (const release of releases) release('ok');
      await settle();
      expect(outcomes.filter((o) => o?.ok === true)).toHaveLength(permits);
      expect(breaker.state).toBe('closed');
    });
  }

  it('execute — a released permit (ignored error) admits exactly one more caller of the next burst', async () => {
    const { breaker, clock } = halfOpen(3);
    await tripAndWait(breaker, clock);
    const first = burst(breaker, 1_000);
    expect(first.releases).toHaveLength(3);
    first.failers[0]?.(new TypeError('not counted'));
    await settle();
    expect(breaker.stats).toMatchObject({ state: 'half-open', probesInFlight: 2 });
    const second = burst(breaker, 1_000);
    expect(second.releases).toHaveLength(1);
    await settle();
    expect(second.outcomes.filter((o) => o !== undefined)).toHaveLength(999);
    expect(breaker.stats.probesInFlight).toBe(3);
    for (const release of [...first.releases, ...second.releases]) release('ok');
    await settle();
    expect(breaker.state).toBe('closed');
  });

  it('execute — one probe failure among 1,000 concurrent callers re-opens and the other probes change nothing', async () => {
    const { breaker, clock } = halfOpen(5, 2);
    await tripAndWait(breaker, clock);
    const { releases, failers } = burst(breaker, 1_000);
    expect(releases).toHaveLength(5);
    failers[2]?.(new Error('still down'));
    await settle();
    const after = breaker.stats;
    expect(after.state).toBe('open');
    for (const release of releases) release('late');
    await settle();
    expect(breaker.stats).toMatchObject({ state: 'open', generation: after.generation, probesInFlight: 0 });
    expect(breaker.stats.totals.successes).toBe(4);
  });
});

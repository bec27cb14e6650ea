import { describe, expect, it } from 'vitest';
import { CircuitBreaker, type BreakerStats } from '../../src/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

/** A call the test finishes by hand. */
interface Pending {
  readonly succeed: () => void;
  readonly fail: () => void;
  readonly answer: Promise<unknown>;
}

function start(breaker: CircuitBreaker): Pending {
  let succeed!: () => void;
  let fail!: () => void;
  const answer = breaker
    .execute(
      () =>
        new Promise<string>((resolve, reject) => {
          succeed = () => resolve('late');
          fail = () => reject(new Error('late failure'));
        }),
    )
    .catch((e: unknown) => e);
  return { succeed: () => succeed(), fail: () => fail(), answer };
}

function setup(timeout: number | false = false) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({
    clock,
    failureThreshold: 3,
    window: { type: 'count', size: 10 },
    recoveryTimeout: 1_000,
    halfOpenRequests: 2,
    successThreshold: 2,
    timeout,
  });
  return { clock, breaker };
}

async function trip(breaker: CircuitBreaker): Promise<void> {
  for (let i = 0; i < 3; i++)
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
  expect(breaker.state).toBe('open');
}

/** Everything a late outcome must leave alone. */
function decisive(s: BreakerStats) {
  return { state: s.state, generation: s.generation, window: s.window, probesInFlight: s.probesInFlight };
}

describe('CircuitBreaker — late results (docs/contract.md §6.5)', () => {
  it('execute — calls started closed that finish after the circuit opened change nothing but the totals', async () => {
    const { breaker } = setup();
    const late = Array.from({ length: 6 }, () => start(breaker));
    await trip(breaker);
    const before = breaker.stats;
    late.forEach((c, i) => (i % 2 === 0 ? c.succeed() : c.fail()));
    await Promise.all(late.map((c) => c.answer));
    const after = breaker.stats;
    expect(decisive(after)).toEqual(decisive(before));
    expect(after.totals.successes - before.totals.successes).toBe(3);
    expect(after.totals.failures - before.totals.failures).toBe(3);
    expect(after.inFlight).toBe(0);
  });

  it('execute — late successes from closed never close a half-open circuit nor touch its probe tally', async () => {
    const { breaker, clock } = setup();
    const late = Array.from({ length: 5 }, () => start(breaker));
    await trip(breaker);
    clock.advance(1_000);
    expect(breaker.state).toBe('half-open');
    const probe = start(breaker);
    const before = breaker.stats;
    expect(before.probesInFlight).toBe(1);
    for (const c of late) c.succeed(); // five successes, successThreshold is 2
    await Promise.all(late.map((c) => c.answer));
    expect(decisive(breaker.stats)).toEqual(decisive(before));
    expect(breaker.stats.totals.successes).toBe(5);
    probe.succeed();
    await probe.answer;
    expect(breaker.stats).toMatchObject({ state: 'half-open', probesInFlight: 0 }); // one success of two
  });

  it('execute — late failures from closed never re-open a half-open circuit', async () => {
    const { breaker, clock } = setup();
    const late = Array.from({ length: 4 }, () => start(breaker));
    await trip(breaker);
    clock.advance(1_000);
    const probes = [start(breaker), start(breaker)];
    const before = breaker.stats;
    for (const c of late) c.fail();
    await Promise.all(late.map((c) => c.answer));
    expect(decisive(breaker.stats)).toEqual(decisive(before));
    for (const p of probes) p.succeed();
    await Promise.all(probes.map((p) => p.answer));
    expect(breaker.state).toBe('closed');
    expect(breaker.stats.totals.failures).toBe(3 + 4);
  });

  it('execute — calls started before reset() that fail afterwards neither fill the new window nor trip it', async () => {
    const { breaker } = setup();
    const late = Array.from({ length: 5 }, () => start(breaker));
    breaker.reset();
    const before = breaker.stats;
    for (const c of late) c.fail(); // five failures, the threshold is 3
    await Promise.all(late.map((c) => c.answer));
    const after = breaker.stats;
    expect(decisive(after)).toEqual(decisive(before));
    expect(after.window.calls).toBe(0);
    expect(after.totals.failures).toBe(5);
  });

  it('execute — late timeouts of calls started closed count in totals only', async () => {
    const { breaker, clock } = setup(500);
    const late = Array.from({ length: 4 }, () => start(breaker));
    await trip(breaker);
    clock.advance(300);
    breaker.reset(); // a new closed generation: the four late timeouts must not trip it
    const before = breaker.stats;
    await clock.advanceAsync(200);
    const after = breaker.stats;
    expect(decisive(after)).toEqual(decisive(before));
    expect(after.totals.timeouts).toBe(4);
    for (const c of late) expect(await c.answer).toMatchObject({ code: 'ERR_CALL_TIMEOUT' });
    for (const c of late) c.fail(); // finishing after the timeout: dropped entirely
    await settle();
    expect(breaker.stats.totals).toEqual(after.totals);
  });
});

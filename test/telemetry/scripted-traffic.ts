// A scripted sequence of calls on a FakeClock-driven breaker, shared by the exporter tests.
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';

export interface Scripted {
  readonly clock: FakeClock;
  readonly telemetry: Telemetry;
  readonly breaker: CircuitBreaker;
}

/** A breaker named `name` on `telemetry`: opens after 3 failures, probes after 1 s, closes after 2 probe successes. */
export function scriptedBreaker(telemetry: Telemetry, clock: FakeClock, name = 'payments'): CircuitBreaker {
  return new CircuitBreaker({
    name,
    telemetry,
    clock,
    failureThreshold: 3,
    recoveryTimeout: 1_000,
    successThreshold: 2,
    timeout: false,
  });
}

/** A call that takes `ms` of fake time and then succeeds or fails. */
export async function timedCall(
  clock: FakeClock,
  breaker: CircuitBreaker,
  ms: number,
  fail = false,
): Promise<void> {
  const pending = breaker.execute(
    () =>
      new Promise<string>((resolve, reject) => {
        clock.setTimeout(() => (fail ? reject(new Error('boom')) : resolve('ok')), ms);
      }),
  );
  const settled = pending.then(
    () => undefined,
    () => undefined,
  );
  await clock.advanceAsync(ms);
  await settled;
}

/**
 * The script: 2 successes of 250 ms, 3 failures of 20 ms (the circuit opens), 2 rejections,
 * 1 s later (half-open) 2 successes of 5 ms (it closes).
 * Outcomes: success 4, failure 3, rejected 2. Transitions: closed→open, open→half-open, half-open→closed.
 */
export async function runScript({ clock, breaker }: Omit<Scripted, 'telemetry'>): Promise<void> {
  await timedCall(clock, breaker, 250);
  await timedCall(clock, breaker, 250);
  for (let i = 0; i < 3; i++) await timedCall(clock, breaker, 20, true);
  if (breaker.state !== 'open') throw new Error(`script: expected open, got ${breaker.state}`);
  await breaker.execute(async () => 'never').catch(() => undefined);
  await breaker.execute(async () => 'never').catch(() => undefined);
  clock.advance(1_000);
  await timedCall(clock, breaker, 5);
  await timedCall(clock, breaker, 5);
  const end: string = breaker.state;
  if (end !== 'closed') throw new Error(`script: expected closed, got ${breaker.state}`);
}

/** A fresh clock, stream and breaker. */
export function scripted(name = 'payments'): Scripted {
  const clock = new FakeClock();
  const telemetry = new Telemetry();
  return { clock, telemetry, breaker: scriptedBreaker(telemetry, clock, name) };
}

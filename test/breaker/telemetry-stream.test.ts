// What a breaker reports into its telemetry stream (README "Telemetry"): one `call` event per
// outcome with its duration and slowness, `transition` events, `fallback` answers, and nothing
// that changes the calls themselves.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry, type TelemetryEvent } from '../../src/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { sourceOf } from '../../src/breaker/circuit-breaker.js';
import { caught, deferred } from './helpers.js';

/** A stream and the events the breaker reports into it (its `registered` event aside). */
function streamed(): { telemetry: Telemetry; events: TelemetryEvent[] } {
  const telemetry = new Telemetry();
  const events: TelemetryEvent[] = [];
  telemetry.subscribe((event) => {
    if (event.type !== 'registered') events.push(event);
  });
  return { telemetry, events };
}

/** Runs a call that settles after `ms` of fake time. */
async function callTaking(
  breaker: CircuitBreaker,
  clock: FakeClock,
  ms: number,
  settle: (d: ReturnType<typeof deferred<string>>) => void,
): Promise<unknown> {
  const d = deferred<string>();
  const call = breaker
    .execute(() => d.promise)
    .then(
      (value) => value,
      (error: unknown) => error,
    );
  clock.advance(ms);
  settle(d);
  return call;
}

describe('breaker telemetry', () => {
  it('execute — reports each outcome with its duration and whether it was slow', async () => {
    const clock = new FakeClock();
    const { telemetry, events } = streamed();
    const breaker = new CircuitBreaker({
      name: 'inventory',
      clock,
      telemetry,
      slowCallDuration: 50,
      failureThreshold: 100,
      timeout: 1_000,
      isFailure: (error) => !(error instanceof RangeError),
    });
    await callTaking(breaker, clock, 50, (d) => d.resolve('ok'));
    await callTaking(breaker, clock, 49, (d) => d.resolve('ok'));
    await callTaking(breaker, clock, 60, (d) => d.reject(new Error('down')));
    await callTaking(breaker, clock, 70, (d) => d.reject(new RangeError('not counted')));
    const hanging = breaker.execute(() => new Promise<never>(() => undefined));
    clock.advance(1_000);
    await caught(hanging);
    expect(events.filter((e) => e.type === 'call')).toEqual([
      { type: 'call', policy: 'inventory', kind: 'breaker', outcome: 'success', durationMs: 50, slow: true },
      { type: 'call', policy: 'inventory', kind: 'breaker', outcome: 'success', durationMs: 49, slow: false },
      { type: 'call', policy: 'inventory', kind: 'breaker', outcome: 'failure', durationMs: 60, slow: true },
      { type: 'call', policy: 'inventory', kind: 'breaker', outcome: 'ignored', durationMs: 70, slow: false },
      {
        type: 'call',
        policy: 'inventory',
        kind: 'breaker',
        outcome: 'timeout',
        durationMs: 1_000,
        slow: true,
      },
    ]);
  });

  it('execute — a result classified as a failure is reported as a failure', async () => {
    const clock = new FakeClock();
    const { telemetry, events } = streamed();
    const breaker = new CircuitBreaker({
      name: 'status-check',
      clock,
      telemetry,
      timeout: false,
      isResultFailure: (result) => result === 'bad',
    });
    await callTaking(breaker, clock, 5, (d) => d.resolve('bad'));
    expect(events).toEqual([
      {
        type: 'call',
        policy: 'status-check',
        kind: 'breaker',
        outcome: 'failure',
        durationMs: 5,
        slow: false,
      },
    ]);
  });

  it('execute — trips, rejections and fallbacks are reported in order', async () => {
    const clock = new FakeClock();
    const { telemetry, events } = streamed();
    const breaker = new CircuitBreaker({
      name: 'payments',
      clock,
      telemetry,
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      fallback: () => 'cached',
    });
    await expect(breaker.execute(() => Promise.reject(new Error('down')))).resolves.toBe('cached');
    await expect(breaker.execute(() => 'never runs')).resolves.toBe('cached');
    expect(events.map((e) => e.type)).toEqual(['call', 'transition', 'fallback', 'call', 'fallback']);
    expect(events[1]).toEqual({
      type: 'transition',
      policy: 'payments',
      kind: 'breaker',
      from: 'closed',
      to: 'open',
      reason: 'failure-threshold',
      generation: 1,
    });
    expect(events[2]).toEqual({ type: 'fallback', policy: 'payments', kind: 'breaker' });
    const rejected = events[3] as Extract<TelemetryEvent, { type: 'call' }>;
    expect(rejected).toMatchObject({ policy: 'payments', kind: 'breaker', outcome: 'rejected', slow: false });
    expect(rejected.durationMs).toBeNaN();
  });

  it('execute — a caller abort is reported as ignored with its duration', async () => {
    const clock = new FakeClock();
    const { telemetry, events } = streamed();
    const breaker = new CircuitBreaker({ name: 'search', clock, telemetry, timeout: false });
    const controller = new AbortController();
    const call = breaker.execute(() => new Promise<never>(() => undefined), { signal: controller.signal });
    clock.advance(30);
    controller.abort(new Error('user left'));
    await caught(call);
    expect(events).toEqual([
      { type: 'call', policy: 'search', kind: 'breaker', outcome: 'ignored', durationMs: 30, slow: false },
    ]);
  });

  it('execute — with nobody subscribed the stream receives nothing, and later subscribers see later calls only', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const breaker = new CircuitBreaker({ name: 'late', clock, telemetry, failureThreshold: 1 });
    await breaker.execute(() => 1);
    const events: TelemetryEvent[] = [];
    telemetry.subscribe((event) => void events.push(event));
    await breaker.execute(() => 2);
    expect(events).toEqual([
      { type: 'call', policy: 'late', kind: 'breaker', outcome: 'success', durationMs: 0, slow: false },
    ]);
  });
});

describe('telemetry source', () => {
  it('sourceOf — the source is kept under the key every copy of the library shares', () => {
    const { telemetry } = streamed();
    const breaker = new CircuitBreaker({ name: 'orders', clock: new FakeClock(), telemetry });
    const source = sourceOf(breaker);
    expect(source).toMatchObject({ name: 'orders', kind: 'breaker', breaker });
    expect(
      (breaker as unknown as Record<symbol, unknown>)[Symbol.for('breakwater.CircuitBreaker.source')],
    ).toBe(source);
  });
});

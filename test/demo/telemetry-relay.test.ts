import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/breaker/circuit-breaker.js';
import { Telemetry } from '../../src/core/telemetry.js';
import { staleCache } from '../../src/policies/stale-cache.js';
import { relayTelemetry, TelemetryMirror, type TelemetryMessage } from '../../src/demo/telemetry-relay.js';
import { ActivityTracker } from '../../src/telemetry/activity.js';
import { FakeClock } from '../../src/testing/index.js';

/** A breaker on its own stream, relayed every 250 ms through JSON (as over IPC) into a mirror. */
function setup(): {
  clock: FakeClock;
  telemetry: Telemetry;
  breaker: CircuitBreaker;
  mirror: TelemetryMirror;
  sent: TelemetryMessage[];
  stop: () => void;
} {
  const clock = new FakeClock();
  const telemetry = new Telemetry();
  const breaker = new CircuitBreaker({ name: 'C->database', clock, telemetry, failureThreshold: 2 });
  const mirror = new TelemetryMirror();
  const sent: TelemetryMessage[] = [];
  const relay = relayTelemetry(telemetry, clock, 250, (message) => {
    sent.push(message);
    mirror.receive(JSON.parse(JSON.stringify(message)) as TelemetryMessage);
  });
  return { clock, telemetry, breaker, mirror, sent, stop: () => relay.dispose() };
}

describe('relayTelemetry', () => {
  it('relayTelemetry — sends the breaker events of each interval with the current stats', async () => {
    const { clock, breaker, sent, stop } = setup();
    await breaker.execute(() => 'ok');
    await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    clock.advance(250);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.events.map((e) => (e.type === 'call' ? e.outcome : e.type))).toEqual([
      'success',
      'failure',
    ]);
    expect(sent[0]?.breakers.map((b) => [b.name, b.state])).toEqual([['C->database', 'closed']]);
    clock.advance(250);
    expect(sent[1]?.events).toEqual([]);
    stop();
    clock.advance(1_000);
    expect(sent).toHaveLength(2);
  });
});

describe('TelemetryMirror', () => {
  it('receive — a tracker on the mirror sees the service’s breaker, its state, calls and transitions', async () => {
    const { clock, breaker, mirror, stop } = setup();
    const tracker = new ActivityTracker(mirror.telemetry, { clock });
    for (let i = 0; i < 2; i++)
      await breaker.execute(() => Promise.reject(new Error('down'))).catch(() => undefined);
    await breaker.execute(() => 'never runs').catch(() => undefined); // rejected: open
    clock.advance(250);
    clock.advance(1_000);
    const snapshot = tracker.snapshot();
    expect(snapshot.breakers.map((b) => [b.name, b.state])).toEqual([['C->database', 'open']]);
    const series = snapshot.breakers[0]?.series;
    expect(series?.failures.reduce((a, b) => a + b, 0)).toBe(2);
    expect(series?.rejected.reduce((a, b) => a + b, 0)).toBe(1);
    expect(snapshot.transitions.map((t) => `${t.breaker} ${t.from}->${t.to}`)).toEqual([
      'C->database closed->open',
    ]);
    mirror.clear();
    expect(tracker.snapshot().breakers).toEqual([]);
    tracker.dispose();
    stop();
  });

  it('receive — a tracker on the mirror counts the service’s stale answers', async () => {
    const { clock, telemetry, breaker, mirror, stop } = setup();
    const tracker = new ActivityTracker(mirror.telemetry, { clock });
    const cache = staleCache({ ttl: 60_000, clock, telemetry, name: 'C->database stale cache' });
    const get = (fn: () => Promise<number>) => cache.execute(() => breaker.execute(fn), { key: 'k' });
    await get(async () => 1);
    for (let i = 0; i < 4; i++) await get(() => Promise.reject(new Error('down')));
    clock.advance(250);
    expect(tracker.snapshot().policies).toMatchObject([
      { name: 'C->database stale cache', kind: 'staleCache', counts: { fresh: 1, stale: 4, miss: 0 } },
    ]);
    tracker.dispose();
    stop();
  });
});

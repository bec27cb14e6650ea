// Names are identities on a telemetry stream: every series, card and alert is keyed by the name.
import { describe, expect, it } from 'vitest';
import { BreakerRegistry, CircuitBreaker, Telemetry, type TelemetryEvent } from '../../src/index.js';
import { sourceOf } from '../../src/breaker/circuit-breaker.js';
import { FakeClock } from '../../src/testing/index.js';

describe('Telemetry — names are identities', () => {
  it('register — a second live breaker with the same name on one stream is refused, naming it', () => {
    const telemetry = new Telemetry();
    const first = new CircuitBreaker({ name: 'payments', telemetry });
    expect(() => new CircuitBreaker({ name: 'payments', telemetry })).toThrow(
      /a breaker named "payments" already reports into this stream/,
    );
    expect(telemetry.sources().map((s) => s.name)).toEqual(['payments']);
    expect(telemetry.sources()[0]).toBe(sourceOf(first));
  });

  it('register — the same name on two streams, or two names on one stream, is fine', () => {
    const a = new Telemetry();
    const b = new Telemetry();
    const breakers = [
      new CircuitBreaker({ name: 'payments', telemetry: a }),
      new CircuitBreaker({ name: 'payments', telemetry: b }),
      new CircuitBreaker({ name: 'orders', telemetry: a }),
    ];
    expect(a.sources().map((s) => s.name)).toEqual(['payments', 'orders']);
    expect(b.sources().map((s) => s.name)).toEqual(['payments']);
    expect(breakers).toHaveLength(3);
  });

  it('unregister — frees the name; a source that is not the registered one is left alone', () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe((e) => seen.push(e));
    const first = new CircuitBreaker({ name: 'payments', telemetry });
    const stranger = { name: 'payments', kind: 'breaker', snapshot: () => ({}) };
    telemetry.unregister(stranger);
    expect(telemetry.sources()).toHaveLength(1);
    telemetry.unregister(new CircuitBreaker({ name: 'payments' })); // same name, another breaker
    expect(telemetry.sources()).toHaveLength(1);
    telemetry.unregister(first); // a breaker can be named directly
    const second = new CircuitBreaker({ name: 'payments', telemetry });
    expect(telemetry.sources()).toEqual([sourceOf(second)]);
    expect(seen.map((e) => e.type)).toEqual(['registered', 'unregistered', 'registered']);
  });

  it('register — registering the same source twice is idempotent', () => {
    const telemetry = new Telemetry();
    const breaker = new CircuitBreaker({ name: 'payments', telemetry });
    telemetry.register(sourceOf(breaker)!);
    expect(telemetry.sources()).toHaveLength(1);
  });

  it('registry — keys name their breakers uniquely, and an evicted key can come back', () => {
    const telemetry = new Telemetry();
    const registry = new BreakerRegistry({ maxBreakers: 2, clock: new FakeClock(), defaults: { telemetry } });
    const a = registry.get('a');
    registry.get('b');
    registry.get('c'); // evicts 'a' and unregisters it
    const again = registry.get('a'); // 'a' is held by `a` still: a new breaker, a new registration
    expect(again).not.toBe(a);
    expect(
      telemetry
        .sources()
        .map((s) => s.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('register — 10,000 breakers register in linear time (one map entry each)', () => {
    const telemetry = new Telemetry();
    const breakers = Array.from(
      { length: 10_000 },
      (_, i) => new CircuitBreaker({ name: `b${i}`, telemetry }),
    );
    expect(telemetry.sources()).toHaveLength(10_000);
    for (const b of breakers.slice(0, 5_000)) telemetry.unregister(sourceOf(b)!);
    expect(telemetry.sources()).toHaveLength(5_000);
  });
});

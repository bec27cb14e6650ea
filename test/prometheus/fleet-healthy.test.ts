import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { FLEET_CHECK, type Fleet, type FleetMember } from '../../src/breaker/fleet.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { sample } from './scrape.js';

/** A fleet whose store health the test sets by hand. */
function scriptedFleet(): { fleet: Fleet; setHealthy: (healthy: boolean) => void } {
  let healthy = true;
  const member: FleetMember = {
    get healthy() {
      return healthy;
    },
    state: 'closed',
    generation: 1,
    ticket: FLEET_CHECK,
    admit: () => 1,
    retryAfterMs: () => 0,
    acquire: () => Promise.resolve(undefined),
    record: () => undefined,
    settle: () => undefined,
    close: () => Promise.resolve(),
  } as unknown as FleetMember;
  return { fleet: { attach: () => member }, setHealthy: (h) => (healthy = h) };
}

describe('prometheusMetrics — fleet health', () => {
  it('prometheusMetrics — breakwater_fleet_healthy follows the store health of breakers with a fleet only', async () => {
    const telemetry = new Telemetry();
    const clock = new FakeClock();
    const { fleet, setHealthy } = scriptedFleet();
    const shared = new CircuitBreaker({ name: 'shared', clock, telemetry, fleet });
    const local = new CircuitBreaker({ name: 'local', clock, telemetry });
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    expect(sample(await registry.metrics(), 'breakwater_fleet_healthy', { breaker: 'shared' })).toBe(1);
    setHealthy(false);
    const text = await registry.metrics();
    expect(sample(text, 'breakwater_fleet_healthy', { breaker: 'shared' })).toBe(0);
    expect(text).not.toContain('breakwater_fleet_healthy{breaker="local"}');
    expect([shared.name, local.name]).toEqual(['shared', 'local']); // both stay alive for the scrape
  });
});

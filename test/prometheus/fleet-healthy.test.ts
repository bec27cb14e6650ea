import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { CircuitBreaker, Telemetry } from '../../src/index.js';
import { FLEET_CHECK, FLEET_REJECT, type Fleet, type FleetMember } from '../../src/breaker/fleet.js';
import { prometheusMetrics } from '../../src/prometheus/index.js';
import { FakeClock } from '../../src/testing/index.js';
import { sample } from './scrape.js';

/** A fleet whose store health the test sets by hand. */
function scriptedFleet(): {
  fleet: Fleet;
  setHealthy: (healthy: boolean) => void;
  setOpen: (open: boolean) => void;
} {
  let healthy = true;
  let open = false;
  const member: FleetMember = {
    get healthy() {
      return healthy;
    },
    get state() {
      return open ? 'open' : 'closed';
    },
    generation: 1,
    ticket: FLEET_CHECK,
    admit: () => (open ? FLEET_REJECT : 1),
    retryAfterMs: () => 0,
    acquire: () => Promise.resolve(undefined),
    record: () => undefined,
    settle: () => undefined,
    close: () => Promise.resolve(),
  };
  return { fleet: { attach: () => member }, setHealthy: (h) => (healthy = h), setOpen: (o) => (open = o) };
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

  it('prometheusMetrics — breakwater_state follows the effective state: an open fleet reads open', async () => {
    const telemetry = new Telemetry();
    const { fleet, setOpen } = scriptedFleet();
    const shared = new CircuitBreaker({ name: 'shared', clock: new FakeClock(), telemetry, fleet });
    const registry = new Registry();
    prometheusMetrics({ telemetry, registry });
    expect(sample(await registry.metrics(), 'breakwater_state', { breaker: 'shared', state: 'closed' })).toBe(
      1,
    );
    setOpen(true);
    const text = await registry.metrics();
    // The alert of docs/observability.md, `breakwater_state{state="open"} == 1`, fires for a fleet-wide open circuit.
    expect(sample(text, 'breakwater_state', { breaker: 'shared', state: 'open' })).toBe(1);
    expect(sample(text, 'breakwater_state', { breaker: 'shared', state: 'closed' })).toBe(0);
    expect(shared.localState).toBe('closed');
  });
});

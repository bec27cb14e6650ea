/**
 * Chaos engineering with breakwater/chaos: inject failures into your own dependency and verify
 * that your circuit opens, fails fast, and closes again once the dependency heals.
 *
 * The test suite runs it (`test/chaos/example.test.ts`); in your project it belongs in a test of
 * its own.
 */
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { CircuitBreaker, isCircuitOpenError } from 'breakwater';
import { fault, seededRandom } from 'breakwater/chaos';
import { EventRecorder, FakeClock } from 'breakwater/testing';

/** Your dependency: here a price lookup that counts how often it is really reached. */
function makePriceService(): { getPrice: (sku: string) => Promise<number>; calls: () => number } {
  let calls = 0;
  return {
    getPrice: async (sku: string) => {
      calls++;
      return sku.length * 100;
    },
    calls: () => calls,
  };
}

/** Runs the experiment and returns the breaker's transitions; throws if the breaker misbehaves. */
export async function main(log: (line: string) => void = console.log): Promise<string[]> {
  const clock = new FakeClock();
  const prices = makePriceService();
  // Your breaker, configured as in production (the clock is injected only to skip waiting).
  const breaker = new CircuitBreaker({
    name: 'prices',
    // Rate rule alone (no failure count): open when half of the last 20 calls failed.
    window: { type: 'count', size: 20 },
    failureRateThreshold: 0.5,
    minimumCalls: 10,
    recoveryTimeout: 5_000,
    clock,
  });
  const recorder = new EventRecorder(breaker);

  // The fault sits between the breaker and the dependency; off until the experiment starts.
  const outage = fault({
    rate: 0.8,
    enabled: false,
    random: seededRandom(42),
    errorFactory: () => new Error('ECONNRESET (injected)'),
  });
  const getPrice = breaker.wrap((sku: string) => outage.execute(() => prices.getPrice(sku)));
  const attempt = async (): Promise<'ok' | 'failed' | 'rejected'> => {
    try {
      await getPrice('sku-1');
      return 'ok';
    } catch (error) {
      return isCircuitOpenError(error) ? 'rejected' : 'failed';
    }
  };

  // 1. Steady state: everything answers.
  for (let i = 0; i < 20; i++) assert.equal(await attempt(), 'ok');
  log(`steady state: breaker ${breaker.state}`);

  // 2. Inject failures into 80 % of calls: the circuit must open.
  outage.enable();
  const results: string[] = [];
  for (let i = 0; i < 20; i++) results.push(await attempt());
  assert.equal(breaker.state, 'open', 'the circuit should open under an 80 % failure rate');
  log(`fault injected: breaker ${breaker.state} after ${results.indexOf('rejected')} calls`);

  // 3. While open, calls fail fast and the dependency is not reached.
  const reached = prices.calls();
  assert.equal(await attempt(), 'rejected');
  assert.equal(prices.calls(), reached, 'an open circuit must not call the dependency');

  // 4. Heal the dependency; after the recovery timeout, probes close the circuit.
  outage.disable();
  clock.advance(5_000);
  for (let i = 0; i < 3; i++) assert.equal(await attempt(), 'ok');
  assert.equal(breaker.state, 'closed', 'the circuit should close once the dependency heals');
  const transitions = recorder.transitions();
  log(`healed: transitions ${transitions.join(', ')}`);
  log(`faults injected: ${outage.stats.injected} of ${outage.stats.calls} calls`);
  recorder.dispose();
  return transitions;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}

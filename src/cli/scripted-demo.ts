import { CircuitBreaker } from '../breaker/circuit-breaker.js';
import { isCircuitOpenError } from '../core/errors.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A short scripted story in real time: a dependency fails, the breaker opens and fails fast,
 * then probes and closes once the dependency is healthy again.
 */
export async function runScriptedDemo(out: (line: string) => void): Promise<void> {
  let healthy = true;
  let reached = 0;
  const dependency = async (): Promise<string> => {
    reached++;
    await sleep(5);
    if (!healthy) throw new Error('connection refused');
    return 'ok';
  };
  const breaker = new CircuitBreaker({
    name: 'inventory',
    failureThreshold: 5,
    recoveryTimeout: 1_000,
    timeout: 500,
  });
  breaker.on('stateChange', ({ from, to, reason }) => {
    out(`  [breaker] ${from} -> ${to} (${reason})`);
  });

  const call = async (label: string): Promise<void> => {
    const before = reached;
    try {
      const value = await breaker.execute(dependency);
      out(`  ${label}: ${value}`);
    } catch (error) {
      const how = isCircuitOpenError(error)
        ? `rejected fast (${error.state}, retry in ${Math.ceil(error.retryAfterMs)} ms)`
        : `failed: ${(error as Error).message}`;
      out(`  ${label}: ${how}${reached === before ? ', dependency not called' : ''}`);
    }
  };

  out('1. The dependency is healthy.');
  for (let i = 1; i <= 2; i++) await call(`call ${i}`);
  out('2. The dependency starts failing: 5 failures open the circuit.');
  healthy = false;
  for (let i = 3; i <= 7; i++) await call(`call ${i}`);
  out('3. While open, calls fail fast without reaching the dependency.');
  for (let i = 8; i <= 10; i++) await call(`call ${i}`);
  out('4. The dependency recovers; after the 1 s recovery timeout, probes are admitted.');
  healthy = true;
  await sleep(1_050);
  for (let i = 11; i <= 13; i++) await call(`call ${i}`);
  const { totals } = breaker.stats;
  out(
    `Done: state ${breaker.state}; ${totals.successes} successes, ${totals.failures} failures, ${totals.rejected} rejected fast; the dependency was called ${reached} times for 13 calls.`,
  );
  out(
    'The full demo (a cascading failure across real services) arrives with `breakwater demo` in a later release.',
  );
}

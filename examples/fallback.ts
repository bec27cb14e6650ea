/**
 * A fallback: a degraded answer when the recommendations service fails or its circuit is open.
 * Run: npx unrun examples/fallback.ts
 */
import { CircuitBreaker, fallback, isCircuitOpenError, pipeline } from 'breakwater';
import { isMain } from './is-main.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const breaker = new CircuitBreaker({ name: 'recommendations', failureThreshold: 2 });
  const recommendations = pipeline(
    fallback((error) => (isCircuitOpenError(error) ? ['bestsellers (circuit open)'] : ['bestsellers'])),
    breaker,
  );

  const personalised = async (): Promise<string[]> => {
    throw new Error('recommendations service down');
  };

  for (let i = 1; i <= 3; i++) {
    const items = await recommendations.execute(personalised);
    log(`request ${i}: ${items.join(', ')} [breaker ${breaker.state}]`);
  }
}

if (isMain(import.meta.url)) await main();

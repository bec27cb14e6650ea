/**
 * Retry with exponential backoff, full jitter and a retry budget.
 * Run: npx unrun examples/retry.ts
 */
import { exponential, retry } from 'breakwater';
import { isMain } from './is-main.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  // A dependency that fails twice, then answers.
  let calls = 0;
  const flakyInventory = async (sku: string): Promise<number> => {
    calls++;
    if (calls < 3) throw new Error(`inventory unavailable (call ${calls})`);
    return sku.length * 10;
  };

  const policy = retry({
    maxAttempts: 4,
    backoff: exponential({ initial: 5, max: 50 }), // full jitter: each delay is random in [0, bound)
    budget: true, // retries ≤ 20 % of calls (+3 per second), so an outage is not multiplied
    onRetry: ({ attempt, error }) => log(`attempt ${attempt} failed: ${(error as Error).message}; retrying`),
  });

  const stock = await policy.execute(() => flakyInventory('sku-42'));
  log(`stock: ${stock} after ${calls} calls`);
}

if (isMain(import.meta.url)) await main();

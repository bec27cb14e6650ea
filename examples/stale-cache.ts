/**
 * A stale cache: the last good price for the same product while the pricing service is down.
 * Run: npx unrun examples/stale-cache.ts
 */
import { staleCache } from 'breakwater';
import { isMain } from './is-main.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  let up = true;
  const fetchPrice = async (sku: string): Promise<number> => {
    if (!up) throw new Error('pricing service down');
    return sku === 'tea' ? 4.5 : 12;
  };

  const lastKnown = staleCache({
    ttl: 5 * 60_000, // never serve a price older than five minutes
    maxEntries: 10_000,
    key: (sku: string) => `price:${sku}`,
    onStale: ({ key }) => log(`serving stale ${key}`),
  });
  const price = lastKnown.wrap(fetchPrice);

  log(`tea: ${await price('tea')}`);
  up = false;
  log(`tea: ${await price('tea')}`);
  try {
    await price('coffee'); // never fetched: nothing to fall back on
  } catch (error) {
    log(`coffee: ${(error as Error).message}`);
  }
}

if (isMain(import.meta.url)) await main();

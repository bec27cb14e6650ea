/**
 * A bulkhead: at most 2 renders at once, 1 waiting, the rest refused at once.
 * Run: npx unrun examples/bulkhead.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { bulkhead, isBulkheadFullError } from 'breakwater';
import { isMain } from './is-main.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const renders = bulkhead({ maxConcurrent: 2, maxQueue: 1, name: 'renders' });
  const render = renders.wrap(async (page: string) => {
    await sleep(10);
    return `rendered ${page}`;
  });

  const outcomes = await Promise.allSettled(['home', 'about', 'blog', 'shop'].map((page) => render(page)));
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') log(outcome.value);
    else if (isBulkheadFullError(outcome.reason)) log(`refused: ${outcome.reason.message}`);
  }
}

if (isMain(import.meta.url)) await main();

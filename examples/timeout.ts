/**
 * A cooperative timeout: the function receives a signal that aborts at the deadline.
 * Run: npx unrun examples/timeout.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { isCallTimeoutError, timeout } from 'breakwater';
import { isMain } from './is-main.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const perCall = timeout(20, { name: 'report' });

  // A slow job that honours the signal: it stops as soon as the deadline passes.
  const slowReport = async ({ signal }: { signal: AbortSignal }): Promise<string> => {
    await sleep(5_000, undefined, { signal });
    return 'report';
  };

  try {
    await perCall.execute(slowReport);
  } catch (error) {
    if (isCallTimeoutError(error)) log(`gave up: ${error.message}`);
  }

  const quick = await perCall.execute(async () => 'quick answer');
  log(`then: ${quick}`);
}

if (isMain(import.meta.url)) await main();

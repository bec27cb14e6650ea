import { describe, expect, it } from 'vitest';

/** Runs an example's `main()` and returns what it logged. */
async function run(name: string): Promise<string[]> {
  const mod = (await import(`../../examples/${name}.ts`)) as {
    main: (log: (line: string) => void) => Promise<void>;
  };
  const lines: string[] = [];
  await mod.main((line) => lines.push(line));
  return lines;
}

describe('examples', () => {
  it('examples/retry — succeeds on the third call after two retries', async () => {
    const lines = await run('retry');
    expect(lines).toEqual([
      'attempt 1 failed: inventory unavailable (call 1); retrying',
      'attempt 2 failed: inventory unavailable (call 2); retrying',
      'stock: 60 after 3 calls',
    ]);
  });

  it('examples/timeout — gives up at the deadline, then answers a quick call', async () => {
    expect(await run('timeout')).toEqual([
      'gave up: call through "report" timed out after 20 ms',
      'then: quick answer',
    ]);
  });

  it('examples/bulkhead — runs two, queues one, refuses the fourth', async () => {
    expect(await run('bulkhead')).toEqual([
      'rendered home',
      'rendered about',
      'rendered blog',
      'refused: bulkhead "renders" is full (2 running, queue 1)',
    ]);
  });

  it('examples/fallback — degrades, then answers for the open circuit', async () => {
    expect(await run('fallback')).toEqual([
      'request 1: bestsellers [breaker closed]',
      'request 2: bestsellers [breaker open]',
      'request 3: bestsellers (circuit open) [breaker open]',
    ]);
  });

  it('examples/stale-cache — serves the last price and fails for an unknown product', async () => {
    expect(await run('stale-cache')).toEqual([
      'tea: 4.5',
      'serving stale price:tea',
      'tea: 4.5',
      'coffee: pricing service down',
    ]);
  });

  it('examples/queue-for-later — queues two mails and replays both when the circuit closes', async () => {
    const lines = await run('queue-for-later');
    expect(lines.slice(0, 3)).toEqual([
      'queued mail to ann@example.com as mail-1',
      'queued mail to bob@example.com as mail-2',
      'waiting in the outbox: 2',
    ]);
    expect(lines.slice(3, -1).sort()).toEqual([
      'sent "Welcome" to cy@example.com',
      'sent "Your order" to ann@example.com',
      'sent "Your order" to bob@example.com',
    ]);
    expect(lines.at(-1)).toBe('waiting in the outbox: 0');
  });

  it('examples/pipeline — retries a timed-out attempt, then falls back when the circuit is isolated', async () => {
    expect(await run('pipeline')).toEqual([
      'retry after attempt 1',
      'Lyon: 21°C (live) after 2 calls',
      '?: fallback [breaker isolated]',
    ]);
  });
});

/**
 * BreakerRegistry: one circuit breaker per tenant, with bounded memory.
 *
 * Each tenant's backend gets its own breaker, so one failing tenant does not cut off the others.
 * The registry holds at most `maxBreakers` breakers: a new tenant evicts the least recently used
 * closed one, never an open one (that would forget the outage); idle breakers leave by themselves.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { BreakerRegistry, isCircuitOpenError } from 'breakwater';

/** Runs the example; returns what happened, for the tests. */
export async function main(log: (line: string) => void = console.log) {
  const received: Record<string, number> = {};
  const server = createServer((req, res) => {
    const tenant = req.url?.split('/')[2] ?? '?';
    received[tenant] = (received[tenant] ?? 0) + 1;
    if (tenant === 'acme') res.writeHead(500).end('acme database down');
    else res.end(`hello ${tenant}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const tenants = new BreakerRegistry({
    prefix: 'tenant',
    maxBreakers: 3,
    idleTtl: 500,
    defaults: { failureThreshold: 2, recoveryTimeout: 10_000, timeout: 1_000 },
  });
  const evictions: string[] = [];
  tenants.on('evicted', ({ key, reason }) => {
    evictions.push(`${key}:${reason}`);
    log(`  evicted ${key} (${reason})`);
  });

  async function callTenant(tenant: string): Promise<string> {
    try {
      return await tenants.get(tenant).execute(async ({ signal }) => {
        const response = await fetch(`${origin}/tenants/${tenant}`, { signal });
        if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
        return response.text();
      });
    } catch (error) {
      return isCircuitOpenError(error) ? 'circuit open' : `failed: ${(error as Error).message}`;
    }
  }

  try {
    for (const tenant of ['acme', 'acme', 'acme', 'globex', 'initech']) {
      log(`${tenant}: ${await callTenant(tenant)}`);
    }
    log(`a fourth tenant arrives (maxBreakers is 3):`);
    log(`umbrella: ${await callTenant('umbrella')}`);
    log(`breakers: ${[...tenants].map(([key, b]) => `${key}=${b.state}`).join(', ')}`);
    await sleep(600); // longer than idleTtl
    log('after 150 ms idle:');
    const remaining = [...tenants].map(([key, b]) => `${key}=${b.state}`);
    log(`breakers: ${remaining.join(', ')}`);
    return { received, evictions, remaining };
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

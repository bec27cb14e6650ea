/**
 * breakwater/fetch: a fetch with one circuit breaker per origin.
 *
 * An inventory service starts failing with 503 and `Retry-After: 30`; after three failures its
 * circuit opens and further calls fail fast without reaching it, for the 30 s it asked for. A
 * catalog service on another origin is unaffected, and a 404 is an answer, not a failure.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { isCircuitOpenError } from 'breakwater';
import { createFetch } from 'breakwater/fetch';

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ server: Server; origin: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Runs the example; returns what happened, for the tests. */
export async function main(log: (line: string) => void = console.log) {
  let inventoryReceived = 0;
  const inventory = await serve((_req, res) => {
    inventoryReceived++;
    if (inventoryReceived === 1) res.end('{"sku":"A-1","stock":4}');
    else res.writeHead(503, { 'retry-after': '30' }).end('overloaded');
  });
  const catalog = await serve((req, res) => {
    if (req.url === '/items/unknown') res.writeHead(404).end('no such item');
    else res.end('{"sku":"A-1","name":"Anchor"}');
  });

  const fetch = createFetch({
    timeout: 2_000, // per attempt, until the response headers arrive
    breaker: { failureThreshold: 3, recoveryTimeout: 5_000 },
  });

  const outcomes: string[] = [];
  try {
    for (let i = 1; i <= 6; i++) {
      try {
        const response = await fetch(`${inventory.origin}/stock/A-1`);
        outcomes.push(String(response.status));
        log(`inventory call ${i}: ${response.status} ${await response.text()}`);
      } catch (error) {
        if (!isCircuitOpenError(error)) throw error;
        outcomes.push('open');
        log(
          `inventory call ${i}: circuit open, not sent (probes in ${Math.round(error.retryAfterMs / 1_000)} s)`,
        );
      }
    }
    const item = await fetch(`${catalog.origin}/items/A-1`);
    const missing = await fetch(`${catalog.origin}/items/unknown`);
    log(`catalog: ${item.status} ${await item.text()}; unknown item: ${missing.status} (not a failure)`);
    log(`inventory received ${inventoryReceived} requests of 6`);
    for (const [origin, breaker] of fetch.registry) log(`  ${origin}: ${breaker.state}`);
    return {
      outcomes,
      inventoryReceived,
      catalogStatuses: [item.status, missing.status],
      retryAfterMs: fetch.registry.get(inventory.origin).stats.retryAfterMs,
    };
  } finally {
    for (const { server } of [inventory, catalog]) {
      server.closeAllConnections();
      server.close();
    }
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

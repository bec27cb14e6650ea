import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BreakerDownstream, hopBreakerOptions, timeoutOnly } from '../../src/demo/downstream.js';
import { send } from '../../src/demo/http.js';

let mode: 'ok' | 'fail' | 'hang' = 'ok';
let reached = 0;
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    reached++;
    if (mode === 'ok') send(res, 200, { id: req.url, price: 1, degraded: false, source: 'database' });
    else if (mode === 'fail') send(res, 500, { error: 'down' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('BreakerDownstream', () => {
  it('get — falls back after failures and, once open, without calling the service', async () => {
    mode = 'ok';
    const hop = new BreakerDownstream(base, hopBreakerOptions('C->database', 1_000, 60_000), (_e, path) => ({
      id: path,
      degraded: true,
      source: 'stale-cache',
    }));
    const never = new AbortController().signal;
    expect(await hop.get('/item/k1', never)).toMatchObject({ degraded: false, source: 'database' });
    mode = 'fail';
    for (let i = 0; i < 20; i++) expect((await hop.get('/item/k1', never)).degraded).toBe(true);
    expect(hop.breaker.state).toBe('open');
    const before = reached;
    expect(await hop.get('/item/k1', never)).toMatchObject({ source: 'stale-cache' });
    expect(reached).toBe(before);
  });

  it('get — without a fallback the error goes up', async () => {
    mode = 'fail';
    const hop = new BreakerDownstream(base, hopBreakerOptions('B->C', 1_000, 60_000));
    await expect(hop.get('/item/k1', new AbortController().signal)).rejects.toThrow('answered 500');
  });
});

describe('timeoutOnly', () => {
  it('get — aborts a hanging call after its timeout', async () => {
    mode = 'hang';
    const hop = timeoutOnly(base, 100);
    await expect(hop.get('/item/k1', new AbortController().signal)).rejects.toThrow();
    mode = 'ok';
    await expect(hop.get('/item/k2', new AbortController().signal)).resolves.toMatchObject({ price: 1 });
  });
});

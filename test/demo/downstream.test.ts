import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isCircuitOpenError } from '../../src/core/errors.js';
import { Telemetry } from '../../src/core/telemetry.js';
import { hopBreakerOptions, ProtectedHop, timeoutOnly } from '../../src/demo/downstream.js';
import { send } from '../../src/demo/http.js';
import { FakeClock } from '../../src/testing/index.js';
import { waitFor } from '../support/wait.js';

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

beforeEach(() => {
  mode = 'ok';
});

const never = (): AbortSignal => new AbortController().signal;
// Recovery far away: on the fake clock an open circuit stays open until the test advances it.
const breaker = hopBreakerOptions(1_000, 60_000);

describe('ProtectedHop', () => {
  it('get — C answers from its stale cache once the database fails, without calling it once open', async () => {
    const clock = new FakeClock();
    const hop = new ProtectedHop({
      name: 'C->database',
      base,
      breaker,
      fallback: 'stale-cache',
      staleMaxAgeMs: 5_000,
      clock,
    });
    expect(await hop.get('/item/k1', never())).toMatchObject({ degraded: false, source: 'database' });
    mode = 'fail';
    for (let i = 0; i < 20; i++) {
      expect(await hop.get('/item/k1', never())).toMatchObject({
        id: '/item/k1',
        degraded: true,
        source: 'stale-cache',
      });
    }
    expect(hop.state).toBe('open');
    const before = reached;
    expect(await hop.get('/item/k1', never())).toMatchObject({ source: 'stale-cache' });
    expect(reached).toBe(before);
    // No cached answer for another item: the breaker's rejection goes up.
    await expect(hop.get('/item/k2', never())).rejects.toSatisfy(isCircuitOpenError);
  });

  it('get — C serves no cached answer older than staleMaxAgeMs', async () => {
    const clock = new FakeClock();
    const hop = new ProtectedHop({
      name: 'C->database',
      base,
      breaker,
      fallback: 'stale-cache',
      staleMaxAgeMs: 5_000,
      clock,
    });
    await hop.get('/item/k1', never());
    mode = 'fail';
    clock.advance(4_999);
    expect((await hop.get('/item/k1', never())).source).toBe('stale-cache');
    clock.advance(1);
    await expect(hop.get('/item/k1', never())).rejects.toThrow('answered 500');
  });

  it('get — A answers with a degraded default answer when B fails', async () => {
    const hop = new ProtectedHop({
      name: 'A->B',
      base,
      breaker,
      fallback: 'default',
      clock: new FakeClock(),
    });
    mode = 'fail';
    expect(await hop.get('/item/k7', never())).toEqual({ id: 'k7', degraded: true, source: 'default' });
    mode = 'ok';
    expect(await hop.get('/item/k7', never())).toMatchObject({ degraded: false, source: 'database' });
  });

  it('get — without a fallback the error goes up', async () => {
    const hop = new ProtectedHop({ name: 'B->C', base, breaker, clock: new FakeClock() });
    mode = 'fail';
    await expect(hop.get('/item/k1', never())).rejects.toThrow('answered 500');
  });

  it('get — a caller that went away gets no fallback answer', async () => {
    const hop = new ProtectedHop({
      name: 'A->B',
      base,
      breaker,
      fallback: 'default',
      clock: new FakeClock(),
    });
    const gone = new AbortController();
    gone.abort(new Error('client went away'));
    await expect(hop.get('/item/k1', gone.signal)).rejects.toThrow('client went away');
  });

  it('onTransition — reports the breaker opening; reset closes it; the breaker is on the telemetry stream', async () => {
    const telemetry = new Telemetry();
    const changes: string[] = [];
    const hop = new ProtectedHop({
      name: 'B->C',
      base,
      breaker,
      telemetry,
      clock: new FakeClock(),
      onTransition: ({ from, to }) => changes.push(`${from}->${to}`),
    });
    expect(telemetry.sources().map((s) => s.name)).toEqual([`B->C:${base}`]);
    expect(hop.breaker?.name).toBe(`B->C:${base}`);
    mode = 'fail';
    for (let i = 0; i < 10; i++) await hop.get('/item/k1', never()).catch(() => undefined);
    expect(hop.state).toBe('open');
    hop.reset();
    expect(hop.state).toBe('closed');
    expect(changes).toEqual(['closed->open', 'open->closed']);
  });
});

describe('timeoutOnly', () => {
  it('get — aborts a hanging call after its timeout', async () => {
    mode = 'hang';
    const clock = new FakeClock();
    const hop = timeoutOnly(base, 100, clock);
    const before = reached;
    const hanging = hop.get('/item/k1', never()).catch((e: unknown) => e);
    await waitFor(() => reached === before + 1, 10_000, 'the request to reach the server');
    clock.advance(100); // the deadline, on the fake clock: a loaded machine cannot reach it early
    expect(await hanging).toMatchObject({ message: 'timed out after 100 ms' });
    mode = 'ok';
    await expect(hop.get('/item/k2', never())).resolves.toMatchObject({ price: 1 });
  });
});

// Redis outages as an application sees them: a forked process set up exactly as docs/fleet.md's
// fleet snippets say keeps serving while redis-server is killed (SIGKILL) and restarted on the
// same port; and a client that is not connected is reported degraded at once.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../src/index.js';
import { FakeClock } from '../../src/testing/fake-clock.js';
import type { FleetEvent } from '../../src/breaker/fleet.js';
import { redisFleet, redisStreamQueueStorage } from '../../src/redis/index.js';
import { ensureBuilt } from '../process/run-fixture.js';
import { freePort, requireRedis, RedisServer } from '../support/redis-server.js';
import { CLIENTS, type ClientKind, connect, fail, instance, sleep, uniqueName, waitFor } from './helpers.js';

const hasRedis = requireRedis('test/redis/client-outage.test.ts');
const WORKER = join(fileURLToPath(new URL('../fixtures', import.meta.url)), 'fleet-outage-worker.js');

/** Generous bound of every wait: a loaded machine is slow, but an event that never comes fails. */
const LIMIT = 20_000;

interface Message {
  type: string;
  kind?: string;
  healthy?: boolean;
  ok?: number;
  other?: number;
}

/** The forked application: its IPC messages, its stderr and its exit code. */
class App {
  readonly child: ChildProcess;
  readonly messages: Message[] = [];
  stderr = '';
  stdout = '';
  readonly exited: Promise<number | null>;
  constructor(kind: ClientKind, url: string, variant?: string) {
    this.child = fork(WORKER, [kind, url, ...(variant === undefined ? [] : [variant])], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.stdout += s));
    this.child.on('message', (m: Message) => this.messages.push(m));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  send(message: object): void {
    this.child.send(message);
  }
  fleet(kind: string): Message[] {
    return this.messages.filter((m) => m.type === 'fleet' && m.kind === kind);
  }
  last(type: string): Message | undefined {
    return this.messages.findLast((m) => m.type === type);
  }
  /** Asks for the counts; resolves them. */
  async count(): Promise<{ ok: number; other: number }> {
    const before = this.messages.filter((m) => m.type === 'count').length;
    this.send({ type: 'count' });
    await waitFor(() => this.messages.filter((m) => m.type === 'count').length > before, LIMIT, 'counts');
    const m = this.last('count')!;
    return { ok: m.ok!, other: m.other! };
  }
  /** Waits until `more` calls succeeded after this point. */
  async served(more: number): Promise<void> {
    const start = (await this.count()).ok;
    await waitFor(async () => (await this.count()).ok >= start + more, LIMIT, `${more} calls served`);
  }
  /** Stops the app and resolves its exit code (it must exit on its own). */
  async stop(): Promise<number | null> {
    this.send({ type: 'stop' });
    const killer = setTimeout(() => this.child.kill('SIGKILL'), LIMIT);
    const code = await this.exited;
    clearTimeout(killer);
    return code;
  }
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

const unhandledLines = (text: string): number =>
  text.split('\n').filter((line) => line.includes('Unhandled error event')).length;

describe.skipIf(!hasRedis).each(CLIENTS)('a Redis outage under the setup of docs/fleet.md (%s)', (kind) => {
  let server: RedisServer;
  beforeAll(async () => {
    ensureBuilt();
    server = await RedisServer.start();
  }, 120_000);
  afterAll(async () => {
    await server.dispose();
  });

  it('Redis killed and restarted: the app serves local-only, exits 0, no error flood, the fleet is restored', async () => {
    const app = new App(kind, server.url);
    try {
      app.send({ type: 'start' });
      await waitFor(() => app.last('ready') !== undefined, LIMIT, 'the app ready');
      expect(app.last('ready')!.healthy).toBe(true);
      await waitFor(() => app.fleet('transition').length > 0, LIMIT, 'the first fleet reply');
      await app.served(20);

      await server.stop('SIGKILL');
      await waitFor(() => app.fleet('degraded').length > 0, LIMIT, 'degraded');
      await app.served(50); // local-only: calls keep succeeding while Redis is down
      expect(app.child.exitCode).toBeNull();

      await server.resume();
      await waitFor(() => app.fleet('restored').length > 0, LIMIT, 'restored');
      await app.served(20);

      const code = await app.stop();
      const report = app.last('report');
      expect(code, app.stderr).toBe(0);
      expect(report?.other, app.stderr).toBe(0);
      expect(app.stderr).not.toMatch(/Uncaught|SocketClosedUnexpectedlyError|ECONNREFUSED/);
      expect(unhandledLines(app.stderr + app.stdout)).toBe(0);
      expect(app.stderr).not.toContain('Warning'); // the members reported the outage; no warning on top
      // One outage: one degraded event, one restored event.
      expect(app.fleet('degraded')).toHaveLength(1);
      expect(app.fleet('restored')).toHaveLength(1);
      expect(app.fleet('restored')[0]!.healthy).toBe(true);
      // The application's own error listener saw the outage (its errors were not swallowed).
      expect(app.stdout).toContain('app log: redis:');
    } finally {
      app.kill();
      await server.resume();
    }
  }, 90_000);

  it('a client without an error listener gets one process warning naming the problem', async () => {
    const app = new App(kind, server.url, 'no-error-listener');
    try {
      app.send({ type: 'start' });
      await waitFor(() => app.last('ready') !== undefined, LIMIT, 'the app ready');
      expect(await app.stop(), app.stderr + app.stdout).toBe(0);
      const warnings = app.stderr.split('\n').filter((l) => l.includes("no 'error' listener"));
      expect(warnings, app.stderr).toHaveLength(1);
    } finally {
      app.kill();
    }
  }, 60_000);
});

describe.skipIf(!hasRedis)('a client that is not connected', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  const breakerOn = (client: unknown, events: FleetEvent[]) => {
    const fleet = redisFleet({ client, syncIntervalMs: 60_000 });
    const breaker = new CircuitBreaker({ name: uniqueName('unconnected'), failureThreshold: 5, fleet });
    breaker.on('fleet', (e) => events.push(e));
    return { fleet, breaker };
  };

  it('node-redis, connect() not called: degraded at construction, restored once connected', async () => {
    const client = createClient({ url: server.url, disableOfflineQueue: true });
    client.on('error', () => {});
    const events: FleetEvent[] = [];
    const { fleet, breaker } = breakerOn(client, events);
    try {
      expect(breaker.fleet!.healthy).toBe(false);
      expect(await breaker.execute(() => Promise.resolve('ok'))).toBe('ok');
      await client.connect();
      await waitFor(() => events.some((e) => e.kind === 'restored'), LIMIT, 'restored');
      expect(breaker.fleet!.healthy).toBe(true);
      await waitFor(() => breaker.fleet!.state === 'closed', LIMIT, 'the fleet state');
    } finally {
      await fleet.close();
      if (client.isOpen) client.destroy();
    }
  });

  it('node-redis still connecting to a dead port: degraded at construction', async () => {
    const port = await freePort();
    const client = createClient({
      url: `redis://127.0.0.1:${port}`,
      disableOfflineQueue: true,
      socket: { reconnectStrategy: () => 50 },
    });
    client.on('error', () => {});
    const connecting = client.connect().catch(() => undefined);
    const events: FleetEvent[] = [];
    const { fleet, breaker } = breakerOn(client, events);
    try {
      expect(client.isReady).toBe(false);
      expect(breaker.fleet!.healthy).toBe(false);
      expect(await breaker.execute(() => Promise.resolve('ok'))).toBe('ok');
    } finally {
      await fleet.close();
      if (client.isOpen) client.destroy();
      await connecting;
    }
  });

  it('ioredis, lazyConnect and not connected: degraded at construction, restored once connected', async () => {
    const client = new Redis(server.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      lazyConnect: true,
    });
    client.on('error', () => {});
    const events: FleetEvent[] = [];
    const { fleet, breaker } = breakerOn(client, events);
    try {
      expect(breaker.fleet!.healthy).toBe(false);
      await client.connect();
      await waitFor(() => events.some((e) => e.kind === 'restored'), LIMIT, 'restored');
      expect(breaker.fleet!.healthy).toBe(true);
    } finally {
      await fleet.close();
      client.disconnect();
    }
  });
});

describe.skipIf(!hasRedis).each(CLIENTS)('a client that lost its connection (%s)', (kind) => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('the first store call after Redis went away degrades the breaker at once, its return restores it', async () => {
    const connection = await connect(kind, server.port);
    // Idle syncs and reconnect attempts far apart: only the calls below reach the store.
    const fleet = redisFleet({
      client: connection.client,
      syncIntervalMs: 600_000,
      reconnectIntervalMs: 600_000,
    });
    const breaker = new CircuitBreaker({ name: uniqueName('lost'), failureThreshold: 50, fleet });
    const events: FleetEvent[] = [];
    breaker.on('fleet', (e) => events.push(e));
    try {
      await waitFor(() => breaker.fleet!.state === 'closed', LIMIT, 'the first reply');
      await server.stop('SIGKILL');
      await waitFor(() => !connection.ready(), LIMIT, 'the client to see the connection gone');
      await fail(breaker, 3); // three failures: an eager flush, the one store call
      expect(breaker.fleet!.healthy).toBe(false);
      expect(events.filter((e) => e.kind === 'degraded')).toHaveLength(1);
      expect(await breaker.execute(() => Promise.resolve('ok'))).toBe('ok');
      await server.resume();
      // The client's own reconnection wakes the member (the next reconnect attempt is minutes away).
      await waitFor(() => events.some((e) => e.kind === 'restored'), LIMIT, 'restored');
      expect(breaker.fleet!.healthy).toBe(true);
    } finally {
      await fleet.close();
      await connection.quit();
      await server.resume();
    }
  });

  it('force — with the offline queue on, it gives up after 5 s of the clock (or deadlineMs if longer); a late delivery still applies it', async () => {
    const clock = new FakeClock(1_000_000);
    const name = uniqueName('force-queued');
    // Clients that queue commands while disconnected (the libraries' defaults).
    const queueing = () => connect(kind, server.port, { offlineQueue: true });
    const connections = [await queueing(), await queueing()];
    const settings = { syncIntervalMs: 600_000, reconnectIntervalMs: 600_000 };
    const short = redisFleet({ client: connections[0]!.client, deadlineMs: 50, ...settings });
    const long = redisFleet({ client: connections[1]!.client, deadlineMs: 8_000, ...settings });
    const breakers = [short, long].map((fleet) => new CircuitBreaker({ name, clock, fleet }));
    /** Resolves what `promise` has settled to by now: the rejection's message, 'resolved', or 'pending'. */
    const settled = async (promise: Promise<unknown>): Promise<string> => {
      let outcome = 'pending';
      promise.then(
        () => (outcome = 'resolved'),
        (e: unknown) => (outcome = (e as Error).message),
      );
      // The deadline rejects from inside `advance`; its handlers run within these turns.
      for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
      return outcome;
    };
    try {
      for (const b of breakers) await waitFor(() => b.fleet!.state === 'closed', LIMIT, 'the first reply');
      await server.stop('SIGKILL');
      await waitFor(
        () => connections.every((c) => !c.ready()),
        LIMIT,
        'the clients to see the connection gone',
      );
      const byShort = short.force(name, 'isolate');
      const byLong = long.force(name, 'isolate');
      clock.advance(4_999);
      expect(await settled(byShort)).toBe('pending');
      clock.advance(1);
      expect(await settled(byShort)).toBe('breakwater/redis: fleet force took longer than 5000 ms');
      clock.advance(2_999);
      expect(await settled(byLong)).toBe('pending');
      clock.advance(1);
      expect(await settled(byLong)).toBe('breakwater/redis: fleet force took longer than 8000 ms');
      // The client still holds the command: once Redis is back it delivers it, and the action
      // takes effect although the call reported it late (force is idempotent: repeat it to know).
      await server.resume();
      const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
      await admin.connect();
      try {
        await waitFor(
          async () => (await admin.hget(short.keysOf(name).state, 'st')) === 'forced_open',
          LIMIT,
          'the late isolate',
        );
      } finally {
        admin.disconnect();
      }
      expect(await short.force(name, 'isolate')).toBe('isolated');
    } finally {
      await Promise.all([short.close(), long.close()]);
      for (const c of connections) await c.quit();
      await server.resume();
    }
  });

  it('redisStreamQueueStorage: every call rejects while Redis is down (no crash, no unhandled rejection), then works again', async () => {
    const connection = await connect(kind, server.port);
    const storage = redisStreamQueueStorage({ client: connection.client, stream: uniqueName('{q}:s') });
    const item = { payload: { n: 1 }, attempts: 0, enqueuedAt: 0 };
    try {
      expect(await storage.append(item, 10)).toBeTypeOf('string');
      await server.stop('SIGKILL');
      await expect(storage.append(item, 10)).rejects.toThrow();
      await expect(storage.take(10)).rejects.toThrow();
      await expect(storage.size()).rejects.toThrow();
      await server.resume(); // empty: no persistence
      // The client reconnects on its own; the storage answers again (an empty stream).
      let size: number | undefined;
      await waitFor(
        async () => (size = await storage.size().catch(() => undefined)) !== undefined,
        LIMIT,
        'the storage to answer',
        50,
      );
      expect(size).toBe(0);
    } finally {
      await connection.quit();
      await server.resume();
    }
  });
});

/** Connections subscribed to `channel`. */
const subscribers = async (admin: Redis, channel: string): Promise<number> =>
  Number((await admin.pubsub('NUMSUB', channel))[1]);

describe.skipIf(!hasRedis).each(CLIENTS)('the fleet subscriber alone fails (%s)', (kind) => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('while the store answers, its error is one process warning per outage', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => {
      if (w.message.includes('subscriber connection failed')) warnings.push(w.message);
    };
    process.on('warning', onWarning);
    const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    const a = await instance(
      kind,
      server.port,
      { name: uniqueName('sub'), failureThreshold: 5 },
      {
        syncIntervalMs: 100,
      },
    );
    try {
      await waitFor(() => a.breaker.fleet!.state === 'closed', LIMIT, 'the first reply');
      // The kill finds the subscriber only once it has subscribed (the first reply comes first).
      const channel = a.fleet.keysOf(a.breaker.name).channel;
      await waitFor(async () => (await subscribers(admin, channel)) === 1, LIMIT, 'the subscriber');
      const list = String(await admin.client('LIST'));
      const connected = list.trim().split('\n').length;
      // No room for a new connection: the killed subscriber cannot come back, the rest stays.
      await admin.config('SET', 'maxclients', String(connected - 1));
      await admin.client('KILL', 'TYPE', 'pubsub');
      await waitFor(() => warnings.length > 0, LIMIT, 'the warning');
      // The calls keep working through the store meanwhile, and the warning is not repeated.
      const before = a.events.length;
      await fail(a.breaker, 1);
      expect(a.breaker.fleet!.healthy).toBe(true);
      await admin.config('SET', 'maxclients', '10000');
      expect(warnings).toHaveLength(1);
      expect(a.events.slice(before).some((e) => e.kind === 'degraded')).toBe(false);
    } finally {
      process.off('warning', onWarning);
      await admin.config('SET', 'maxclients', '10000').catch(() => undefined);
      await a.close();
      admin.disconnect();
    }
  });

  it(
    'a breaker attached while the subscriber is down gets its hints once the subscriber is back',
    { timeout: 90_000 },
    async () => {
      const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
      await admin.connect();
      const clients = async () =>
        String(await admin.client('LIST'))
          .trim()
          .split('\n').length;
      const refused = async () => Number(/rejected_connections:(\d+)/.exec(await admin.info('stats'))?.[1]);
      // Syncs a minute apart: between the first reply and the end, only a hint can bring a change.
      const slow = { syncIntervalMs: 60_000 };
      const a = await instance(kind, server.port, { name: uniqueName('before') }, slow);
      let late: CircuitBreaker | undefined;
      let other: Awaited<ReturnType<typeof instance>> | undefined;
      try {
        await waitFor(() => a.breaker.fleet!.state === 'closed', LIMIT, 'the first reply');
        const first = a.fleet.keysOf(a.breaker.name).channel;
        await waitFor(async () => (await subscribers(admin, first)) === 1, LIMIT, 'the subscriber');
        // Only this test's three connections (admin, a's client, a's subscriber), then room for two.
        await waitFor(async () => (await clients()) === 3, LIMIT, 'earlier connections gone');
        const before = await refused();
        await admin.config('SET', 'maxclients', '2');
        await admin.client('KILL', 'TYPE', 'pubsub');
        // The subscriber's own attempt to come back is refused: its client knows it is down.
        await waitFor(async () => (await refused()) > before, LIMIT, 'a reconnection refused');
        // Subscribed while the connection cannot come back: node-redis fails the SUBSCRIBE.
        const name = uniqueName('late');
        late = new CircuitBreaker({ name, fleet: a.fleet, failureThreshold: 5 });
        await sleep(100); // reconnection attempts refused meanwhile (not a negative assertion)
        await admin.config('SET', 'maxclients', '10000');
        await waitFor(async () => (await subscribers(admin, first)) === 1, LIMIT, 'the subscriber back');
        const channel = a.fleet.keysOf(name).channel;
        await waitFor(
          async () => (await subscribers(admin, channel)) === 1,
          LIMIT,
          "the late breaker's channel",
        );
        await waitFor(() => late!.fleet?.state === 'closed', LIMIT, "the late breaker's first reply");
        // The hint of another instance's change reaches the late breaker.
        other = await instance(kind, server.port, { name }, slow);
        await other.fleet.force(name, 'isolate');
        await waitFor(() => late!.fleet?.state === 'isolated', LIMIT, 'the hint');
      } finally {
        await admin.config('SET', 'maxclients', '10000').catch(() => undefined);
        await late?.fleet?.close();
        await other?.close();
        await a.close();
        admin.disconnect();
      }
    },
  );
});

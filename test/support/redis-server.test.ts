// The redis-server fixture: a port taken between choosing it and binding it is noticed (the
// answering server must report the child's own PID) and another port is tried; a stopped server
// does not get its port back once another process holds it.
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { alive } from './build.js';
import { freePort, requireRedis, RedisServer, serverPid } from './redis-server.js';

const hasRedis = requireRedis('test/support/redis-server.test.ts');

/** A plain TCP listener (not Redis) holding `port` on 127.0.0.1, or a free port when 0. */
function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening on TCP');
  return address.port;
}

/** A port chooser that offers `taken` first, then free ports; records what it offered. */
function takenFirst(taken: number) {
  const offered: number[] = [];
  const choose = async () => {
    const port = offered.length === 0 ? taken : await freePort();
    offered.push(port);
    return port;
  };
  return { choose, offered };
}

describe.skipIf(!hasRedis)('RedisServer', () => {
  const servers: RedisServer[] = [];
  const listeners: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.dispose()));
    await Promise.all(
      listeners.splice(0).map((listener) => new Promise((resolve) => listener.close(resolve))),
    );
  });

  async function start(choose?: () => Promise<number>): Promise<RedisServer> {
    const server = await RedisServer.start(choose);
    servers.push(server);
    return server;
  }

  it('start — answers as its own child on its port; dispose stops that PID', async () => {
    const server = await RedisServer.start();
    const pid = server.pid;
    try {
      expect(pid).toBeGreaterThan(0);
      expect(await serverPid(server.port)).toBe(pid);
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    } finally {
      await server.dispose();
    }
    expect(alive(pid!)).toBe(false);
    expect(server.pid).toBeUndefined();
    expect(await serverPid(server.port)).toBeUndefined();
  });

  it('start — a port where another redis-server answers is given up for a fresh one', async () => {
    const foreign = await start();
    const { choose, offered } = takenFirst(foreign.port);
    const server = await start(choose);

    expect(offered).toHaveLength(2);
    expect(offered[0]).toBe(foreign.port);
    expect(server.port).toBe(offered[1]);
    expect(server.port).not.toBe(foreign.port);
    expect(await serverPid(server.port)).toBe(server.pid);
    // The other server is left alone.
    expect(await serverPid(foreign.port)).toBe(foreign.pid);

    const pid = server.pid!;
    await server.dispose();
    expect(alive(pid)).toBe(false);
    expect(alive(foreign.pid!)).toBe(true);
  });

  it('start — a port held by a process that is not Redis is given up for a fresh one', async () => {
    const holder = await listen();
    listeners.push(holder);
    const { choose, offered } = takenFirst(portOf(holder));
    const server = await start(choose);

    expect(offered).toHaveLength(2);
    expect(server.port).toBe(offered[1]);
    expect(server.port).not.toBe(portOf(holder));
    expect(await serverPid(server.port)).toBe(server.pid);
  });

  it('start — gives up after five taken ports', async () => {
    const holder = await listen();
    listeners.push(holder);
    let offers = 0;
    const always = async () => {
      offers++;
      return portOf(holder);
    };
    await expect(start(always)).rejects.toThrow('redis-server could not bind a free port in 5 attempts');
    expect(offers).toBe(5);
  });

  it('resume and restart — throw when another process took the port while the server was stopped', async () => {
    const server = await start();
    const port = server.port;
    await server.stop();
    const holder = await listen(port);
    listeners.push(holder);

    await expect(server.resume()).rejects.toThrow(`port ${port} was taken while redis-server was stopped`);
    await expect(server.restart()).rejects.toThrow(`port ${port} was taken while redis-server restarted`);
    expect(server.pid).toBeUndefined();
    expect(server.port).toBe(port);
  });

  it('resume and restart — come back as the same server on the same port when it is free', async () => {
    const server = await start();
    const port = server.port;
    const first = server.pid;
    await server.stop();
    expect(alive(first!)).toBe(false);
    await server.resume();
    const second = server.pid;
    expect(second).not.toBe(first);
    expect(await serverPid(port)).toBe(second);
    await server.restart();
    expect(alive(second!)).toBe(false);
    expect(server.port).toBe(port);
    expect(await serverPid(port)).toBe(server.pid);
  });
});

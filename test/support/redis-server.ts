/**
 * A real `redis-server` for tests: started on a free loopback port with no persistence
 * (`--save "" --appendonly no`, a temporary `--dir`), stopped by its PID. `requireRedis()` decides
 * what a test file does when the binary is missing: fail under CI (`CI=true`), otherwise skip
 * loudly.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The server binary: `REDIS_SERVER`, else `redis-server` on the PATH. */
const bin = (): string => process.env.REDIS_SERVER ?? 'redis-server';

/** True when `redis-server` can be run here. */
export function redisAvailable(): boolean {
  const probe = spawnSync(bin(), ['--version'], { encoding: 'utf8' });
  return probe.status === 0 && probe.stdout.includes('Redis server');
}

/**
 * Whether the Redis tests of a file can run. Throws under CI when `redis-server` is missing (the
 * file fails); elsewhere prints a loud message and returns false (the file's tests are skipped).
 */
export function requireRedis(file: string): boolean {
  if (redisAvailable()) return true;
  const message = `redis-server not found (set REDIS_SERVER or install the redis-server package): ${file} needs it`;
  if (process.env.CI === 'true') throw new Error(message);
  console.warn(`\n!!!!!!!!!!\n!! SKIPPED: ${message}\n!!!!!!!!!!\n`);
  return false;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Sends `PING` on a raw socket; resolves true on `+PONG`. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

/** One `redis-server` process. */
export class RedisServer {
  readonly port: number;
  readonly #dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(port: number) {
    this.port = port;
    this.#dir = mkdtempSync(join(tmpdir(), 'bw-redis-'));
  }

  /** Starts a server on a free port and waits until it answers `PING`. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(await freePort());
    await server.#spawn();
    return server;
  }

  /** The PID of the running server (`undefined` when stopped). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      bin(),
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.#dir,
      ],
      { stdio: 'ignore' },
    );
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const until = performance.now() + 10_000;
    while (performance.now() < until) {
      if (await ping(this.port)) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`redis-server on port ${this.port} did not answer PING`);
  }

  /** Stops the server by PID (`SIGKILL` for a crash) and waits for it to exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    this.#child = undefined;
    process.kill(child.pid, signal);
    await this.#exited;
  }

  /** Starts the server again on the same port, empty (no persistence). */
  async restart(): Promise<void> {
    await this.stop('SIGKILL');
    await this.#spawn();
  }

  /** Starts a stopped server again on the same port. */
  async resume(): Promise<void> {
    if (this.#child === undefined) await this.#spawn();
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop('SIGTERM');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

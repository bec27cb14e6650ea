/**
 * A real `redis-server` for tests, with no persistence (`--save "" --appendonly no`, a temporary
 * `--dir`), listening on 127.0.0.1 and stopped by its PID.
 *
 * Ports are not reserved: `freePort()` asks the system for a free port and closes its listener
 * again, so another process can take the port before redis-server binds it. `RedisServer.start()`
 * therefore only returns once the server answering on the port reports its own child's PID
 * (`INFO server`, `process_id`); when the child could not bind, or another server answers, it
 * kills the child and tries a fresh port, up to five attempts in all. `restart()` and `resume()`
 * reuse the same port, which nothing holds while the server is stopped: they throw when another
 * process took it meanwhile.
 *
 * `requireRedis()` decides what a test file does when the binary is missing (see require-tool.ts).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool } from './require-tool.js';

/** The server binary: `REDIS_SERVER`, else `redis-server` on the PATH. */
const bin = (): string => process.env.REDIS_SERVER ?? 'redis-server';
/** The path `requireRedis` found, used by every server this process starts. */
let found: string | undefined;

/**
 * Whether the Redis tests of `file` can run: the `requireTool` gate for `redis-server` (fails the
 * file under `CI=true` when it is missing, otherwise skips it loudly).
 */
export function requireRedis(file: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const check = requireTool(
    {
      name: 'redis-server',
      candidates: [env.REDIS_SERVER ?? 'redis-server'],
      install: 'apt-get install -y redis-server (or set REDIS_SERVER to its path)',
      purpose: `the Redis tests of ${file}`,
      verify: (path) => {
        const probe = spawnSync(path, ['--version'], { encoding: 'utf8' });
        return probe.status === 0 && probe.stdout.includes('Redis server');
      },
    },
    env,
  );
  if (check.found) found = check.path;
  return check.found;
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Another process can take it before
 * redis-server binds it, so `RedisServer.start` checks that the server answering is its own and
 * tries a fresh port when not.
 */
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

/** The `process_id` of the Redis server on `port` (from `INFO server`), or undefined if none answers. */
export function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(2_000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('close', () => done(undefined)); // closed without answering: not Redis
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.setEncoding('utf8').on('data', (data: string) => {
      reply += data;
      if (reply.startsWith('-')) return done(undefined); // e.g. -LOADING: not ready yet
      const match = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (match) done(Number(match[1]));
    });
  });
}

/** One `redis-server` process. */
export class RedisServer {
  #port: number;
  readonly #dir: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  private constructor(port: number) {
    this.#port = port;
    this.#dir = mkdtempSync(join(tmpdir(), 'bw-redis-'));
  }

  /**
   * Starts a server on a free port and waits until it answers as itself. When the port was taken
   * in the meantime (the server exits, or another process answers there), tries again on a fresh
   * port, up to five attempts. `choosePort` picks each attempt's port (tests of this module
   * pass one that offers a taken port first).
   */
  static async start(choosePort: () => Promise<number> = freePort): Promise<RedisServer> {
    const server = new RedisServer(await choosePort());
    for (let attempt = 1; ; attempt++) {
      if (await server.#spawn()) return server;
      if (attempt === 5) {
        await server.dispose();
        throw new Error('redis-server could not bind a free port in 5 attempts');
      }
      server.#port = await choosePort();
    }
  }

  /** The port it listens on. */
  get port(): number {
    return this.#port;
  }

  /** The PID of the running server (`undefined` when stopped). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** `redis://127.0.0.1:<port>` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Spawns the server; true once it answers as itself, false when it could not bind the port. */
  async #spawn(): Promise<boolean> {
    const child = spawn(
      found ?? bin(),
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
    const exit = { seen: false };
    this.#exited = new Promise((resolve) =>
      child.once('exit', () => {
        exit.seen = true;
        resolve();
      }),
    );
    const until = performance.now() + 30_000;
    while (performance.now() < until) {
      if (exit.seen) break; // could not bind (the port was taken)
      const pid = await serverPid(this.port);
      if (pid === child.pid) return true;
      if (pid !== undefined) break; // someone else's server holds the port
      await new Promise((r) => setTimeout(r, 20));
    }
    await this.stop('SIGKILL');
    if (exit.seen || performance.now() < until) return false;
    throw new Error(`redis-server on port ${this.port} did not answer within 30 s`);
  }

  /** Stops the server by PID (`SIGKILL` for a crash) and waits for it to exit. */
  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    this.#child = undefined;
    if (child.exitCode === null && child.signalCode === null) process.kill(child.pid, signal);
    await this.#exited;
  }

  /** Starts the server again on the same port, empty (no persistence). */
  async restart(): Promise<void> {
    await this.stop('SIGKILL');
    if (!(await this.#spawn())) throw new Error(`port ${this.port} was taken while redis-server restarted`);
  }

  /** Starts a stopped server again on the same port. */
  async resume(): Promise<void> {
    if (this.#child === undefined && !(await this.#spawn()))
      throw new Error(`port ${this.port} was taken while redis-server was stopped`);
  }

  /** Stops the server and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop('SIGTERM');
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

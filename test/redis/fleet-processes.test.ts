// Fleet mode across real processes: forked workers share one breaker through a real
// redis-server and call a loopback dependency that counts what reaches it.
import { type ChildProcess, fork } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../process/run-fixture.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { type ClientKind, sleep, waitFor } from './helpers.js';

const hasRedis = requireRedis('test/redis/fleet-processes.test.ts');
const WORKER = join(fileURLToPath(new URL('../fixtures', import.meta.url)), 'fleet-worker.js');

/** The loopback dependency: answers by mode and counts hits, concurrency and concurrent probes. */
class Dependency {
  mode: 'ok' | 'fail' | 'slow-ok' = 'ok';
  hits = 0;
  failedHits = 0;
  running = 0;
  probes = 0;
  peakProbes = 0;
  readonly server: Server;
  constructor() {
    this.server = createServer((req, res) => {
      const probe = req.headers['x-probe'] === '1';
      this.hits++;
      this.running++;
      if (probe) this.peakProbes = Math.max(this.peakProbes, ++this.probes);
      const mode = this.mode;
      if (mode === 'fail') this.failedHits++;
      setTimeout(
        () => {
          this.running--;
          if (probe) this.probes--;
          res.writeHead(mode === 'fail' ? 500 : 200, { connection: 'close' }).end();
        },
        mode === 'fail' ? 20 : mode === 'slow-ok' ? 150 : 5,
      );
    });
  }
  listen(): Promise<number> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', () => resolve((this.server.address() as { port: number }).port)),
    );
  }
}

interface Report {
  counts: { ok: number; depFailed: number; rejected: number; other: number };
  otherErrors: string[];
  unhandled: number;
  localState: string;
}
interface FleetNote {
  kind: string;
  state: string;
  generation: number;
  healthy: boolean;
  at: number;
}

/** A forked instance and what it told the parent. */
class Worker {
  readonly child: ChildProcess;
  readonly fleet: FleetNote[] = [];
  readonly local: { to: string; reason: string }[] = [];
  report: Report | undefined;
  /** The counts as of the latest settled call, and how many calls were still in flight then. */
  progress: { counts: Report['counts']; inFlight: number } | undefined;
  exitedAt: number | undefined;
  readonly exited: Promise<number | null>;
  #ready: Promise<void>;
  constructor() {
    this.child = fork(WORKER, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.#ready = new Promise((resolve) => {
      this.child.on('message', (m: { type: string } & Record<string, unknown>) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fleet') this.fleet.push(m as unknown as FleetNote);
        else if (m.type === 'local') this.local.push(m as unknown as { to: string; reason: string });
        else if (m.type === 'report') this.report = m as unknown as Report;
        else if (m.type === 'progress') this.progress = m as unknown as Worker['progress'];
      });
    });
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code) => {
        this.exitedAt = performance.now();
        resolve(code);
      }),
    );
  }
  async start(config: object): Promise<void> {
    this.child.send({ type: 'start', ...config });
    await this.#ready;
  }
  send(message: object): void {
    this.child.send(message);
  }
  /** When this worker first saw the fleet in `state` (epoch ms), if it did. */
  firstSaw(state: string): number | undefined {
    return this.fleet.find((n) => n.state === state)?.at;
  }
}

/** Every worker forked by a test; `afterEach` kills (by PID) any a failed test left running. */
const forked: Worker[] = [];

async function startWorkers(n: number, config: object): Promise<Worker[]> {
  const workers = Array.from({ length: n }, () => new Worker());
  forked.push(...workers);
  await Promise.all(workers.map((w) => w.start(config)));
  return workers;
}

/** Stops every worker; resolves the longest time from `stop` to exit. */
async function stopWorkers(workers: Worker[]): Promise<number> {
  const stoppedAt = performance.now();
  for (const w of workers) w.send({ type: 'stop' });
  // Only bounds a hung worker: one that needed the kill fails the exit-code check below.
  const killer = setTimeout(() => {
    for (const w of workers) w.child.kill('SIGKILL');
  }, 30_000);
  const codes = await Promise.all(workers.map((w) => w.exited));
  clearTimeout(killer);
  expect(codes).toEqual(workers.map(() => 0));
  return Math.max(...workers.map((w) => (w.exitedAt ?? Infinity) - stoppedAt));
}

describe.skipIf(!hasRedis)('fleet across processes', () => {
  let server: RedisServer;
  let dep: Dependency;
  let depPort: number;
  beforeAll(async () => {
    ensureBuilt();
    server = await RedisServer.start();
    dep = new Dependency();
    depPort = await dep.listen();
  }, 120_000);
  afterEach(async () => {
    const left = forked.splice(0).filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    for (const w of left) w.child.kill('SIGKILL');
    await Promise.all(left.map((w) => w.exited));
  });
  afterAll(async () => {
    dep.server.close();
    await server.dispose();
  });

  const base = (client: ClientKind, name: string, breaker: object, fleet: object = {}) => ({
    client,
    name,
    redisPort: server.port,
    breaker: { timeout: 2_000, ...breaker },
    fleet: { flushIntervalMs: 100, syncIntervalMs: 1_000, deadlineMs: 1_000, ...fleet },
  });

  it('flush — four processes each below their own threshold open the fleet and all reject', async () => {
    dep.mode = 'fail';
    dep.failedHits = 0;
    const workers = await startWorkers(
      4,
      base('ioredis', 'agg', { failureThreshold: 10, recoveryTimeout: 10_000 }),
    );
    for (const w of workers) w.send({ type: 'go', depPort, rate: 5 });
    await waitFor(
      () => workers.every((w) => w.firstSaw('open') !== undefined),
      15_000,
      'every worker sees open',
    );
    // Only more failures from the dependency could still open a worker's own breaker. Once a
    // worker has rejected a call and has nothing in flight, every call it let through has failed
    // and been counted, and the fleet (open for 10 s) lets no more through: its count is final.
    await waitFor(
      () =>
        workers.every((w) => {
          const p = w.progress;
          return p !== undefined && p.counts.rejected > 0 && p.inFlight === 0;
        }),
      15_000,
      'every worker rejecting with nothing in flight',
    );
    const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    const [st, gen] = await admin.hmget('bw:v1:{agg}:s', 'st', 'gen');
    admin.disconnect();
    await stopWorkers(workers);
    // Without the fleet, ~4 × 8 calls would have failed with no breaker opening.
    expect(dep.failedHits).toBeLessThanOrEqual(10 + 8);
    // One opening, seen by all four through the fleet: the generation Redis holds. How far apart
    // in time the processes saw it depends on how a loaded machine schedules them, which nothing
    // in this run measures, so no duration is asserted; the claim is the shared generation, the
    // reason 'fleet' and every process's own breaker still closed.
    expect(st).toBe('open');
    expect(workers.map((w) => w.fleet.find((n) => n.state === 'open')?.generation)).toEqual(
      workers.map(() => Number(gen)),
    );
    for (const w of workers) {
      // No local breaker opened: each saw the fleet open its effective state, and nothing else.
      expect(w.local.filter((l) => l.to === 'open')).toEqual([
        { type: 'local', to: 'open', reason: 'fleet' },
      ]);
      expect(w.report!.localState).toBe('closed'); // below its own threshold to the end
      expect(w.report!.counts.rejected).toBeGreaterThan(0);
      expect(w.report!.counts.other).toBe(0);
      expect(w.report!.unhandled).toBe(0);
    }
  }, 60_000);

  it('acquire — peak concurrent probes at the dependency never exceed the cap', async () => {
    dep.mode = 'fail';
    dep.peakProbes = 0;
    const workers = await startWorkers(
      3,
      base('node-redis', 'cap', {
        failureThreshold: 4,
        recoveryTimeout: 400,
        successThreshold: 3,
        halfOpenRequests: 5,
      }),
    );
    for (const w of workers) w.send({ type: 'go', depPort, rate: 20 });
    await waitFor(() => workers.every((w) => w.firstSaw('open') !== undefined), 15_000, 'fleet open');
    dep.mode = 'slow-ok';
    await waitFor(
      () => workers.every((w) => w.firstSaw('closed') !== undefined && w.fleet.at(-1)?.state === 'closed'),
      15_000,
      'fleet closed',
    );
    await stopWorkers(workers);
    expect(dep.peakProbes).toBe(1);
    for (const w of workers) {
      expect(w.report!.counts.other).toBe(0);
      expect(w.report!.unhandled).toBe(0);
    }
  }, 60_000);

  it('config — processes with another recovery time run on their own, every process reports the mismatch', async () => {
    dep.mode = 'fail';
    const fleet = { minReporters: 1, syncIntervalMs: 300 };
    const owners = await startWorkers(
      2,
      base('ioredis', 'mixed', { failureThreshold: 3, recoveryTimeout: 600_000 }, fleet),
    );
    await waitFor(() => owners.every((w) => w.fleet.length > 0), 3_000, 'the owners synced');
    const [other] = await startWorkers(
      1,
      base('node-redis', 'mixed', { failureThreshold: 3, recoveryTimeout: 5_000 }, fleet),
    );
    const all = [...owners, other!];
    for (const w of all) w.send({ type: 'go', depPort, rate: 20 });
    const mismatches = (w: Worker) => w.fleet.filter((n) => n.kind === 'config-mismatch');
    await waitFor(() => all.every((w) => mismatches(w).length >= 3), 5_000, 'three reports on every process');
    await waitFor(() => owners.every((w) => w.firstSaw('open') !== undefined), 3_000, 'the fleet open');
    await waitFor(
      () => other!.local.some((l) => l.to === 'open'),
      3_000,
      'the other process opens on its own',
    );
    const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    const [secs] = await admin.time();
    const left = Number(await admin.hget('bw:v1:{mixed}:s', 'until')) - Number(secs) * 1_000;
    admin.disconnect();
    await stopWorkers(all);
    expect(left).toBeGreaterThan(590_000); // the owners' open period, not the other's 5 s
    for (const w of owners) expect(mismatches(w).every((n) => n.healthy)).toBe(true);
    expect(mismatches(other!).every((n) => !n.healthy)).toBe(true); // refused: local-only
    expect(other!.local.filter((l) => l.to === 'open').every((l) => l.reason !== 'fleet')).toBe(true);
    for (const w of all) {
      expect(w.report!.counts.other).toBe(0);
      expect(w.report!.unhandled).toBe(0);
    }
  });

  it('degraded — Redis killed and restarted mid-run fails no call and the fleet recovers', async () => {
    dep.mode = 'ok';
    const workers = await startWorkers(
      3,
      base(
        'node-redis',
        'crash',
        { failureThreshold: 5, recoveryTimeout: 1_000 },
        { reconnectIntervalMs: 200 },
      ),
    );
    for (const w of workers) w.send({ type: 'go', depPort, rate: 20 });
    await sleep(500);
    await server.stop('SIGKILL');
    await waitFor(() => workers.every((w) => w.fleet.some((n) => n.kind === 'degraded')), 15_000, 'degraded');
    await sleep(300);
    await server.resume();
    await waitFor(() => workers.every((w) => w.fleet.some((n) => n.kind === 'restored')), 15_000, 'restored');
    await sleep(300);
    await stopWorkers(workers); // each exits by itself with code 0: nothing left open keeps it alive
    for (const w of workers) {
      expect(w.report!.counts.other, w.report!.otherErrors.join('; ')).toBe(0);
      expect(w.report!.counts.rejected).toBe(0);
      expect(w.report!.counts.depFailed).toBe(0);
      expect(w.report!.counts.ok).toBeGreaterThan(20);
      expect(w.report!.unhandled).toBe(0);
      expect(w.fleet.at(-1)?.healthy).toBe(true);
    }
    // After the restart the script cache was empty: the fleet still works (NOSCRIPT answered).
    const admin = new Redis({ port: server.port, host: '127.0.0.1', lazyConnect: true });
    await admin.connect();
    expect(await admin.exists('bw:v1:{crash}:s')).toBe(1);
    admin.disconnect();
  }, 60_000);
});

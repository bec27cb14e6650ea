/**
 * One service of the demo, run as its own process (forked by the `breakwater demo` command).
 * Its role and mode come as JSON in the first argument; it serves HTTP on an ephemeral
 * loopback port, reports the port, its load and its breaker's transitions over IPC, and
 * exits when its parent goes away. With `dashboard` (protected mode) its breaker reports into a
 * telemetry stream: the same server serves the live dashboard of it under `/dashboard/`, and
 * the stream is relayed to the parent, whose dashboard shows every service's breakers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { isCallTimeoutError, isCircuitOpenError } from '../core/errors.js';
import { Telemetry } from '../core/telemetry.js';
import { createDashboard, type Dashboard } from '../dashboard/dashboard.js';
import { createDatabase, type Database } from './database.js';
import { type Downstream, hopBreakerOptions, ProtectedHop, timeoutOnly } from './downstream.js';
import { HttpStatusError, send } from './http.js';
import type { ChildMessage, ParentMessage, Role, ServiceConfig } from './protocol.js';
import { DASHBOARD_PATH, sharedNow } from './protocol.js';
import { ServiceMeter } from './service-meter.js';
import { relayTelemetry } from './telemetry-relay.js';

const NEXT: Record<Role, string> = { A: 'B', B: 'C', C: 'database', database: '' };

function tell(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

/** The downstream of a protected service: `createFetch` with a breaker, and C's and A's fallbacks. */
function protectedHop(config: ServiceConfig, telemetry: Telemetry | undefined): ProtectedHop {
  const { role, tuning } = config;
  const name = `${role}->${NEXT[role]}`;
  return new ProtectedHop({
    name,
    base: config.downstream ?? '',
    breaker: hopBreakerOptions(tuning.hopTimeoutMs, tuning.recoveryMs),
    ...(role === 'C' ? { fallback: 'stale-cache', staleMaxAgeMs: tuning.staleMaxAgeMs } : {}),
    ...(role === 'A' ? { fallback: 'default' } : {}),
    ...(telemetry === undefined ? {} : { telemetry }),
    onTransition: ({ from, to, reason }) => {
      tell({ type: 'transition', at: sharedNow(), breaker: name, from, to, reason });
    },
  });
}

function statusOf(error: unknown): number {
  if (isCircuitOpenError(error)) return 503;
  if (isCallTimeoutError(error)) return 504;
  if (error instanceof HttpStatusError) return 502;
  if (error instanceof Error && error.message.startsWith('timed out')) return 504;
  return 502;
}

function main(): void {
  const config = JSON.parse(process.argv[2] ?? '') as ServiceConfig;
  // Ctrl-C reaches the whole process group: the parent stops each service by its PID.
  process.on('SIGINT', () => undefined);
  process.on('disconnect', () => process.exit(0));

  const meter = new ServiceMeter();
  let database: Database | undefined;
  let downstream: Downstream | undefined;
  let hop: ProtectedHop | undefined;
  let telemetry: Telemetry | undefined;
  let dashboard: Dashboard | undefined;
  if (config.role === 'database') {
    database = createDatabase(config.seed, config.tuning.slowMs);
  } else if (config.mode === 'protected') {
    // With --dashboard the breakers report into a telemetry stream the dashboard reads.
    telemetry = config.dashboard === true ? new Telemetry() : undefined;
    if (telemetry !== undefined) {
      dashboard = createDashboard({ source: telemetry, title: `breakwater demo: service ${config.role}` });
    }
    hop = protectedHop(config, telemetry);
    downstream = hop;
  } else {
    downstream = timeoutOnly(config.downstream ?? '', config.tuning.hopTimeoutMs);
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'phase') database?.setPhase(message.name);
    else hop?.reset();
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const match = /^\/item\/([\w-]+)$/.exec(req.url ?? '');
    if (match?.[1] === undefined) {
      send(res, 404, { error: 'not found' });
      return;
    }
    const id = match[1];
    meter.enter();
    const gone = new AbortController();
    res.on('close', () => {
      meter.leave();
      if (!res.writableFinished) gone.abort(new Error('client went away'));
    });
    try {
      const answer =
        database !== undefined
          ? await database.lookup(id, gone.signal)
          : await downstream?.get(`/item/${id}`, gone.signal);
      if (answer === undefined) throw new Error('no downstream');
      send(res, 200, answer);
    } catch (error) {
      send(res, statusOf(error), { error: error instanceof Error ? error.message : String(error) });
    }
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '';
    if (dashboard !== undefined && (url === DASHBOARD_PATH || url.startsWith(`${DASHBOARD_PATH}/`))) {
      // Mounted as a framework would: the handler sees the path below the mount point.
      Object.assign(req, { originalUrl: url, url: url.slice(DASHBOARD_PATH.length) });
      dashboard.handler(req, res);
      return;
    }
    void handle(req, res);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    // The first fetch of a process loads and compiles the HTTP client, which takes long on a
    // busy machine: do it now rather than with the first request of the run.
    void fetch(`${config.downstream ?? `http://127.0.0.1:${port}`}/warm-up`)
      .then((response) => response.body?.cancel())
      .catch(() => undefined)
      .finally(() => {
        tell({ type: 'ready', port });
        meter.start(systemClock, config.tuning.statsIntervalMs, () => hop?.state ?? null, tell);
        // The parent's dashboard shows every service's breakers: relay the stream to it.
        if (telemetry !== undefined)
          relayTelemetry(telemetry, systemClock, config.tuning.statsIntervalMs, tell);
      });
  });
}

main();

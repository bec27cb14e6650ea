/**
 * One service of the demo, run as its own process (forked by the `breakwater demo` command).
 * Its role and mode come as JSON in the first argument; it serves HTTP on an ephemeral
 * loopback port, reports the port, its load and its breaker's transitions over IPC, and
 * exits when its parent goes away.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { isCallTimeoutError, isCircuitOpenError } from '../core/errors.js';
import { createDatabase, type Database } from './database.js';
import { BreakerDownstream, type Downstream, hopBreakerOptions, timeoutOnly } from './downstream.js';
import { type Answer, HttpStatusError, send } from './http.js';
import type { ChildMessage, ParentMessage, Role, ServiceConfig } from './protocol.js';
import { sharedNow } from './protocol.js';
import { ServiceMeter } from './service-meter.js';
import { StaleCache } from './stale-cache.js';

const NEXT: Record<Role, string> = { A: 'B', B: 'C', C: 'database', database: '' };

function tell(message: ChildMessage): void {
  if (process.connected) process.send?.(message);
}

/** The downstream of a protected service: a breaker, and C's and A's fallbacks. */
function protectedHop(config: ServiceConfig, base: string): BreakerDownstream {
  const { role, tuning } = config;
  const options = hopBreakerOptions(`${role}->${NEXT[role]}`, tuning.hopTimeoutMs, tuning.recoveryMs);
  if (role === 'C') {
    const cache = new StaleCache<Answer>(systemClock, tuning.staleMaxAgeMs);
    return new BreakerDownstream(
      base,
      options,
      (error, path) => {
        const cached = cache.get(path);
        if (cached === undefined) throw error;
        return { ...cached, degraded: true, source: 'stale-cache' };
      },
      (path, answer) => {
        cache.set(path, answer);
      },
    );
  }
  if (role === 'A') {
    return new BreakerDownstream(base, options, (_error, path) => ({
      id: path.slice('/item/'.length),
      degraded: true,
      source: 'default',
    }));
  }
  return new BreakerDownstream(base, options);
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
  let breaker: BreakerDownstream | undefined;
  if (config.role === 'database') {
    database = createDatabase(config.seed, config.tuning.slowMs);
  } else if (config.mode === 'protected') {
    breaker = protectedHop(config, config.downstream ?? '');
    breaker.breaker.on('stateChange', ({ from, to, reason }) => {
      tell({ type: 'transition', at: sharedNow(), breaker: breaker?.breaker.name ?? '', from, to, reason });
    });
    downstream = breaker;
  } else {
    downstream = timeoutOnly(config.downstream ?? '', config.tuning.hopTimeoutMs);
  }
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'phase') database?.setPhase(message.name);
    else breaker?.breaker.reset();
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
        meter.start(systemClock, config.tuning.statsIntervalMs, () => breaker?.breaker.state ?? null, tell);
      });
  });
}

main();

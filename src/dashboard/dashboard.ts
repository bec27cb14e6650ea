/**
 * `createDashboard`: a live page of every breaker on a telemetry stream, served by a plain Node
 * request handler. Routes (relative to wherever the handler is mounted):
 *
 * | route | what |
 * |---|---|
 * | `GET /` | the page |
 * | `GET /events?filter=&show=&sort=&page=&limit=` | Server-Sent Events: a snapshot of that page on connect, then one per `intervalMs` |
 * | `GET /api/breakers?filter=&show=&sort=&page=&limit=` | the same snapshot as JSON |
 *
 * A snapshot holds one page of breakers (in trouble first by default), the counts of every class,
 * and the series and percentiles of the page's breakers only, so its size and cost do not grow
 * with the number of breakers beyond one scan of their stats (see `breaker-scan.ts`).
 * | `POST /api/breakers/:name/isolate`, `…/reset` | manual control (see `allowControl`) |
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../core/clock.js';
import { Telemetry } from '../core/telemetry.js';
import { OptionChecker } from '../core/validate.js';
import { type ActivitySnapshot, ActivityTracker } from '../telemetry/activity.js';
import { breakerSources } from '../telemetry/sources.js';
import { HostAllowList, isReadToken, readAllowed, readCookie } from './access.js';
import {
  type BreakerCounts,
  type BreakerQuery,
  parseQuery,
  queryKey,
  selectPage,
} from '../telemetry/breaker-query.js';
import { BreakerScanner, type BreakerTable, dashboardWarning } from './breaker-scan.js';
import { type ControlAction, handleControl, sendJson, tokenDigest } from './control.js';
import { type DashboardOptions, validateDashboardOptions } from './dashboard-options.js';
import { type FleetInstanceView, FleetSource, FleetTable } from './fleet-source.js';
import { renderPage } from './page.js';
import { SseHub, type SseStats } from './sse-hub.js';

/**
 * What the page receives (each SSE `snapshot` event) and `/api/breakers` answers, as JSON
 * (where a number is `NaN` or `Infinity`, JSON has `null`).
 */
export interface DashboardSnapshot extends ActivitySnapshot {
  /** Whether the page may offer isolate / reset. */
  readonly allowControl: boolean;
  /** Breakers on the stream. */
  readonly total: number;
  /** Breakers that match the query's `filter` and `show` (`breakers` is one page of them). */
  readonly matched: number;
  /** The page served (0-based; the last one when the page asked for is past the end). */
  readonly page: number;
  /** Pages the matching breakers fill (at least 1). */
  readonly pages: number;
  /** Breakers per page. */
  readonly limit: number;
  /** The query this page answers. */
  readonly query: Pick<BreakerQuery, 'filter' | 'show' | 'sort'>;
  /** Every breaker by class: open, half-open, isolated, failing, slow, healthy; `trouble` is all but healthy. */
  readonly counts: BreakerCounts;
  /** Prior states in all (`priorStates` holds the newest 50). */
  readonly priorStateCount: number;
  /**
   * With the `fleet` option: every instance that published a summary (live, degraded, or gone
   * once its summary expired), and the last read's error while reads fail. The breakers are then
   * the fleet's, one row per name, each with `instances` (the breaker on each live instance).
   */
  readonly fleet?: {
    /** Every instance that published a summary, gone ones included until forgotten. */
    readonly instances: readonly FleetInstanceView[];
    /** The last read's error while reads fail (the rows are then the last good read's); `null` otherwise. */
    readonly error: string | null;
  };
}

/** `limit` when a request names none, and the largest accepted. */
export const PAGE_LIMITS = Object.freeze({ defaultLimit: 100, maxLimit: 500 });

/** What {@link Dashboard.listen} resolves to. */
export interface ListeningDashboard {
  /** The page's address, e.g. `http://127.0.0.1:4000/`. */
  readonly url: string;
  /** Stops this server (its event streams end). */
  close(): Promise<void>;
}

/** A dashboard; see {@link createDashboard}. */
export interface Dashboard {
  /** A Node request handler, mountable in `node:http`, express or fastify (under any path prefix). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Serves the handler on its own server; `host` defaults to loopback. */
  listen(port: number, host?: string): Promise<ListeningDashboard>;
  /** Event-stream counters. */
  stats(): SseStats;
  /** Ends every stream, stops listening to the telemetry stream and closes servers from `listen`. */
  close(): Promise<void>;
}

const CONTROL = /\/api\/breakers\/([^/]+)\/(isolate|reset)$/;

/**
 * Creates a dashboard of every breaker reporting into `source`: state (coloured), time in state,
 * the breaker's window (calls, failure rate, slow-call rate), a sparkline of calls and failures
 * per second over the last `historySeconds`, latency percentiles over the last minute, and the
 * latest transitions, live over Server-Sent Events. Read-only unless `allowControl` is `true`,
 * and then control requests need `Authorization: Bearer <token>`.
 *
 * The dashboard subscribes to the stream at once (the history must be there when a page opens),
 * so breakers report their calls from then on; `close()` unsubscribes.
 *
 * @example
 * const telemetry = new Telemetry();
 * const dashboard = createDashboard({ source: telemetry });
 * const { url } = await dashboard.listen(4000); // http://127.0.0.1:4000/
 * // or: app.use('/breakers', dashboard.handler)
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  validateDashboardOptions(options);
  const { allowControl = false, title = 'breakwater', clock = systemClock } = options;
  // A dashboard of the fleet alone needs no stream of its own.
  const telemetry = options.source ?? new Telemetry();
  const tracker = new ActivityTracker(telemetry, {
    clock,
    seconds: options.historySeconds ?? 120,
    maxBreakers: options.maxTrackedBreakers ?? 20_000,
  });
  const scanner = new BreakerScanner(
    () => breakerSources(telemetry),
    () => clock.now(),
    (name) => tracker.seenGeneration(name),
  );
  const fleet =
    options.fleet === undefined
      ? undefined
      : new FleetSource(options.fleet, clock, {
          minIntervalMs: 1_000,
          goneKeepMs: 60_000,
          maxInstances: 1_000,
        });
  const requestTable = (done: (table: BreakerTable) => void): void => {
    if (fleet === undefined) scanner.request(done);
    else fleet.request(done);
  };
  const hosts = new HostAllowList(options.allowedHosts ?? []);
  const readDigest = options.readToken === undefined ? undefined : tokenDigest(options.readToken);
  const page = renderPage(title, allowControl);
  const control = {
    allowed: allowControl,
    tokenDigest: options.token === undefined ? undefined : tokenDigest(options.token),
  };
  const snapshotOf = (table: BreakerTable, query: BreakerQuery): DashboardSnapshot => {
    const now = table.now;
    // Series end with the last complete second: the current one is still filling up.
    const second = Math.floor(now / 1000) - 1;
    const selected = selectPage(table.sorted(query.sort), query);
    return {
      allowControl,
      now,
      since: tracker.since,
      total: table.counts.total,
      matched: selected.matched,
      page: selected.page,
      pages: selected.pages,
      limit: query.limit,
      query: { filter: query.filter, show: query.show, sort: query.sort },
      counts: table.counts,
      breakers: selected.rows.map((b) => ({
        ...b,
        series: tracker.series(b.name, second),
        latency: tracker.latency(b.name, now),
      })),
      transitions: tracker.transitions(),
      transitionCount: tracker.transitionCount,
      priorStates: table.priorStates.slice(),
      priorStateCount: table.priorStateCount,
      policies: tracker.policies(),
      ...(table instanceof FleetTable
        ? { fleet: { instances: table.instances, error: table.error ?? null } }
        : {}),
    };
  };
  const hub = new SseHub<BreakerQuery>(
    clock,
    {
      intervalMs: options.intervalMs ?? 1_000,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      retryMs: 2_000,
      maxClients: options.maxClients ?? 50,
      maxClientsPerAddress: options.maxClientsPerAddress ?? 8,
      maxBufferedBytes: options.maxBufferedBytes ?? 1_048_576,
      maxSkippedFrames: options.maxSkippedFrames ?? 5,
    },
    (queries, done) => {
      requestTable((table) => {
        const texts = new Map<string, string>();
        for (const [key, query] of queries) texts.set(key, JSON.stringify(snapshotOf(table, query)));
        done(texts);
      });
    },
  );
  const servers = new Set<Server>();
  let closed = false;

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      route(req, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: 'dashboard error' });
      else res.destroy();
      dashboardWarning(error);
    }
  };

  const route = (req: IncomingMessage, res: ServerResponse): void => {
    if (closed) {
      sendJson(res, 503, { error: 'dashboard closed' });
      return;
    }
    if (!hosts.allows(req.headers.host)) {
      req.resume();
      sendJson(res, 421, { error: 'this dashboard does not serve that host name (see allowedHosts)' });
      return;
    }
    const [path = '/', search = ''] = (req.url ?? '/').split('?');
    const method = req.method ?? 'GET';
    const readOnly = method === 'GET' || method === 'HEAD';
    const ctl = CONTROL.exec(path);
    if (ctl !== null) {
      handleControl(req, res, telemetry, ctl[1] ?? '', ctl[2] as ControlAction, control);
      return;
    }
    const known =
      path.endsWith('/api/breakers') || path.endsWith('/events') || path === '' || path.endsWith('/');
    if (!known && !path.endsWith('/index.html')) {
      sendJson(res, 404, { error: 'not found' });
      return;
    }
    if (!readOnly) {
      sendJson(res, 405, { error: 'read-only route' }, { allow: 'GET, HEAD' });
      return;
    }
    const params = new URLSearchParams(search);
    const isPage = !path.endsWith('/api/breakers') && !path.endsWith('/events');
    if (readDigest !== undefined && !readAllowed(req, readDigest)) {
      // Opening the page as `…/?token=<token>` hands the token to a cookie and drops it from the address.
      const token = params.get('token');
      if (isPage && token !== null && isReadToken(token, readDigest)) {
        const last = path.slice(path.lastIndexOf('/') + 1);
        res.writeHead(303, {
          location: last === '' ? './' : last,
          'cache-control': 'no-store',
          'set-cookie': readCookie(token),
        });
        res.end();
        return;
      }
      sendJson(
        res,
        401,
        {
          error:
            'this dashboard needs its read token: open it as ?token=<token> or send Authorization: Bearer <token>',
        },
        { 'www-authenticate': 'Bearer realm="breakwater"' },
      );
      return;
    }
    if (!isPage) {
      const query = parseQuery(params, PAGE_LIMITS);
      if (typeof query === 'string') {
        sendJson(res, 400, { error: query });
        return;
      }
      if (path.endsWith('/events')) {
        hub.accept(req, res, query, queryKey(query));
        return;
      }
      requestTable((table) => {
        if (res.destroyed || res.headersSent) return;
        let text: string;
        try {
          text = JSON.stringify(snapshotOf(table, query));
        } catch (error) {
          sendJson(res, 500, { error: 'dashboard error' });
          throw error;
        }
        res.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'content-length': String(Buffer.byteLength(text)),
        });
        res.end(method === 'HEAD' ? undefined : text);
      });
    } else {
      // Mounted without a trailing slash (express: `app.use('/ops', handler)` and a request for
      // `/ops`), relative URLs in the page would miss the mount point: redirect to `/ops/`.
      const original = (req as { originalUrl?: unknown }).originalUrl;
      if (typeof original === 'string') {
        const [originalPath = '', query] = original.split('?');
        if (!originalPath.endsWith('/') && !originalPath.endsWith('/index.html')) {
          res.writeHead(308, { location: `${originalPath}/${query === undefined ? '' : `?${query}`}` });
          res.end();
          return;
        }
      }
      res.writeHead(200, { ...page.headers, 'content-length': String(Buffer.byteLength(page.html)) });
      res.end(method === 'HEAD' ? undefined : page.html);
    }
  };

  const listen = (port: number, host = '127.0.0.1'): Promise<ListeningDashboard> => {
    const check = new OptionChecker('Dashboard.listen');
    check.number('port', port, { integer: true, min: 0, max: 65_535 });
    if (typeof host !== 'string' || host === '') check.fail('host', host, 'a non-empty string', 'type');
    try {
      check.throwIfAny();
    } catch (error) {
      return Promise.reject(error);
    }
    if (closed) return Promise.reject(new Error('Dashboard.listen: the dashboard is closed'));
    const server = createServer(handler);
    // A client that never finishes its request holds no socket for long.
    server.headersTimeout = 10_000;
    server.requestTimeout = 20_000;
    hosts.add(host);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        servers.add(server);
        const { address, port: bound } = server.address() as AddressInfo;
        const shown = address.includes(':') ? `[${address}]` : address;
        resolve({ url: `http://${shown}:${bound}/`, close: () => stop(server) });
      });
    });
  };

  const stop = (server: Server): Promise<void> => {
    servers.delete(server);
    return new Promise((resolve) => {
      server.close(() => {
        resolve();
      });
      server.closeAllConnections();
    });
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    hub.close();
    tracker.dispose();
    await Promise.all([...servers].map(stop));
  };

  return { handler, listen, stats: () => hub.stats(), close };
}

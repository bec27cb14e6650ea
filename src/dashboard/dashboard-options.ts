/** The options of `createDashboard` and their validation. */
import type { Clock } from '../core/clock.js';
import type { Telemetry } from '../core/telemetry.js';
import { OptionChecker } from '../core/validate.js';
import { isTelemetry } from '../telemetry/sources.js';
import { type FleetReader, isFleetReader } from './fleet-source.js';

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The telemetry stream the breakers report into. Optional when `fleet` is given. */
  readonly source?: Telemetry;
  /**
   * A `redisFleet(...)` whose instances publish summaries (its `summary` option): the page then
   * shows every breaker of every instance, read from Redis at most once a second while a page is
   * open. See docs/fleet.md, "Fleet view".
   */
  readonly fleet?: FleetReader;
  /** Show isolate / reset buttons and accept control requests. Needs `token`. Default `false`. */
  readonly allowControl?: boolean;
  /** The bearer token control requests must carry (at least 16 characters). */
  readonly token?: string;
  /** Page title. Default `'breakwater'`. */
  readonly title?: string;
  /** Time source; must be the breakers' clock. Default: the system clock. */
  readonly clock?: Clock;
  /** Ms between snapshots pushed to the page. Default `1_000`. */
  readonly intervalMs?: number;
  /** Ms between heartbeat comments on the event stream. Default `15_000`. */
  readonly heartbeatMs?: number;
  /** Event-stream clients served at once; more get 503. Default `50`. */
  readonly maxClients?: number;
  /** Event-stream clients served at once from one remote address; more get 429. Default `8`. */
  readonly maxClientsPerAddress?: number;
  /** A client with more bytes than this waiting in its buffer is disconnected at the next tick. Default `1_048_576`. */
  readonly maxBufferedBytes?: number;
  /** A client whose socket has not drained for this many frames in a row is disconnected. Default `5`. */
  readonly maxSkippedFrames?: number;
  /** Seconds of per-second history in the sparklines. Default `120`. */
  readonly historySeconds?: number;
  /**
   * `Host` names served besides the loopback names (`localhost`, `127.0.0.1`, `[::1]`) and the
   * address given to `listen`; others get 421. `['*']` serves any name. Default `[]`.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * A token every read (page, event stream, JSON) needs: `Authorization: Bearer <token>`, or open
   * the page once as `…/?token=<token>` (it is kept in an HttpOnly cookie). At least 16
   * characters, no spaces. Default: none, reading is open to whoever reaches the address.
   */
  readonly readToken?: string;
  /** Breakers whose history is kept at most (the least recently active are forgotten first). Default `20_000`. */
  readonly maxTrackedBreakers?: number;
}

const KNOWN = [
  'source',
  'fleet',
  'allowControl',
  'token',
  'title',
  'clock',
  'intervalMs',
  'heartbeatMs',
  'maxClients',
  'maxClientsPerAddress',
  'maxBufferedBytes',
  'maxSkippedFrames',
  'historySeconds',
  'allowedHosts',
  'readToken',
  'maxTrackedBreakers',
];

/** Throws one error naming every bad option. */
export function validateDashboardOptions(options: DashboardOptions): void {
  const check = new OptionChecker('createDashboard');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, KNOWN);
  const o = options as unknown as Record<string, unknown>;
  if (o.fleet !== undefined && !isFleetReader(o.fleet))
    check.fail('fleet', o.fleet, 'a fleet from redisFleet(...) (with summaries())', 'type');
  if (o.source === undefined ? o.fleet === undefined : !isTelemetry(o.source))
    check.fail('source', o.source, 'a Telemetry stream', 'type');
  if (o.allowControl !== undefined && typeof o.allowControl !== 'boolean')
    check.fail('allowControl', o.allowControl, 'a boolean', 'type');
  if (o.token !== undefined && (typeof o.token !== 'string' || o.token.length < 16 || /\s/.test(o.token)))
    check.fail('token', '(hidden)', 'a string of at least 16 characters without spaces', 'type');
  if (
    o.readToken !== undefined &&
    (typeof o.readToken !== 'string' || o.readToken.length < 16 || /[\s;,"\\]/.test(o.readToken))
  )
    check.fail(
      'readToken',
      '(hidden)',
      'a string of at least 16 characters without spaces, ;, ", \\ or ,',
      'type',
    );
  if (
    o.allowedHosts !== undefined &&
    (!Array.isArray(o.allowedHosts) ||
      !o.allowedHosts.every((h) => typeof h === 'string' && h !== '' && !/[\s/]/.test(h)))
  )
    check.fail('allowedHosts', o.allowedHosts, "an array of host names (no port needed), or ['*']", 'type');
  if (o.allowControl === true && o.token === undefined)
    check.fail('token', undefined, 'given when allowControl is true');
  if (o.title !== undefined && typeof o.title !== 'string') check.fail('title', o.title, 'a string', 'type');
  if (o.clock !== undefined) {
    const c = (o.clock ?? {}) as Partial<Clock>;
    if (typeof c.now !== 'function' || typeof c.setTimeout !== 'function')
      check.fail('clock', '(not a Clock)', 'a Clock', 'type');
  }
  const num = (name: string, rule: { integer?: boolean; min?: number; max?: number }): void => {
    if (o[name] !== undefined) check.number(name, o[name], rule);
  };
  num('intervalMs', { min: 50, max: 60_000 });
  num('heartbeatMs', { min: 1_000, max: 300_000 });
  num('maxClients', { integer: true, min: 1, max: 10_000 });
  num('maxClientsPerAddress', { integer: true, min: 1, max: 10_000 });
  num('maxBufferedBytes', { integer: true, min: 1_024 });
  num('maxTrackedBreakers', { integer: true, min: 10, max: 1_000_000 });
  num('maxSkippedFrames', { integer: true, min: 1 });
  num('historySeconds', { integer: true, min: 10, max: 3_600 });
  check.throwIfAny();
}

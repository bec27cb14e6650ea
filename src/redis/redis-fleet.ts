/**
 * `redisFleet(...)`: the value of a breaker's `fleet` option (one per Redis client; it can serve
 * many breakers, e.g. as registry defaults). It owns one subscriber connection, made from the
 * client with `duplicate()` while any breaker is attached, and closed with the last one.
 */
import { randomUUID } from 'node:crypto';
import type { Fleet, FleetHost, FleetMember, FleetSettings, FleetState } from '../breaker/fleet.js';
import { MAX_TIMER_MS, systemClock } from '../core/clock.js';
import { OptionChecker } from '../core/validate.js';
import {
  fleetWarning,
  type RedisAdapter,
  type RedisSubscriber,
  toAdapter,
  warnIfNoErrorListener,
} from './adapter.js';
import { type FleetRule, FleetScript } from './fleet-script.js';
import { fleetKeys } from './keys.js';
import { type MemberSettings, RedisFleetMember } from './member.js';
import { describeError } from '../core/describe-error.js';
import {
  type FleetSummaryOptions,
  type PublishedInstance,
  SummaryPublisher,
  readSummaries,
  resolveSummary,
} from './summary-publisher.js';

/** Options of {@link redisFleet}. Every timing is in ms. */
export interface RedisFleetOptions {
  /** Your ioredis (first choice) or node-redis client, connected. Never closed by the fleet. */
  readonly client: unknown;
  /** Key prefix; keys are `<prefix>:v1:{<breaker name>}:…`. Must not contain `{` or `}`. Default `'bw'`. */
  readonly prefix?: string;
  /** Counts are flushed at most this long after they were made. Default `250`. */
  readonly flushIntervalMs?: number;
  /** New failures that trigger a flush at once (at most one per 50 ms). Default `3`. */
  readonly eagerFlushFailures?: number;
  /** An idle breaker re-reads the fleet state this often. Default `5_000`. */
  readonly syncIntervalMs?: number;
  /** Deadline of every store call on a breaker's path. `force` waits up to 5 s (or this, if longer). Default `150`. */
  readonly deadlineMs?: number;
  /** Consecutive store errors or timeouts that switch a breaker to local-only mode. Default `3`. */
  readonly degradeAfterErrors?: number;
  /** While degraded, how often the store is tried again. Default `1_000`. */
  readonly reconnectIntervalMs?: number;
  /** Fleet-wide cap on probes running at once in half-open. Default `1`. */
  readonly probeCap?: number;
  /** Lifetime of a probe lease; keep it ≥ the probe's timeout. Default: the breaker's timeout + 1 s (else 30 s). */
  readonly leaseMs?: number;
  /** Distinct instances that must have reported failures in the window before the fleet opens. Default `2`. */
  readonly minReporters?: number;
  /** The fleet's time window. Default: the breaker's own time window, else 10 s in 10 buckets. */
  readonly window?: {
    /** Ms of history the window covers. */
    readonly duration: number;
    /** Equal buckets the duration is cut into (1 to 1000). Default `10`. */
    readonly buckets?: number;
  };
  /** TTL of the state key, refreshed on every write. Default `max(4 × longest open period, 2 × window, 10 min)`. */
  readonly stateTtlMs?: number;
  /** Listen for transition hints (pub/sub). Without them, instances converge by flush and sync replies. Default `true`. */
  readonly pubsub?: boolean;
  /**
   * Publish a summary of this instance's breakers for the dashboard's fleet view (about once a
   * second, one script call, bounded in size, expiring). Off unless given. See docs/fleet.md, "Fleet view".
   */
  readonly summary?: FleetSummaryOptions;
}

/** A {@link Fleet} on Redis, with fleet-wide operator actions. */
export interface RedisFleet extends Fleet {
  /** The client adapter in use (ioredis, node-redis or custom). */
  readonly adapter: RedisAdapter;
  /** The keys and channel of breaker `name`. */
  keysOf(name: string): ReturnType<typeof fleetKeys>;
  /**
   * Operator action on every instance of breaker `name`: `isolate` (open until released),
   * `reset` (closed, fresh window) or `release` (end an isolation). Resolves the fleet state the
   * store holds after the action.
   * Waits up to 5 s for Redis (or `deadlineMs`, if longer): an operator's call, not a breaker's.
   */
  force(name: string, action: 'isolate' | 'reset' | 'release'): Promise<FleetState>;
  /** This fleet's instance id (random; one per `redisFleet(...)`). */
  readonly instanceId: string;
  /**
   * Every instance's published summary (see the `summary` option); an instance whose summary
   * expired but is still indexed has `summary: undefined`. Two commands; rejects on a store error.
   */
  summaries(): Promise<PublishedInstance[]>;
  /** Detaches every breaker, stops publishing and closes the subscriber connection (never your client). */
  close(): Promise<void>;
}

const KNOWN = [
  'client',
  'prefix',
  'flushIntervalMs',
  'eagerFlushFailures',
  'syncIntervalMs',
  'deadlineMs',
  'degradeAfterErrors',
  'reconnectIntervalMs',
  'probeCap',
  'leaseMs',
  'minReporters',
  'window',
  'stateTtlMs',
  'pubsub',
  'summary',
];

interface Resolved {
  readonly prefix: string;
  readonly settings: Omit<MemberSettings, 'leaseMs'>;
  readonly leaseMs: number | undefined;
  readonly minReporters: number;
  readonly window: { duration: number; buckets: number } | undefined;
  readonly stateTtlMs: number | undefined;
  readonly pubsub: boolean;
  readonly summary: ReturnType<typeof resolveSummary>;
}

function resolve(options: RedisFleetOptions): Resolved {
  const check = new OptionChecker('redisFleet');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, KNOWN);
  const o = options;
  const prefix = o.prefix ?? 'bw';
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix))
    check.fail('prefix', prefix, 'a non-empty string without { or }', 'type');
  const num = (name: keyof RedisFleetOptions, value: unknown, rule: Parameters<OptionChecker['number']>[2]) =>
    value === undefined || check.number(name, value, rule);
  const positive = { min: 0, minExclusive: true, max: MAX_TIMER_MS };
  const settings = {
    flushIntervalMs: o.flushIntervalMs ?? 250,
    eagerFlushFailures: o.eagerFlushFailures ?? 3,
    syncIntervalMs: o.syncIntervalMs ?? 5_000,
    deadlineMs: o.deadlineMs ?? 150,
    degradeAfterErrors: o.degradeAfterErrors ?? 3,
    reconnectIntervalMs: o.reconnectIntervalMs ?? 1_000,
    probeCap: o.probeCap ?? 1,
  };
  num('flushIntervalMs', settings.flushIntervalMs, positive);
  num('eagerFlushFailures', settings.eagerFlushFailures, { integer: true, min: 1 });
  num('syncIntervalMs', settings.syncIntervalMs, positive);
  num('deadlineMs', settings.deadlineMs, positive);
  num('degradeAfterErrors', settings.degradeAfterErrors, { integer: true, min: 1 });
  num('reconnectIntervalMs', settings.reconnectIntervalMs, positive);
  num('probeCap', settings.probeCap, { integer: true, min: 1 });
  num('leaseMs', o.leaseMs, positive);
  num('minReporters', o.minReporters, { integer: true, min: 1 });
  num('stateTtlMs', o.stateTtlMs, { min: 1_000, max: MAX_TIMER_MS });
  let window: Resolved['window'];
  if (o.window !== undefined) {
    if (typeof o.window !== 'object' || (o.window as unknown) === null) {
      check.fail('window', o.window, 'an object { duration, buckets }', 'type');
    } else {
      check.knownKeys(o.window, ['duration', 'buckets'], 'window.');
      window = { duration: o.window.duration, buckets: o.window.buckets ?? 10 };
      check.number('window.duration', window.duration, { min: 1, max: MAX_TIMER_MS });
      check.number('window.buckets', window.buckets, { integer: true, min: 1, max: 1000 });
    }
  }
  if (o.pubsub !== undefined && typeof o.pubsub !== 'boolean')
    check.fail('pubsub', o.pubsub, 'a boolean', 'type');
  const summary = o.summary === undefined ? undefined : resolveSummary(o.summary, check);
  check.throwIfAny();
  return {
    prefix,
    settings,
    leaseMs: o.leaseMs,
    minReporters: o.minReporters ?? 2,
    window,
    stateTtlMs: o.stateTtlMs,
    pubsub: o.pubsub ?? true,
    summary,
  };
}

function errorText(error: unknown): string {
  return describeError(error, 'message');
}

/** The fleet rule of a breaker: its own thresholds, evaluated over the fleet's window. */
export function ruleOf(
  o: FleetSettings,
  r: Pick<Resolved, 'window' | 'minReporters' | 'stateTtlMs'>,
): FleetRule {
  const w = r.window ?? (o.window.type === 'time' ? o.window : { duration: 10_000, buckets: 10 });
  const rules = o.rules; // a rule that is off holds Infinity; the script takes 0 for off
  const on = (threshold: number): number => (threshold === Infinity ? 0 : threshold);
  const rateOn = rules.failureRateThreshold !== Infinity || rules.slowCallRateThreshold !== Infinity;
  const openMs = Math.ceil(o.recoveryTimeout);
  const maxOpenMs = o.backoff === undefined ? openMs : Math.ceil(Math.max(o.backoff.max, openMs));
  return {
    windowMs: Math.ceil(w.duration),
    buckets: w.buckets,
    failureThreshold: on(rules.failureThreshold),
    failureRateThreshold: on(rules.failureRateThreshold),
    minimumCalls: rateOn ? rules.minimumCalls : 0,
    slowCallRateThreshold: on(rules.slowCallRateThreshold),
    openMs,
    backoffMultiplier: o.backoff?.multiplier ?? 1,
    maxOpenMs,
    successThreshold: o.successThreshold,
    minReporters: r.minReporters,
    stateTtlMs: r.stateTtlMs ?? Math.max(4 * maxOpenMs, 2 * Math.ceil(w.duration), 600_000),
  };
}

/**
 * A fleet on Redis, to pass as a breaker's `fleet` option (or in a registry's `defaults`).
 *
 * @example
 * const redis = new Redis({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
 * redis.on('error', (err) => log.warn('redis', err.message)); // without it, a Redis outage floods the log
 * const fleet = redisFleet({ client: redis, prefix: 'myapp' });
 * const breaker = new CircuitBreaker({ name: 'payments', failureRateThreshold: 0.5, fleet });
 */
export function redisFleet(options: RedisFleetOptions): RedisFleet {
  const r = resolve(options);
  const adapter = toAdapter(options.client);
  const instanceId = randomUUID();
  const members = new Set<RedisFleetMember>();
  const byChannel = new Map<string, Set<RedisFleetMember>>();
  const byName = new Map<string, RedisFleetMember>();
  const nameOf = new Map<RedisFleetMember, string>();
  let subscriber: RedisSubscriber | undefined;
  /** Removes our `ready` listener from the client (while any breaker is attached). */
  let unwatch: (() => void) | undefined;
  /**
   * An error of the subscriber connection not reported yet. The next store call decides: if it
   * fails too, Redis itself is away and the members report it (`degraded`); if it succeeds, only
   * the subscriber is down, and nothing else would say so: one process warning. Cleared when the
   * subscriber is ready again, so at most one warning per subscriber outage.
   */
  let subscriberError: { error: unknown } | undefined;
  let subscriberDown = false;

  const onReady = (): void => {
    subscriberDown = false;
    subscriberError = undefined;
    for (const m of members) m.sync();
  };
  const onSubscriberError = (from: RedisSubscriber, error: unknown): void => {
    if (from !== subscriber || subscriberDown) return;
    subscriberDown = true;
    // Redis itself is away: the members report it (or already did).
    if (adapter.ready?.() === false || [...members].some((m) => m.degraded)) return;
    subscriberError = { error };
  };
  const outcome = (ok: boolean): void => {
    const pending = subscriberError;
    if (pending === undefined) return;
    subscriberError = undefined;
    if (ok) {
      fleetWarning(
        `the fleet's subscriber connection failed (${errorText(pending.error)}); transition hints pause until it reconnects, the state still arrives with every reply and sync`,
      );
    }
  };
  const subscribe = (member: RedisFleetMember): void => {
    if (!r.pubsub) return;
    if (subscriber === undefined) {
      const sub = adapter.subscriber();
      subscriber = sub;
      subscriberDown = false;
      subscriberError = undefined;
      sub.onReady(onReady);
      sub.onError?.((error) => {
        onSubscriberError(sub, error);
      });
    }
    let set = byChannel.get(member.channel);
    if (set === undefined) {
      const listeners = new Set<RedisFleetMember>();
      set = listeners;
      byChannel.set(member.channel, listeners);
      subscriber.subscribe(member.channel, (message) => {
        for (const m of listeners) m.hint(message);
      });
    }
    set.add(member);
  };
  const onClientReady = (): void => {
    for (const m of members) m.wake();
  };
  const detach = (member: RedisFleetMember): void => {
    members.delete(member);
    const name = nameOf.get(member);
    nameOf.delete(member);
    if (name !== undefined && byName.get(name) === member) byName.delete(name);
    const set = byChannel.get(member.channel);
    if (set !== undefined) {
      set.delete(member);
      if (set.size === 0) {
        byChannel.delete(member.channel);
        subscriber?.unsubscribe(member.channel);
      }
    }
    if (members.size === 0) {
      unwatch?.();
      unwatch = undefined;
      if (subscriber !== undefined) {
        void subscriber.close();
        subscriber = undefined;
        subscriberError = undefined;
      }
    }
  };

  const fleet: RedisFleet = {
    adapter,
    keysOf: (name) => fleetKeys(r.prefix, name),
    attach(host: FleetHost): FleetMember {
      const o = host.options;
      const leaseMs = r.leaseMs ?? (o.timeout === false ? 30_000 : Math.ceil(o.timeout) + 1_000);
      const keys = fleetKeys(r.prefix, host.name);
      // Each member calls at least once per sync interval; its configuration counts as in use
      // for three of them.
      const script = new FleetScript(adapter, keys, ruleOf(o, r), 3 * r.settings.syncIntervalMs);
      if (members.size === 0) {
        warnIfNoErrorListener(options.client);
        unwatch ??= adapter.onReady?.(onClientReady);
      }
      const member = new RedisFleetMember(
        host,
        { adapter, instanceId, settings: { ...r.settings, leaseMs }, detach, outcome },
        script,
        keys.channel,
      );
      members.add(member);
      byName.set(host.name, member);
      nameOf.set(member, host.name);
      subscribe(member);
      return member;
    },
    async force(name, action) {
      const member = [...members].find((m) => m.channel === fleetKeys(r.prefix, name).channel);
      if (member === undefined)
        throw new Error(`breakwater/redis: no breaker named "${name}" is attached to this fleet`);
      return member.force(action);
    },
    instanceId,
    summaries: () => readSummaries(adapter, r.prefix, r.settings.deadlineMs, r.summary?.clock ?? systemClock),
    async close() {
      await Promise.all([...members].map((m) => m.close()).concat(publisher?.close() ?? []));
    },
  };
  const publisher =
    r.summary === undefined
      ? undefined
      : new SummaryPublisher(
          adapter,
          r.prefix,
          instanceId,
          r.summary,
          {
            fleetOf: (name) => {
              const m = byName.get(name);
              return m === undefined ? undefined : { state: m.state, healthy: m.healthy };
            },
            members: () => {
              let degraded = 0;
              for (const m of members) if (!m.healthy) degraded++;
              return { members: members.size, degraded };
            },
          },
          r.settings.deadlineMs,
        );
  return fleet;
}

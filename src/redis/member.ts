/**
 * One breaker's membership in a Redis fleet: its view of the fleet, the counts waiting to be
 * flushed, probe leases, store health (degraded mode) and the regression rule. Every store call
 * has a deadline and every promise is handled; nothing here can fail a call.
 */
import {
  FLEET_CHECK,
  FLEET_PROBE,
  FLEET_REJECT,
  type FleetEvent,
  type FleetHost,
  type FleetLease,
  type FleetMember,
  type FleetState,
} from '../breaker/fleet.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { fleetWarning, type RedisAdapter } from './adapter.js';
import {
  type FleetOp,
  type FleetReply,
  FleetScript,
  type StoredState,
  withDeadline,
} from './fleet-script.js';
import type { FleetRule } from './fleet-script.js';
import { describeError } from '../core/describe-error.js';

/** Timing and limits of a member (resolved `redisFleet` options). */
export interface MemberSettings {
  readonly flushIntervalMs: number;
  readonly eagerFlushFailures: number;
  readonly syncIntervalMs: number;
  readonly deadlineMs: number;
  readonly degradeAfterErrors: number;
  readonly reconnectIntervalMs: number;
  readonly probeCap: number;
  readonly leaseMs: number;
}

/** What a member needs from its fleet. */
export interface MemberContext {
  readonly adapter: RedisAdapter;
  readonly instanceId: string;
  readonly settings: MemberSettings;
  /** Called once when the member closes. */
  readonly detach: (member: RedisFleetMember) => void;
  /** Told the outcome of every store call (`true`: Redis answered). Optional. */
  readonly outcome?: (ok: boolean) => void;
}

const EAGER_MIN_MS = 50;
const ACQUIRE_MIN_MS = 100;
/** Deadline of `force`, an operator's call (the breaker's own calls use `deadlineMs`). */
const FORCE_DEADLINE_MS = 5_000;

const STATE_NAMES: Readonly<Record<StoredState, FleetState>> = {
  closed: 'closed',
  open: 'open',
  half_open: 'half-open',
  forced_open: 'isolated',
};

interface View {
  readonly state: FleetState;
  readonly gen: number;
  readonly epoch: string | undefined;
  /** End of the open period on the local clock. */
  readonly untilLocal: number;
}

/** Fleet state → stored state, for the view a corrupt state key is rebuilt from. */
const STORED: Readonly<Record<FleetState, StoredState | ''>> = {
  closed: 'closed',
  open: 'open',
  'half-open': 'half_open',
  isolated: 'forced_open',
  unknown: '',
};

const UNKNOWN: View = { state: 'unknown', gen: -1, epoch: undefined, untilLocal: 0 };

/** See the module comment. */
export class RedisFleetMember implements FleetMember {
  readonly channel: string;
  readonly #host: FleetHost;
  readonly #clock: Clock;
  readonly #ctx: MemberContext;
  readonly #s: MemberSettings;
  readonly #script: FleetScript;
  #view: View = UNKNOWN;
  /** Redis ms minus local ms, from the latest reply. */
  #offset = 0;
  #healthy = true;
  #closed = false;
  #errors = 0;
  #batchGen = -1;
  #calls = 0;
  #failures = 0;
  #slow = 0;
  #newFailures = 0;
  #flushing = false;
  #lastFlushAt = -Infinity;
  #lastReplyAt = -Infinity;
  #acquiring = false;
  #lastAcquireAt = -Infinity;
  #leaseSeq = 0;
  #regression: { epoch: string; gen: number } | undefined;
  /** This instance's configuration does not own the fleet record: local-only until it does. */
  #refused = false;
  #lastMismatchAt = -Infinity;
  /** Script calls sent so far; each reply is applied with the number of its call. */
  #sent = 0;
  /**
   * Calls sent before the last hint moved the view on: their replies may come from before that
   * transition, so a lower generation in them is late news, not a store that lost data.
   */
  #sentBeforeHint = 0;
  #flushTimer: TimerHandle = undefined;
  #syncTimer: TimerHandle = undefined;
  #reconnectTimer: TimerHandle = undefined;

  constructor(host: FleetHost, ctx: MemberContext, script: FleetScript, channel: string) {
    this.#host = host;
    this.#clock = host.clock;
    this.#ctx = ctx;
    this.#s = ctx.settings;
    this.#script = script;
    this.channel = channel;
    this.#armSync();
    this.sync();
  }

  /** False while degraded, or while refused for a configuration mismatch: local-only either way. */
  get healthy(): boolean {
    return this.#healthy && !this.#refused;
  }
  /** True while degraded: the store failed or the client is not connected. */
  get degraded(): boolean {
    return !this.#healthy;
  }
  get state(): FleetState {
    return this.#view.state;
  }
  get generation(): number {
    return this.#view.gen;
  }

  admit(now: number): number {
    const v = this.#view;
    if (!this.#healthy || this.#refused) return v.gen;
    switch (v.state) {
      case 'open':
        return now < v.untilLocal ? FLEET_REJECT : FLEET_PROBE;
      case 'half-open':
        return FLEET_PROBE;
      case 'isolated':
        return FLEET_REJECT;
      default:
        return v.gen;
    }
  }

  get ticket(): number {
    const v = this.#view;
    return !this.#healthy || this.#refused || v.state === 'closed' || v.state === 'unknown'
      ? v.gen
      : FLEET_CHECK;
  }

  retryAfterMs(now: number): number {
    const v = this.#view;
    if (v.state === 'isolated') return Infinity;
    return v.state === 'open' ? Math.max(0, v.untilLocal - now) : 0;
  }

  record(ticket: number, failure: boolean, slow: boolean): void {
    if (!this.#healthy || this.#closed || this.#refused) return;
    if (ticket !== this.#batchGen) {
      if (this.#calls !== 0) return; // a late outcome from another generation: the script would drop it
      this.#batchGen = ticket;
    }
    this.#calls++;
    if (slow) this.#slow++;
    if (failure) {
      this.#failures++;
      if (++this.#newFailures >= this.#s.eagerFlushFailures) {
        const now = this.#clock.now();
        if (now - this.#lastFlushAt >= EAGER_MIN_MS) {
          this.flush();
          return;
        }
      }
    }
    this.#flushTimer ??= this.#clock.setTimeout(this.#onFlushTimer, this.#s.flushIntervalMs);
  }

  readonly #onFlushTimer = (): void => {
    this.#flushTimer = undefined;
    this.flush();
  };

  /** Sends the pending counts (never retried: a failed flush is dropped). */
  flush(): void {
    if (this.#flushing || !this.#healthy || this.#closed || this.#calls === 0) return;
    const args = [this.#calls, this.#failures, this.#slow, this.#batchGen, this.#ctx.instanceId];
    this.#calls = this.#failures = this.#slow = this.#newFailures = 0;
    this.#flushing = true;
    this.#lastFlushAt = this.#clock.now();
    void this.#call('flush', args).then(() => {
      this.#flushing = false;
      if (this.#calls > 0 && this.#flushTimer === undefined && !this.#closed)
        this.#flushTimer = this.#clock.setTimeout(this.#onFlushTimer, this.#s.flushIntervalMs);
    });
  }

  acquire(now: number): Promise<FleetLease | undefined> {
    if (this.#closed || !this.#healthy || this.#acquiring || now - this.#lastAcquireAt < ACQUIRE_MIN_MS)
      return Promise.resolve(undefined);
    this.#acquiring = true;
    this.#lastAcquireAt = now;
    const id = `${this.#ctx.instanceId}:${++this.#leaseSeq}`;
    return this.#call('acquire', [id, this.#s.leaseMs, this.#s.probeCap]).then((reply) => {
      this.#acquiring = false;
      if (reply?.flag !== true || this.#view.gen !== reply.gen) return undefined;
      return { id, generation: reply.gen };
    });
  }

  settle(lease: FleetLease, outcome: 'success' | 'failure' | 'release'): void {
    if (this.#closed || !this.#healthy) return; // the lease expires on its own
    const code = outcome === 'success' ? 'ok' : outcome === 'failure' ? 'fail' : 'release';
    void this.#call('report', [lease.id, lease.generation, code]);
  }

  /** Fetches the snapshot (idle, after a (re)subscribe, when leaving degraded mode). */
  sync(): void {
    if (this.#closed || !this.#healthy) return;
    void this.#call('sync', []);
  }

  /**
   * Operator action for the whole fleet: `isolate`, `reset` or `release`. Resolves the state the
   * store holds after it (the member's view may wait for a second reply to follow, when the store
   * lost its record). Not on a call's path, so it waits up to `FORCE_DEADLINE_MS` (or `deadlineMs`
   * if longer): a slow store should delay an operator's action, not fail it with its outcome unknown.
   */
  async force(action: 'isolate' | 'reset' | 'release'): Promise<FleetState> {
    const seq = ++this.#sent;
    const deadline = Math.max(this.#s.deadlineMs, FORCE_DEADLINE_MS);
    const reply = await this.#script.run('force', [action], this.#clock, deadline, this.#viewArg());
    this.#apply(reply, seq);
    return STATE_NAMES[reply.st];
  }

  /** A pub/sub hint `st|gen|epoch|until|now`: applied only when it moves the same epoch forward. */
  hint(message: string): void {
    if (this.#closed || !this.#healthy) return;
    const [st, gen, epoch, until] = message.split('|');
    const g = Number(gen);
    const state = STATE_NAMES[st as StoredState] as FleetState | undefined;
    if (state === undefined || epoch !== this.#view.epoch || !(g > this.#view.gen)) return;
    this.#sentBeforeHint = this.#sent;
    this.#accept({ state, gen: g, epoch, untilLocal: Number(until) - this.#offset }, 'transition');
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const t of [this.#flushTimer, this.#syncTimer, this.#reconnectTimer])
      if (t !== undefined) this.#clock.clearTimeout(t);
    this.#flushTimer = this.#syncTimer = this.#reconnectTimer = undefined;
    this.#ctx.detach(this);
    return Promise.resolve();
  }

  /**
   * Called when the client becomes ready again: a degraded member tries the store at once
   * instead of at its next reconnect attempt.
   */
  wake(): void {
    if (this.#closed || this.#healthy || this.#reconnectTimer === undefined) return;
    this.#clock.clearTimeout(this.#reconnectTimer);
    this.#reconnect();
  }

  /**
   * One script call; resolves the reply, or `undefined` after a store error (counted). A client
   * that says it is not ready (not connected yet, or reconnecting) degrades the member at once.
   */
  #call(op: FleetOp, args: readonly (string | number)[]): Promise<FleetReply | undefined> {
    const adapter = this.#ctx.adapter;
    if (adapter.ready?.() === false) {
      this.#ctx.outcome?.(false);
      this.#storeError(new Error(`breakwater/redis: the ${adapter.kind} client is not connected`), true);
      return Promise.resolve(undefined);
    }
    const seq = ++this.#sent;
    return this.#script.run(op, args, this.#clock, this.#s.deadlineMs, this.#viewArg()).then(
      (reply) => {
        this.#ctx.outcome?.(true);
        if (this.#closed || !this.#healthy) return undefined;
        this.#errors = 0;
        try {
          this.#apply(reply, seq);
        } catch (error) {
          // A bug here must not turn into a failed call or an unhandled rejection.
          fleetWarning(`applying a fleet reply failed: ${describeError(error)}`);
          return undefined;
        }
        return reply;
      },
      (error: unknown) => {
        this.#ctx.outcome?.(false);
        this.#storeError(error, false);
        return undefined;
      },
    );
  }

  /** Applies the reply to call number `seq`. */
  #apply(reply: FleetReply, seq: number): void {
    this.#lastReplyAt = reply.receivedAt;
    this.#offset = reply.now - (reply.sentAt + reply.receivedAt) / 2;
    const next: View = {
      state: STATE_NAMES[reply.st],
      gen: reply.gen,
      epoch: reply.epoch,
      untilLocal: reply.until - this.#offset,
    };
    const v = this.#view;
    if (reply.refused !== this.#refused) {
      this.#refused = reply.refused;
      if (reply.refused) this.#calls = this.#failures = this.#slow = this.#newFailures = 0;
    }
    if (reply.repaired.length > 0) this.#emit('repaired', undefined, reply.repaired);
    // Reported on every instance, about once per sync interval, while the mismatch lasts.
    if (!reply.mismatch) this.#lastMismatchAt = -Infinity;
    else if (reply.receivedAt - this.#lastMismatchAt >= this.#s.syncIntervalMs * 0.9) {
      this.#lastMismatchAt = reply.receivedAt;
      this.#emit('config-mismatch');
    }
    if (v.epoch === undefined || (reply.epoch === v.epoch && reply.gen >= v.gen)) {
      this.#regression = undefined;
      this.#accept(next, 'transition');
      return;
    }
    // A lower generation of the same epoch, from a call sent before a hint moved the view on: the
    // call may have run before that transition. Late news, not lost data.
    if (reply.epoch === v.epoch && seq <= this.#sentBeforeHint) return;
    // A lower generation or a new epoch: Redis lost data. Accept it on a second, consecutive reply.
    const r = this.#regression;
    if (r?.epoch === reply.epoch && reply.gen >= r.gen) {
      this.#regression = undefined;
      this.#accept(next, 'regression');
      return;
    }
    this.#regression = { epoch: reply.epoch, gen: reply.gen };
    this.sync(); // ask again at once: the confirmation is the next consecutive reply
  }

  #accept(next: View, kind: 'transition' | 'regression'): void {
    const v = this.#view;
    this.#view = next;
    if (next.gen !== v.gen || next.epoch !== v.epoch) {
      // Counts belong to the generation they were made in; only counts made before the first
      // snapshot (generation -1) carry over, and the script accepts those only while closed.
      if (this.#batchGen !== -1) this.#calls = this.#failures = this.#slow = this.#newFailures = 0;
      this.#batchGen = next.gen;
    }
    if (kind === 'regression' || next.state !== v.state) this.#emit(kind);
  }

  /** A failed store call; `atOnce`: degrade without waiting for `degradeAfterErrors` of them. */
  #storeError(error: unknown, atOnce: boolean): void {
    if (this.#closed || !this.#healthy) return;
    if (!atOnce && ++this.#errors < this.#s.degradeAfterErrors) return;
    this.#healthy = false;
    this.#acquiring = false;
    this.#calls = this.#failures = this.#slow = this.#newFailures = 0;
    // Keep honouring the fleet's last open period: seed the local breaker with it (unless this
    // instance was refused: that period was made with another configuration, never applied here).
    const now = this.#clock.now();
    const v = this.#view;
    if (!this.#refused) {
      if (v.state === 'open' && v.untilLocal > now) this.#host.openLocally(v.untilLocal - now);
      else if (v.state === 'isolated') this.#host.openLocally(this.#host.options.recoveryTimeout);
    }
    this.#emit('degraded', error);
    this.#reconnectTimer = this.#clock.setTimeout(this.#reconnect, this.#s.reconnectIntervalMs);
  }

  readonly #reconnect = (): void => {
    this.#reconnectTimer = undefined;
    if (this.#closed) return;
    const clock = this.#clock;
    if (this.#ctx.adapter.ready?.() === false) {
      // Not connected: nothing to ask yet (the client's `ready` wakes the member earlier).
      this.#reconnectTimer = clock.setTimeout(this.#reconnect, this.#s.reconnectIntervalMs);
      return;
    }
    let seq = 0;
    withDeadline(this.#ctx.adapter.command(['PING']), this.#s.deadlineMs, clock, 'fleet ping')
      .then(() => {
        seq = ++this.#sent;
        return this.#script.run('sync', [], clock, this.#s.deadlineMs, this.#viewArg());
      })
      .then(
        (reply) => {
          if (this.#closed) return;
          this.#healthy = true;
          this.#errors = 0;
          this.#apply(reply, seq);
          this.#emit('restored');
        },
        () => {
          if (!this.#closed)
            this.#reconnectTimer = clock.setTimeout(this.#reconnect, this.#s.reconnectIntervalMs);
        },
      );
  };

  /** The view a corrupt state key is rebuilt from: `st|gen|epoch|until` (Redis ms), or ''. */
  #viewArg(): string {
    const v = this.#view;
    if (v.epoch === undefined) return '';
    const until = v.state === 'open' ? Math.max(0, Math.round(v.untilLocal + this.#offset)) : 0;
    return `${STORED[v.state]}|${v.gen}|${v.epoch}|${until}`;
  }

  #armSync(): void {
    this.#syncTimer = this.#clock.setTimeout(this.#onSyncTimer, this.#s.syncIntervalMs);
  }

  readonly #onSyncTimer = (): void => {
    if (this.#closed) return;
    if (this.#clock.now() - this.#lastReplyAt >= this.#s.syncIntervalMs * 0.9) this.sync();
    this.#armSync();
  };

  #emit(kind: FleetEvent['kind'], error?: unknown, keys?: readonly string[]): void {
    const v = this.#view;
    const event: FleetEvent = {
      kind,
      state: v.state,
      generation: v.gen,
      healthy: this.healthy,
      ...(error === undefined ? {} : { error }),
      ...(keys === undefined ? {} : { keys }),
    };
    this.#host.report(event);
  }
}

export type { FleetRule };

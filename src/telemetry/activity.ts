/**
 * What happened recently, aggregated from a telemetry stream: per breaker, per-second counts of
 * the last minutes and latency percentiles of the last minute; across breakers, the latest
 * transitions. Combined with each breaker's own snapshot (state, window, totals) it is what the
 * dashboard shows. Memory is bounded whether or not anyone reads it: a fixed amount per breaker,
 * at most `maxBreakers` breakers, entries of breakers that left the stream dropped (at once when
 * unregistered, after `departedAfterMs` without events when collected or never registered), and
 * a transition list of fixed length. The bound is kept when a new name arrives: a sweep then drops
 * the departed entries and, still at the cap, the least recently active tenth; sweeps run at most
 * once per `departedAfterMs` unless the cap is reached, so their cost is spread over many names.
 *
 * A breaker may have changed state before the tracker started (or been restored into a state
 * from a snapshot): no transition event tells of it, so the snapshot lists it apart, as a prior
 * state, with the time the breaker says it entered that state.
 *
 * The other policies on the stream (stale caches, timeouts, queues, retries, bulkheads,
 * fallbacks) are counted per policy, see `policy-counts.ts`.
 */
import type { BreakerStats } from '../index.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Disposable } from '../core/events.js';
import type { Telemetry, TelemetryEvent } from '../core/telemetry.js';
import { OptionChecker } from '../core/validate.js';
import { LatencyHistogram, type Percentiles } from './latency-histogram.js';
import { type PolicyActivity, PolicyCounts } from './policy-counts.js';
import { type SecondCounts, SecondSeries } from './second-series.js';
import { breakerSources } from './sources.js';

/** Options of an {@link ActivityTracker}. */
export interface ActivityOptions {
  /** Time source; must be the breakers' clock. Default: the system clock. */
  readonly clock?: Clock;
  /** Seconds of per-second counts kept per breaker. Default `120`. */
  readonly seconds?: number;
  /** Ms of latencies the percentiles cover. Default `60_000`. */
  readonly latencyWindowMs?: number;
  /** Transitions kept, newest first. Default `50`. */
  readonly transitions?: number;
  /** Policies other than breakers counted at most (the least recently active is forgotten). Default `200`. */
  readonly policies?: number;
  /** Breakers tracked at most (the least recently active are forgotten first). Default `20_000`. */
  readonly maxBreakers?: number;
  /** Ms without events after which a breaker that left the stream is forgotten. Default `seconds` × 1000. */
  readonly departedAfterMs?: number;
}

/** A transition as the tracker remembers it. */
export interface TransitionRecord {
  /** Clock time (ms) of the transition. */
  readonly at: number;
  /** The breaker's name. */
  readonly breaker: string;
  /** The state left. */
  readonly from: string;
  /** The state entered. */
  readonly to: string;
  /** What caused it (a `TransitionReason`). */
  readonly reason: string;
  /** The breaker's generation after the transition. */
  readonly generation: number;
}

/**
 * A breaker's current state, entered without a transition the tracker saw: before the tracker
 * started, or restored from a snapshot.
 */
export interface PriorState {
  /** Clock time (ms) the breaker entered the state (`now - timeInStateMs`). */
  readonly at: number;
  /** The breaker's name. */
  readonly breaker: string;
  /** The state it is in. */
  readonly state: string;
  /** The breaker's generation (`stats.generation`). */
  readonly generation: number;
}

/** One breaker: its own snapshot plus what the tracker aggregated. */
export interface BreakerActivity extends BreakerStats {
  /** Per-second counts, oldest first, up to the last complete second. */
  readonly series: SecondCounts;
  /** Latency percentiles in ms over the last `latencyWindowMs`. */
  readonly latency: Percentiles;
}

/** Everything at one moment (the dashboard's snapshot adds paging and counts to it). */
export interface ActivitySnapshot {
  /** Clock time (ms) of the snapshot. */
  readonly now: number;
  /** The breakers shown (the dashboard: one page of them). */
  readonly breakers: BreakerActivity[];
  /** Clock time (ms) the tracker started: it knows of calls and transitions from then on. */
  readonly since: number;
  /** The latest transitions, newest first (at most the `transitions` option). */
  readonly transitions: TransitionRecord[];
  /** Transitions seen since `since`, including those too old to be in `transitions`. */
  readonly transitionCount: number;
  /** Live breakers whose current state began without a transition the tracker saw, newest first (at most 50). */
  readonly priorStates: PriorState[];
  /** The other policies on the stream and what they reported since `since`, by name. */
  readonly policies: PolicyActivity[];
}

interface Entry {
  readonly series: SecondSeries;
  readonly latency: LatencyHistogram;
  lastEventAt: number;
  /** Generation of the latest transition seen; `-1` before any. */
  seenGeneration: number;
}

/** See the module comment. Subscribes on construction; `dispose()` unsubscribes. */
export class ActivityTracker implements Disposable {
  readonly #telemetry: Telemetry;
  readonly #clock: Clock;
  readonly #seconds: number;
  readonly #latencyWindowMs: number;
  readonly #maxTransitions: number;
  readonly #maxBreakers: number;
  readonly #departedAfterMs: number;
  readonly #entries = new Map<string, Entry>();
  #transitions: TransitionRecord[] = [];
  #transitionCount = 0;
  #lastSweep: number;
  readonly #since: number;
  readonly #policies: PolicyCounts;
  readonly #subscription: Disposable;

  constructor(telemetry: Telemetry, options: ActivityOptions = {}) {
    const check = new OptionChecker('ActivityTracker');
    check.knownKeys(options, [
      'clock',
      'seconds',
      'latencyWindowMs',
      'transitions',
      'policies',
      'maxBreakers',
      'departedAfterMs',
    ]);
    const {
      clock = systemClock,
      seconds = 120,
      latencyWindowMs = 60_000,
      transitions = 50,
      policies = 200,
      maxBreakers = 20_000,
    } = options;
    const departedAfterMs = options.departedAfterMs ?? seconds * 1000;
    check.number('seconds', seconds, { integer: true, min: 1, max: 3600 });
    check.number('latencyWindowMs', latencyWindowMs, { min: 1_000, max: 3_600_000 });
    check.number('transitions', transitions, { integer: true, min: 0, max: 10_000 });
    check.number('policies', policies, { integer: true, min: 1, max: 10_000 });
    check.number('maxBreakers', maxBreakers, { integer: true, min: 10, max: 1_000_000 });
    check.number('departedAfterMs', departedAfterMs, { min: 1_000, max: 86_400_000 });
    check.throwIfAny();
    this.#policies = new PolicyCounts(policies);
    this.#telemetry = telemetry;
    this.#clock = clock;
    this.#seconds = seconds;
    this.#latencyWindowMs = latencyWindowMs;
    this.#maxTransitions = transitions;
    this.#maxBreakers = maxBreakers;
    this.#departedAfterMs = departedAfterMs;
    this.#since = clock.now();
    this.#lastSweep = this.#since;
    this.#subscription = telemetry.subscribe(this.#onEvent);
  }

  readonly #onEvent = (event: TelemetryEvent): void => {
    if (event.kind !== 'breaker') {
      this.#policies.record(event, this.#clock.now());
      return;
    }
    switch (event.type) {
      case 'call': {
        const now = this.#clock.now();
        const entry = this.#entry(event.policy, now);
        entry.series.record(Math.floor(now / 1000), event.outcome);
        if (event.outcome !== 'rejected') entry.latency.record(now, event.durationMs);
        break;
      }
      case 'transition': {
        const now = this.#clock.now();
        const { policy: breaker, from, to, reason, generation } = event;
        this.#entry(breaker, now).seenGeneration = generation;
        this.#transitionCount++;
        this.#transitions.unshift({ at: now, breaker, from, to, reason, generation });
        if (this.#transitions.length > this.#maxTransitions) this.#transitions.length = this.#maxTransitions;
        break;
      }
      case 'unregistered':
        this.#entries.delete(event.policy);
        break;
      default:
        break;
    }
  };

  #entry(name: string, now: number): Entry {
    let entry = this.#entries.get(name);
    if (entry === undefined) {
      if (this.#entries.size >= this.#maxBreakers || now - this.#lastSweep >= this.#departedAfterMs)
        this.#sweep(now);
      entry = {
        series: new SecondSeries(this.#seconds),
        latency: new LatencyHistogram(this.#latencyWindowMs, Math.max(1_000, this.#latencyWindowMs / 6)),
        lastEventAt: now,
        seenGeneration: -1,
      };
      this.#entries.set(name, entry);
    }
    entry.lastEventAt = now;
    return entry;
  }

  /**
   * Drops the entries of breakers that left the stream and were quiet for `departedAfterMs`; then,
   * still at the cap, the least recently active tenth (live or not).
   */
  #sweep(now: number): void {
    this.#lastSweep = now;
    const live = new Set<string>();
    for (const source of this.#telemetry.sources()) if (source.kind === 'breaker') live.add(source.name);
    for (const [name, entry] of this.#entries)
      if (!live.has(name) && now - entry.lastEventAt >= this.#departedAfterMs) this.#entries.delete(name);
    if (this.#entries.size < this.#maxBreakers) return;
    const times = [...this.#entries.values()].map((e) => e.lastEventAt).sort((a, b) => a - b);
    const cut = times[Math.max(0, Math.floor(this.#maxBreakers / 10) - 1)] ?? now;
    for (const [name, entry] of this.#entries) if (entry.lastEventAt <= cut) this.#entries.delete(name);
  }

  /** Clock time (ms) the tracker started. */
  get since(): number {
    return this.#since;
  }

  /** Per-second counts of `name` ending at clock second `second` (zeros for an unknown name). */
  series(name: string, second: number): SecondCounts {
    return (this.#entries.get(name) ?? this.#blank()).series.counts(second);
  }

  /** Latency percentiles of `name` at `now`. */
  latency(name: string, now: number): Percentiles {
    return (this.#entries.get(name) ?? this.#blank()).latency.percentiles(now);
  }

  /** Generation of the latest transition seen for `name`; `-1` before any. */
  seenGeneration(name: string): number {
    return this.#entries.get(name)?.seenGeneration ?? -1;
  }

  /** The latest transitions, newest first (a copy). */
  transitions(): TransitionRecord[] {
    return this.#transitions.slice();
  }

  /** Transitions seen since `since`. */
  get transitionCount(): number {
    return this.#transitionCount;
  }

  /** The other policies on the stream. */
  policies(): PolicyActivity[] {
    return this.#policies.snapshot();
  }

  #blankEntry: Entry | undefined;
  #blank(): Entry {
    this.#blankEntry ??= {
      series: new SecondSeries(this.#seconds),
      latency: new LatencyHistogram(this.#latencyWindowMs, Math.max(1_000, this.#latencyWindowMs / 6)),
      lastEventAt: 0,
      seenGeneration: -1,
    };
    return this.#blankEntry;
  }

  /**
   * Every live breaker with its aggregates, the latest transitions and the prior states, read at
   * once (fine for a few hundred breakers; the dashboard reads pages instead).
   */
  snapshot(): ActivitySnapshot {
    const now = this.#clock.now();
    if (now - this.#lastSweep >= this.#departedAfterMs) this.#sweep(now);
    const second = Math.floor(now / 1000) - 1;
    const breakers: BreakerActivity[] = [];
    const priorStates: PriorState[] = [];
    for (const source of breakerSources(this.#telemetry)) {
      let stats: BreakerStats;
      try {
        stats = source.snapshot();
      } catch {
        continue;
      }
      breakers.push({
        ...stats,
        series: this.series(source.name, second),
        latency: this.latency(source.name, now),
      });
      const prior = priorStateOf(stats, this.seenGeneration(source.name), now);
      if (prior !== undefined) priorStates.push(prior);
    }
    priorStates.sort((a, b) => b.at - a.at);
    return {
      now,
      since: this.#since,
      breakers,
      transitions: this.transitions(),
      transitionCount: this.#transitionCount,
      priorStates,
      policies: this.policies(),
    };
  }

  /** Breakers currently tracked (live or recently active). */
  get size(): number {
    return this.#entries.size;
  }

  /** Stops listening to the stream. */
  dispose(): void {
    this.#subscription.dispose();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}

/**
 * The prior state of a breaker, if its current state began without a transition the tracker saw.
 * A closed breaker of generation 0 has never changed state: nothing to tell. (`>`: stats relayed
 * from another process may lag behind the transitions relayed with them.)
 */
export function priorStateOf(
  stats: BreakerStats,
  seenGeneration: number,
  now: number,
): PriorState | undefined {
  if (!(stats.generation > seenGeneration) || (stats.generation === 0 && stats.state === 'closed'))
    return undefined;
  return {
    at: now - stats.timeInStateMs,
    breaker: stats.name,
    state: stats.state,
    generation: stats.generation,
  };
}

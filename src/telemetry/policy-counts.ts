/**
 * What the policies other than breakers reported, counted per policy: stale cache answers, timeouts,
 * queued and replayed requests, retries, bulkhead rejections, fallback answers. A stale answer is
 * counted like a fresh one, so the dashboard shows a dependency answered from memory as plainly as
 * one answering live. Memory is bounded: at most `max` policies, the least recently active one
 * forgotten first.
 */
import type { TelemetryEvent } from '../core/telemetry.js';
import { CACHE_RESULTS, QUEUE_ACTIONS } from './metric-names.js';

/** A policy and its counts since counting started. */
export interface PolicyActivity {
  readonly name: string;
  /** The policy's kind as it reports it: `staleCache`, `timeout`, `queueForLater`, `retry`, … */
  readonly kind: string;
  /**
   * Events by what happened, every possible key present from the policy's first event: `fresh`,
   * `stale`, `miss` for a stale cache; `timeouts`; `queued`, `refused`, `replayed`,
   * `replay-failed`, `dead-lettered` for a queue; `retries`; `rejected`, `queued`, `dequeued` for
   * a bulkhead; `fallbacks`.
   */
  readonly counts: Readonly<Record<string, number>>;
  /** Clock time (ms) of its latest event. */
  readonly lastEventAt: number;
}

interface Entry {
  readonly name: string;
  readonly kind: string;
  readonly counts: Record<string, number>;
  lastEventAt: number;
}

const BULKHEAD = Object.freeze(['rejected', 'queued', 'dequeued']);
const RETRIES = Object.freeze(['retries']);
const FALLBACKS = Object.freeze(['fallbacks']);
const TIMEOUTS = Object.freeze(['timeouts']);

/** See the module comment. Events of breakers (`kind: 'breaker'`) are not counted here. */
export class PolicyCounts {
  readonly #max: number;
  // kind → name → entry: no key string is built per event.
  readonly #byKind = new Map<string, Map<string, Entry>>();
  #size = 0;

  constructor(max: number) {
    this.#max = max;
  }

  /** Policies counted now. */
  get size(): number {
    return this.#size;
  }

  /** Counts `event` when it is a policy's report; ignores everything else. */
  record(event: TelemetryEvent, now: number): void {
    if (event.kind === 'breaker') return;
    switch (event.type) {
      case 'cache':
        this.#count(event, now, CACHE_RESULTS, event.result);
        return;
      case 'queue':
        this.#count(event, now, QUEUE_ACTIONS, event.action);
        return;
      case 'timeout':
        this.#count(event, now, TIMEOUTS, 'timeouts');
        return;
      case 'retry':
        this.#count(event, now, RETRIES, 'retries');
        return;
      case 'bulkhead':
        this.#count(event, now, BULKHEAD, event.action);
        return;
      case 'fallback':
        this.#count(event, now, FALLBACKS, 'fallbacks');
        return;
      default:
        return;
    }
  }

  /** Every policy counted, by name then kind; the counts are copies. */
  snapshot(): PolicyActivity[] {
    const out: PolicyActivity[] = [];
    for (const byName of this.#byKind.values())
      for (const { name, kind, counts, lastEventAt } of byName.values())
        out.push({ name, kind, counts: { ...counts }, lastEventAt });
    return out.sort((a, b) => compare(a.name, b.name) || compare(a.kind, b.kind));
  }

  #count(event: TelemetryEvent, now: number, keys: readonly string[], key: string): void {
    let byName = this.#byKind.get(event.kind);
    if (byName === undefined) {
      byName = new Map();
      this.#byKind.set(event.kind, byName);
    }
    let entry = byName.get(event.policy);
    if (entry === undefined) {
      if (this.#size >= this.#max) this.#evictOldest();
      entry = { name: event.policy, kind: event.kind, counts: {}, lastEventAt: now };
      byName.set(event.policy, entry);
      this.#size++;
    }
    const counts = entry.counts;
    if (counts[key] === undefined) for (const k of keys) counts[k] ??= 0;
    counts[key] = (counts[key] ?? 0) + 1;
    entry.lastEventAt = now;
  }

  #evictOldest(): void {
    let oldest: Entry | undefined;
    for (const byName of this.#byKind.values())
      for (const entry of byName.values())
        if (oldest === undefined || entry.lastEventAt < oldest.lastEventAt) oldest = entry;
    if (oldest === undefined) return;
    const byName = this.#byKind.get(oldest.kind);
    byName?.delete(oldest.name);
    if (byName?.size === 0) this.#byKind.delete(oldest.kind);
    this.#size--;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A reference model of the fleet rule, written from the design (research note part 1, "Scripts"):
 * the Redis-side breaker as plain TypeScript, stepped with an explicit `now`. The model test
 * compares every script reply with it.
 */
import type { FleetRule } from '../../src/redis/fleet-script.js';

export type ModelOp =
  | {
      readonly op: 'flush';
      readonly calls: number;
      readonly failures: number;
      readonly slow: number;
      readonly gen: number;
      readonly instance: string;
    }
  | { readonly op: 'acquire'; readonly lease: string; readonly leaseMs: number; readonly cap: number }
  | {
      readonly op: 'report';
      readonly lease: string;
      readonly gen: number;
      readonly outcome: 'ok' | 'fail' | 'release';
    }
  | { readonly op: 'sync' }
  | { readonly op: 'force'; readonly action: 'isolate' | 'reset' | 'release' };

export interface ModelReply {
  readonly st: string;
  readonly gen: number;
  readonly until: number;
  readonly flag: boolean;
}

export class FleetModel {
  st = 'closed';
  gen = 0;
  until = 0;
  #ok = 0;
  #opens = 0;
  /** bucket index → counts */
  #buckets = new Map<number, { c: number; f: number; s: number }>();
  /** instance → last bucket with a failure or slow call */
  #reporters = new Map<string, number>();
  /** lease id → expiry */
  #leases = new Map<string, number>();
  readonly seen = new Set<string>();

  constructor(readonly rule: FleetRule) {}

  #go(to: string, until: number): void {
    this.seen.add(`${this.st}->${to}`);
    this.st = to;
    this.gen++;
    this.until = until;
    this.#ok = 0;
    this.#leases.clear();
    this.#buckets.clear();
    this.#reporters.clear();
  }

  #openUntil(now: number, reopens: number): number {
    return now + Math.min(this.rule.openMs * this.rule.backoffMultiplier ** reopens, this.rule.maxOpenMs);
  }

  step(o: ModelOp, now: number): ModelReply {
    const r = this.rule;
    if (this.st === 'open' && now >= this.until) this.#go('half_open', 0);
    let flag = false;
    switch (o.op) {
      case 'flush': {
        if (this.st !== 'closed' || (o.gen !== this.gen && o.gen !== -1)) break;
        flag = true;
        const idx = Math.floor(now / (r.windowMs / r.buckets));
        const low = idx - r.buckets + 1;
        const b = this.#buckets.get(idx) ?? { c: 0, f: 0, s: 0 };
        b.c += o.calls;
        b.f += o.failures;
        b.s += o.slow;
        if (b.c + b.f + b.s > 0) this.#buckets.set(idx, b);
        if (o.failures > 0 || o.slow > 0) this.#reporters.set(o.instance, idx);
        let calls = 0;
        let failures = 0;
        let slow = 0;
        for (const [i, v] of this.#buckets) {
          if (i < low) this.#buckets.delete(i);
          else {
            calls += v.c;
            failures += v.f;
            slow += v.s;
          }
        }
        for (const [k, i] of this.#reporters) if (i < low) this.#reporters.delete(k);
        if (this.#reporters.size < r.minReporters) break;
        const trips =
          (r.failureThreshold > 0 && failures >= r.failureThreshold) ||
          (r.failureRateThreshold > 0 &&
            calls >= r.minimumCalls &&
            calls > 0 &&
            failures / calls >= r.failureRateThreshold) ||
          (r.slowCallRateThreshold > 0 &&
            calls >= r.minimumCalls &&
            calls > 0 &&
            slow / calls >= r.slowCallRateThreshold);
        if (trips) {
          this.#opens = 0;
          this.#go('open', this.#openUntil(now, 0));
        }
        break;
      }
      case 'acquire':
        if (this.st !== 'half_open') break;
        for (const [id, expiry] of this.#leases) if (expiry <= now) this.#leases.delete(id);
        if (this.#leases.size < o.cap) {
          this.#leases.set(o.lease, now + o.leaseMs);
          flag = true;
          this.seen.add('lease granted');
        } else this.seen.add('lease denied');
        break;
      case 'report':
        this.#leases.delete(o.lease);
        if (this.st !== 'half_open' || o.gen !== this.gen || o.outcome === 'release') {
          if (this.st === 'half_open' && o.gen !== this.gen) this.seen.add('stale report');
          break;
        }
        flag = true;
        if (o.outcome === 'ok') {
          if (++this.#ok >= r.successThreshold) {
            this.#opens = 0;
            this.#go('closed', 0);
          }
        } else {
          this.#opens++;
          this.#go('open', this.#openUntil(now, this.#opens));
        }
        break;
      case 'sync':
        break;
      case 'force':
        flag = true;
        if (o.action === 'isolate') {
          if (this.st !== 'forced_open') this.#go('forced_open', 0);
        } else if (o.action === 'reset') {
          this.#opens = 0;
          this.#go('closed', 0);
        } else if (this.st === 'forced_open') {
          this.#opens = 0;
          this.#go('closed', 0);
        }
        break;
    }
    return { st: this.st, gen: this.gen, until: this.until, flag };
  }
}

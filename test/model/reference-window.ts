/**
 * The reference model's window: a plain list of recorded outcomes, filtered on every read. It is
 * deliberately naive (no ring, no running totals) so that it shares no arithmetic with the
 * library's windows; the model only needs to be obviously right, not fast.
 */

/** Window configuration, as in the breaker options (after defaults). */
export type ModelWindowConfig =
  | { readonly type: 'time'; readonly duration: number; readonly buckets: number }
  | { readonly type: 'count'; readonly size: number }
  | { readonly type: 'consecutive' };

/** What a window holds now. */
export interface WindowCounts {
  readonly calls: number;
  readonly failures: number;
  readonly slowCalls: number;
}

interface Entry {
  readonly at: number;
  readonly failure: boolean;
  readonly slow: boolean;
}

/** Recorded outcomes, read back according to the window kind. */
export class ReferenceWindow {
  #entries: Entry[] = [];
  readonly #config: ModelWindowConfig;

  constructor(config: ModelWindowConfig) {
    this.#config = config;
  }

  add(at: number, failure: boolean, slow: boolean): void {
    this.#entries.push({ at, failure, slow });
  }

  clear(): void {
    this.#entries = [];
  }

  /** The counts at time `now`. */
  counts(now: number): WindowCounts {
    const kept = this.#visible(now);
    this.#entries = kept; // what is forgotten stays forgotten
    return {
      calls: kept.length,
      failures: kept.filter((e) => e.failure).length,
      slowCalls: kept.filter((e) => e.slow).length,
    };
  }

  #visible(now: number): Entry[] {
    const c = this.#config;
    switch (c.type) {
      case 'time': {
        // docs/contract.md §3.1: "whole buckets drop out as time moves". Buckets are numbered from time 0
        // (the option docs of the time window): an outcome stays while its bucket is one of the
        // `buckets` newest.
        const bucketMs = c.duration / c.buckets;
        const newest = Math.floor(now / bucketMs);
        return this.#entries.filter((e) => newest - Math.floor(e.at / bucketMs) < c.buckets);
      }
      case 'count':
        return this.#entries.slice(-c.size);
      case 'consecutive': {
        // Any counted success resets: only the failures after the last success remain.
        let i = this.#entries.length;
        while (i > 0 && this.#entries[i - 1]?.failure === true) i--;
        return this.#entries.slice(i);
      }
    }
  }
}

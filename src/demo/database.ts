/**
 * The demo's database: answers a lookup in a few ms, and turns slow or hangs on the parent's
 * command. The faults are breakwater/chaos policies, switched on and off by phase.
 */
import { hang } from '../chaos/hang.js';
import { latency } from '../chaos/latency.js';
import { seededRandom } from '../core/random.js';
import type { Answer } from './http.js';
import type { PhaseName } from './schedule.js';

/** The database's behaviour under the fault schedule. */
export interface Database {
  /** Looks `id` up; `signal` aborts when the caller goes away (a hung query ends then). */
  lookup(id: string, signal: AbortSignal): Promise<Answer>;
  /** Applies the faults of `phase`. */
  setPhase(phase: PhaseName): void;
}

/** A database whose faults replay identically for the same `seed`. */
export function createDatabase(seed: number, slowMs: number): Database {
  const random = seededRandom(seed);
  const work = latency({ msFn: () => 2 + 4 * random(), random });
  const slow = latency({ ms: slowMs, enabled: false, random });
  const stall = hang({ enabled: false, random });
  return {
    lookup(id, signal) {
      const query = (): Answer => ({
        id,
        price: 100 + ((id.length * 37) % 50),
        degraded: false,
        source: 'database',
      });
      return stall.execute(() => slow.execute(() => work.execute(query, { signal }), { signal }), { signal });
    },
    setPhase(phase) {
      slow.enabled = phase === 'slow';
      stall.enabled = phase === 'hanging';
    },
  };
}

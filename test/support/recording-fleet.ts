/**
 * A fleet that only records what breakers hand it when they join: the host (name, resolved
 * settings, clock, random). Its members admit every call and never change state, so a breaker
 * with it behaves as a local one; tests read the settings a fleet would apply fleet-wide.
 */
import type { Fleet, FleetHost, FleetLease, FleetMember, FleetState } from '../../src/breaker/fleet.js';

class ClosedMember implements FleetMember {
  readonly healthy = true;
  readonly state: FleetState = 'closed';
  readonly generation = 0;
  /** The ticket of every call: the fleet's generation, known without a clock read. */
  readonly ticket = 0;
  admit(): number {
    return this.generation;
  }
  retryAfterMs(): number {
    return 0;
  }
  acquire(): Promise<FleetLease | undefined> {
    return Promise.resolve(undefined);
  }
  record(): void {}
  settle(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface RecordingFleet extends Fleet {
  /** The hosts of the breakers that joined, in order. */
  readonly hosts: FleetHost[];
}

/** A fleet that records each joining breaker's host; its members admit every call. */
export function recordingFleet(): RecordingFleet {
  const hosts: FleetHost[] = [];
  return {
    hosts,
    attach(host: FleetHost): FleetMember {
      hosts.push(host);
      return new ClosedMember();
    },
  };
}

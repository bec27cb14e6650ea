import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { StateName } from '../breaker/state-machine.js';
import type { Clock } from '../core/clock.js';
import { type StatsMessage, sharedNow } from './protocol.js';

/**
 * Counts a service's requests in flight (the pile-up) and samples its event-loop delay,
 * reporting both every `intervalMs` with the peak since the previous report.
 */
export class ServiceMeter {
  #inFlight = 0;
  #peak = 0;
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });

  constructor() {
    this.#delay.enable();
  }

  /** A request arrived. */
  enter(): void {
    this.#inFlight++;
    if (this.#inFlight > this.#peak) this.#peak = this.#inFlight;
  }

  /** A request was answered or its client went away. */
  leave(): void {
    this.#inFlight--;
  }

  /** Calls `report` every `intervalMs` (the timer does not keep the process alive). */
  start(
    clock: Clock,
    intervalMs: number,
    breaker: () => StateName | null,
    report: (m: StatsMessage) => void,
  ): void {
    const tick = (): void => {
      report({
        type: 'stats',
        at: sharedNow(),
        inFlight: this.#inFlight,
        peakInFlight: this.#peak,
        loopDelayMaxMs: this.#delay.max / 1e6,
        breaker: breaker(),
      });
      this.#peak = this.#inFlight;
      this.#delay.reset();
      clock.setTimeout(tick, intervalMs);
    };
    clock.setTimeout(tick, intervalMs);
  }
}

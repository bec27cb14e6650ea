/**
 * One dashboard for every service: each service relays its telemetry stream (breaker calls and
 * transitions, and its breakers' current stats) to the parent over IPC, a batch every few hundred
 * ms; the parent replays the batches into a telemetry stream of its own, whose sources stand for
 * the services' breakers, and serves `createDashboard` on it.
 */
import type { BreakerStats } from '../breaker/circuit-breaker.js';
import type { Clock } from '../core/clock.js';
import type { Disposable } from '../core/events.js';
import { Telemetry, type TelemetryEvent, type TelemetrySource } from '../core/telemetry.js';
import { breakerStats } from '../telemetry/sources.js';

const POLICY: ReadonlySet<string> = new Set(['cache', 'timeout', 'queue', 'retry', 'bulkhead', 'fallback']);

/** A batch of a service's telemetry. */
export interface TelemetryMessage {
  readonly type: 'telemetry';
  /** Breaker and policy events since the previous batch, oldest first. */
  readonly events: TelemetryEvent[];
  /** The stats of every breaker on the service's stream, now. */
  readonly breakers: BreakerStats[];
}

/**
 * Sends `telemetry`'s breaker events and stats through `send` every `intervalMs` (the timer does
 * not keep the process alive). Disposing stops it.
 */
export function relayTelemetry(
  telemetry: Telemetry,
  clock: Clock,
  intervalMs: number,
  send: (message: TelemetryMessage) => void,
): Disposable {
  let events: TelemetryEvent[] = [];
  const subscription = telemetry.subscribe((event) => {
    // Breakers' calls and transitions, and every report of the other policies (stale answers…).
    if (
      event.kind === 'breaker' ? event.type === 'call' || event.type === 'transition' : POLICY.has(event.type)
    )
      events.push(event);
  });
  let timer: unknown;
  const tick = (): void => {
    const batch = events;
    events = [];
    send({ type: 'telemetry', events: batch, breakers: breakerStats(telemetry) });
    timer = clock.setTimeout(tick, intervalMs);
  };
  timer = clock.setTimeout(tick, intervalMs);
  const dispose = (): void => {
    clock.clearTimeout(timer);
    subscription.dispose();
  };
  return { dispose, [Symbol.dispose]: dispose };
}

interface MirroredBreaker extends TelemetrySource<BreakerStats> {
  readonly kind: 'breaker';
  latest: BreakerStats;
}

/** The parent's side: a telemetry stream replaying the batches of every service. */
export class TelemetryMirror {
  /** The stream a dashboard reads. */
  readonly telemetry = new Telemetry();
  // Held here: the stream holds its sources weakly.
  readonly #breakers = new Map<string, MirroredBreaker>();

  /** Replays one batch: new breakers are registered, every breaker's stats updated, events emitted. */
  receive(message: TelemetryMessage): void {
    for (const stats of message.breakers) {
      const known = this.#breakers.get(stats.name);
      if (known !== undefined) {
        known.latest = stats;
        continue;
      }
      const source: MirroredBreaker = {
        name: stats.name,
        kind: 'breaker',
        latest: stats,
        snapshot: () => source.latest,
      };
      this.#breakers.set(stats.name, source);
      this.telemetry.register(source);
    }
    for (const event of message.events) {
      // JSON turned NaN (the duration of a rejected call) into null.
      this.telemetry.emit(
        event.type === 'call' && typeof event.durationMs !== 'number' ? { ...event, durationMs: NaN } : event,
      );
    }
  }

  /** Forgets every breaker (their services are gone). */
  clear(): void {
    for (const source of this.#breakers.values()) this.telemetry.unregister(source);
    this.#breakers.clear();
  }
}

/**
 * The demo's client: an open-loop load generator. Requests leave on a fixed schedule whatever
 * happens to the earlier ones (as real users keep arriving while a service struggles), so a slow
 * service meets the full load and its pile-up shows. A cap on requests in flight protects the
 * machine: beyond it a request is counted as an error without being sent ("shed").
 */
import type { Clock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import { Agent } from 'node:http';
import { type Answer, clientGet } from './http.js';

/** How one client request ended. */
export type Outcome = 'success' | 'degraded' | 'error';

/** One finished client request. */
export interface RequestResult {
  /** Ms from the start of the load when it was due. */
  readonly sentMs: number;
  readonly latencyMs: number;
  readonly outcome: Outcome;
  /** Not sent: the in-flight cap was reached. */
  readonly shed: boolean;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Base URL of service A. */
  readonly target: string;
  /** Requests per second. */
  readonly rate: number;
  readonly durationMs: number;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /** How long the client waits for an answer. */
  readonly timeoutMs: number;
  /** Number of distinct item ids requested. */
  readonly keys: number;
  readonly clock: Clock;
  readonly random: Random;
  /** Aborting it stops sending and aborts the requests in flight. */
  readonly signal: AbortSignal;
  /** Called when a request is sent (offered). */
  readonly onSent: (sentMs: number) => void;
  readonly onResult: (result: RequestResult) => void;
}

/** Sends the load; resolves when every request sent has finished. */
export async function runLoad(o: LoadOptions): Promise<void> {
  const interval = 1_000 / o.rate;
  const total = Math.floor((o.durationMs / 1_000) * o.rate);
  const start = o.clock.now();
  const pending = new Set<Promise<void>>();
  const agent = new Agent({ keepAlive: true });
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      if (o.signal.aborted) {
        resolve();
        return;
      }
      const elapsed = o.clock.now() - start;
      while (sent < total && sent * interval <= elapsed) {
        const sentMs = sent * interval;
        const key = Math.floor(o.random() * o.keys);
        sent++;
        o.onSent(sentMs);
        if (pending.size >= o.maxInFlight) {
          o.onResult({ sentMs, latencyMs: 0, outcome: 'error', shed: true });
          continue;
        }
        const request = one(o, agent, `${o.target}/item/k${key}`, sentMs, start).finally(() =>
          pending.delete(request),
        );
        pending.add(request);
      }
      if (sent >= total) resolve();
      else o.clock.setTimeout(tick, Math.max(1, (sent * interval - elapsed) | 0));
    };
    tick();
  });
  await Promise.all(pending);
  agent.destroy();
}

async function one(o: LoadOptions, agent: Agent, url: string, sentMs: number, start: number): Promise<void> {
  const controller = new AbortController();
  const timer = o.clock.setTimeout(() => {
    controller.abort(new Error('client timeout'));
  }, o.timeoutMs);
  const onAbort = (): void => {
    controller.abort(o.signal.reason);
  };
  o.signal.addEventListener('abort', onAbort, { once: true });
  let outcome: Outcome = 'error';
  try {
    const response = await clientGet(url, agent, controller.signal);
    if (response.status === 200) {
      outcome = (JSON.parse(response.body) as Answer).degraded ? 'degraded' : 'success';
    }
  } catch {
    outcome = 'error';
  } finally {
    o.clock.clearTimeout(timer);
    o.signal.removeEventListener('abort', onAbort);
  }
  o.onResult({ sentMs, latencyMs: o.clock.now() - start - sentMs, outcome, shed: false });
}

/**
 * Sends rounds of `concurrency` requests, each round after the previous one finished, until
 * `requests` were sent or `maxMs` passed, and measures nothing. The first few hundred requests of
 * a Node process are slow (the HTTP client and the request path are still being compiled),
 * noticeably so on a busy machine: the measured run starts once every process is warm.
 */
export async function warmUp(
  target: string,
  o: { requests: number; concurrency: number; maxMs: number; clock: Clock; signal: AbortSignal },
): Promise<void> {
  const start = o.clock.now();
  const agent = new Agent({ keepAlive: true });
  for (let sent = 0; sent < o.requests && !o.signal.aborted && o.clock.now() - start < o.maxMs;) {
    await Promise.all(
      Array.from({ length: o.concurrency }, async () => {
        const key = sent++ % 50;
        try {
          await clientGet(`${target}/item/k${key}`, agent, o.signal);
        } catch {
          // Warm-up outcomes do not count.
        }
      }),
    );
  }
  agent.destroy();
}

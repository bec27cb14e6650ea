/**
 * Server-Sent Events for the dashboard, built to stay small under many and slow clients.
 *
 * One timer serves every client: while at least one is connected it renders one snapshot per
 * `intervalMs`, serialises it once and writes the same string to each client; with no client it
 * holds no timer. A frame is written only to a client whose socket has drained and whose
 * buffered bytes are under `maxBufferedBytes`; a slow client misses frames instead of piling
 * them up in memory (each frame is a full snapshot, so a missed one loses nothing), and a client
 * that misses `maxSkippedFrames` in a row is disconnected (its browser reconnects and starts
 * from a full snapshot). The number of clients is capped.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/clock.js';

/** Limits of an {@link SseHub}. */
export interface SseLimits {
  readonly intervalMs: number;
  readonly heartbeatMs: number;
  readonly retryMs: number;
  readonly maxClients: number;
  readonly maxBufferedBytes: number;
  readonly maxSkippedFrames: number;
}

/** Counters for monitoring the hub (and for tests). */
export interface SseStats {
  /** Clients connected now. */
  readonly clients: number;
  /** Bytes waiting in the clients' write buffers now. */
  readonly bufferedBytes: number;
  /** Frames not written to a client because it had not drained, since creation. */
  readonly skippedFrames: number;
  /** Clients disconnected for being too slow, since creation. */
  readonly droppedClients: number;
  /** Connections refused because `maxClients` were connected, since creation. */
  readonly refusedClients: number;
  /** Snapshot frames rendered, since creation. */
  readonly frames: number;
}

interface Client {
  readonly res: ServerResponse;
  drained: boolean;
  skipped: number;
}

/** See the module comment. `render()` returns the JSON of one snapshot. */
export class SseHub {
  readonly #clock: Clock;
  readonly #limits: SseLimits;
  readonly #render: () => string;
  readonly #clients = new Set<Client>();
  #timer: TimerHandle;
  #armed = false;
  #lastHeartbeat = 0;
  #skippedFrames = 0;
  #droppedClients = 0;
  #refusedClients = 0;
  #frames = 0;
  #closed = false;

  constructor(clock: Clock, limits: SseLimits, render: () => string) {
    this.#clock = clock;
    this.#limits = limits;
    this.#render = render;
  }

  /** Answers an event-stream request: refuses it when full, else sends `retry:` and a full snapshot. */
  accept(req: IncomingMessage, res: ServerResponse): void {
    if (this.#closed || this.#clients.size >= this.#limits.maxClients) {
      this.#refusedClients++;
      res.writeHead(503, {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': String(Math.ceil(this.#limits.retryMs / 1000)),
        'cache-control': 'no-store',
      });
      res.end(JSON.stringify({ error: this.#closed ? 'dashboard closed' : 'too many dashboard clients' }));
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    req.socket.setNoDelay(true);
    req.socket.setKeepAlive(true);
    const client: Client = { res, drained: true, skipped: 0 };
    this.#clients.add(client);
    res.on('drain', () => {
      client.drained = true;
    });
    res.on('close', () => {
      this.#clients.delete(client);
      if (this.#clients.size === 0) this.#stop();
    });
    this.#write(client, `retry: ${this.#limits.retryMs}\n\n${frame(this.#render())}`);
    this.#frames++;
    if (!this.#armed) {
      this.#lastHeartbeat = this.#clock.now();
      this.#arm();
    }
  }

  /** Counters; see {@link SseStats}. */
  stats(): SseStats {
    let bufferedBytes = 0;
    for (const c of this.#clients) bufferedBytes += c.res.writableLength;
    return {
      clients: this.#clients.size,
      bufferedBytes,
      skippedFrames: this.#skippedFrames,
      droppedClients: this.#droppedClients,
      refusedClients: this.#refusedClients,
      frames: this.#frames,
    };
  }

  /** Ends every stream and refuses new ones. */
  close(): void {
    this.#closed = true;
    this.#stop();
    for (const client of this.#clients) client.res.end();
    this.#clients.clear();
  }

  #arm(): void {
    this.#armed = true;
    this.#timer = this.#clock.setTimeout(this.#tick, this.#limits.intervalMs);
  }

  #stop(): void {
    if (this.#armed) this.#clock.clearTimeout(this.#timer);
    this.#armed = false;
    this.#timer = undefined;
  }

  readonly #tick = (): void => {
    this.#armed = false;
    this.#timer = undefined;
    if (this.#clients.size === 0 || this.#closed) return;
    let data = frame(this.#render());
    this.#frames++;
    const now = this.#clock.now();
    if (now - this.#lastHeartbeat >= this.#limits.heartbeatMs) {
      this.#lastHeartbeat = now;
      data = `: heartbeat\n\n${data}`;
    }
    for (const client of [...this.#clients]) {
      if (!client.drained || client.res.writableLength > this.#limits.maxBufferedBytes) {
        this.#skippedFrames++;
        if (++client.skipped >= this.#limits.maxSkippedFrames) {
          this.#droppedClients++;
          this.#clients.delete(client);
          client.res.destroy();
        }
        continue;
      }
      client.skipped = 0;
      this.#write(client, data);
    }
    if (this.#clients.size > 0) this.#arm();
  };

  #write(client: Client, data: string): void {
    if (!client.res.write(data)) client.drained = false;
  }
}

/** One SSE message. JSON has no raw line breaks, so it fits on one `data:` line. */
function frame(json: string): string {
  return `event: snapshot\ndata: ${json}\n\n`;
}

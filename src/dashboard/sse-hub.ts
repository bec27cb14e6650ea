/**
 * Server-Sent Events for the dashboard, built to stay small under many and slow clients.
 *
 * One timer serves every client: while at least one is connected it renders one frame per
 * `intervalMs` for each distinct query the clients asked for (clients with equal queries share
 * one serialised string); with no client it holds no timer. Rendering may finish later (the
 * dashboard reads many breakers in chunks); the next tick is armed when it has.
 *
 * A frame is written only to a client whose socket has drained; a slow client misses frames
 * instead of piling them up in memory (each frame is complete, so a missed one loses nothing). A
 * client with more than `maxBufferedBytes` waiting is disconnected at the next tick, and one that
 * misses `maxSkippedFrames` in a row too (its browser reconnects and starts from a full frame).
 * The number of clients is capped, in all and per remote address.
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
  readonly maxClientsPerAddress: number;
}

/** Renders one JSON text per distinct query (by key); calls `done` with them, at once or later. */
export type SseRender<Q> = (
  queries: ReadonlyMap<string, Q>,
  done: (texts: ReadonlyMap<string, string>) => void,
) => void;

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
  /** Connections refused because `maxClients` (or `maxClientsPerAddress` from one address) were connected, since creation. */
  readonly refusedClients: number;
  /** Snapshot frames rendered, since creation. */
  readonly frames: number;
}

interface Client<Q> {
  readonly res: ServerResponse;
  readonly query: Q;
  readonly key: string;
  readonly address: string;
  drained: boolean;
  skipped: number;
}

/** See the module comment. */
export class SseHub<Q> {
  readonly #clock: Clock;
  readonly #limits: SseLimits;
  readonly #render: SseRender<Q>;
  readonly #clients = new Set<Client<Q>>();
  readonly #perAddress = new Map<string, number>();
  #timer: TimerHandle;
  #armed = false;
  /** A tick's frames are being rendered; the next tick is armed when they are written. */
  #rendering = false;
  #lastHeartbeat = 0;
  #skippedFrames = 0;
  #droppedClients = 0;
  #refusedClients = 0;
  #frames = 0;
  #closed = false;

  constructor(clock: Clock, limits: SseLimits, render: SseRender<Q>) {
    this.#clock = clock;
    this.#limits = limits;
    this.#render = render;
  }

  /**
   * Answers an event-stream request for `query` (`key` identifies equal queries): refuses it when
   * full (503) or when its address has `maxClientsPerAddress` streams (429), else sends `retry:`
   * and a first frame.
   */
  accept(req: IncomingMessage, res: ServerResponse, query: Q, key: string): void {
    const address = req.socket.remoteAddress ?? '';
    const fromAddress = this.#perAddress.get(address) ?? 0;
    const full = this.#closed || this.#clients.size >= this.#limits.maxClients;
    if (full || fromAddress >= this.#limits.maxClientsPerAddress) {
      this.#refusedClients++;
      res.writeHead(full ? 503 : 429, {
        'content-type': 'application/json; charset=utf-8',
        'retry-after': String(Math.ceil(this.#limits.retryMs / 1000)),
        'cache-control': 'no-store',
      });
      const error = this.#closed
        ? 'dashboard closed'
        : full
          ? 'too many dashboard clients'
          : 'too many dashboard clients from this address';
      res.end(JSON.stringify({ error }));
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
    const client: Client<Q> = { res, query, key, address, drained: true, skipped: 0 };
    this.#add(client);
    res.on('drain', () => {
      client.drained = true;
    });
    res.on('close', () => {
      this.#remove(client);
    });
    this.#write(client, `retry: ${this.#limits.retryMs}\n\n`);
    this.#render(new Map([[key, query]]), (texts) => {
      const text = texts.get(key);
      if (!this.#clients.has(client) || text === undefined) return;
      this.#frames++;
      this.#write(client, frame(text));
    });
    if (!this.#armed && !this.#rendering && this.#clients.size > 0) {
      this.#lastHeartbeat = this.#clock.now();
      this.#arm();
    }
  }

  #add(client: Client<Q>): void {
    this.#clients.add(client);
    this.#perAddress.set(client.address, (this.#perAddress.get(client.address) ?? 0) + 1);
  }

  /** Forgets a client (once); true when it was there. */
  #remove(client: Client<Q>): boolean {
    if (!this.#clients.delete(client)) return false;
    const left = (this.#perAddress.get(client.address) ?? 1) - 1;
    if (left > 0) this.#perAddress.set(client.address, left);
    else this.#perAddress.delete(client.address);
    if (this.#clients.size === 0) this.#stop();
    return true;
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
    this.#perAddress.clear();
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
    // Slow clients first: only the ones that will be written to need a frame.
    const queries = new Map<string, Q>();
    const ready: Client<Q>[] = [];
    for (const client of [...this.#clients]) {
      if (client.res.writableLength > this.#limits.maxBufferedBytes) {
        this.#drop(client);
        continue;
      }
      if (!client.drained) {
        this.#skippedFrames++;
        if (++client.skipped >= this.#limits.maxSkippedFrames) this.#drop(client);
        continue;
      }
      client.skipped = 0;
      ready.push(client);
      queries.set(client.key, client.query);
    }
    if (ready.length === 0) {
      if (this.#clients.size > 0) this.#arm();
      return;
    }
    this.#rendering = true;
    this.#render(queries, (texts) => {
      this.#rendering = false;
      if (this.#closed) return;
      const now = this.#clock.now();
      const heartbeat = now - this.#lastHeartbeat >= this.#limits.heartbeatMs;
      if (heartbeat) this.#lastHeartbeat = now;
      const frames = new Map<string, string>();
      for (const [key, text] of texts) frames.set(key, `${heartbeat ? ': heartbeat\n\n' : ''}${frame(text)}`);
      this.#frames += frames.size;
      for (const client of ready) {
        const data = frames.get(client.key);
        if (data === undefined || !this.#clients.has(client)) continue;
        this.#write(client, data);
      }
      if (this.#clients.size > 0 && !this.#armed) this.#arm();
    });
  };

  #drop(client: Client<Q>): void {
    if (!this.#remove(client)) return;
    this.#droppedClients++;
    client.res.destroy();
  }

  #write(client: Client<Q>, data: string): void {
    if (!client.res.write(data)) client.drained = false;
  }
}

/** One SSE message. JSON has no raw line breaks, so it fits on one `data:` line. */
function frame(json: string): string {
  return `event: snapshot\ndata: ${json}\n\n`;
}

// A minimal Server-Sent Events client over node:http for the dashboard tests.
import { type ClientRequest, type IncomingMessage, request } from 'node:http';
import type { DashboardSnapshot } from '../../src/dashboard/index.js';

export interface SseMessage {
  readonly event: string;
  readonly data: string;
  /** Comment lines (heartbeats) and `retry:` seen in the same block. */
  readonly comments: string[];
  readonly retry: number | undefined;
}

export class SseClient {
  readonly messages: SseMessage[] = [];
  readonly #snapshots: DashboardSnapshot[] = [];
  #scanned = 0;
  status = 0;
  headers: IncomingMessage['headers'] = {};
  #buffer = '';
  #waiters: { count: number; resolve: () => void }[] = [];
  #req: ClientRequest | undefined;
  #res: IncomingMessage | undefined;
  ended = false;

  /** Connects; resolves once the response headers arrive. */
  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    await client.#connect(url, headers);
    return client;
  }

  #connect(url: string, headers: Record<string, string>): Promise<void> {
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        this.#res = res;
        this.status = res.statusCode ?? 0;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => this.#feed(chunk));
        res.on('end', () => {
          this.ended = true;
          this.#wake();
        });
        res.on('error', () => {
          this.ended = true;
          this.#wake();
        });
        resolve();
      });
      req.on('error', (error) => {
        this.ended = true;
        this.#wake();
        reject(error);
      });
      req.end();
      this.#req = req;
    });
  }

  #feed(chunk: string): void {
    this.#buffer += chunk;
    let end = this.#buffer.indexOf('\n\n', Math.max(0, this.#scanned - 1));
    while (end >= 0) {
      const block = this.#buffer.slice(0, end);
      this.#buffer = this.#buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      const comments: string[] = [];
      let retry: number | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) comments.push(line.slice(1).trim());
        else if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
        else if (line.startsWith('retry: ')) retry = Number(line.slice(7));
      }
      const message = { event, data: data.join('\n'), comments, retry };
      this.messages.push(message);
      if (event === 'snapshot' && message.data !== '')
        this.#snapshots.push(JSON.parse(message.data) as DashboardSnapshot);
      end = this.#buffer.indexOf('\n\n');
    }
    this.#scanned = this.#buffer.length;
    this.#wake();
  }

  #wake(): void {
    for (const w of [...this.#waiters]) {
      if (this.#snapshots.length >= w.count || this.ended) {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  }

  /** Snapshot messages parsed as JSON. */
  snapshots(): DashboardSnapshot[] {
    return this.#snapshots.slice();
  }

  /** Resolves when `count` snapshots have arrived (or the stream ended). */
  async waitForSnapshots(count: number, timeoutMs = 5_000): Promise<DashboardSnapshot[]> {
    if (this.#snapshots.length < count && !this.ended) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`waited ${timeoutMs} ms for ${count} snapshots, got ${this.#snapshots.length}`));
        }, timeoutMs);
        this.#waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    }
    return this.snapshots();
  }

  /** Resolves when the server ends the stream. */
  async waitForEnd(timeoutMs = 5_000): Promise<void> {
    await this.waitForSnapshots(Number.MAX_SAFE_INTEGER, timeoutMs);
  }

  close(): void {
    this.#res?.destroy();
    this.#req?.destroy();
  }
}

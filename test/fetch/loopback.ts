import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A loopback HTTP server that counts what it really received. */
export interface Loopback {
  readonly origin: string;
  url(path?: string): string;
  /** Requests that reached the handler. */
  readonly received: number;
  /** Requests whose connection closed before a response was finished (the client gave up). */
  readonly abandoned: number;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

/** Starts a server on 127.0.0.1 on an ephemeral port. */
export async function loopback(handler: Handler): Promise<Loopback> {
  let received = 0;
  let abandoned = 0;
  const server = createServer((req, res) => {
    received++;
    res.on('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    handler(req, res, received);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    origin,
    url: (path = '/') => `${origin}${path}`,
    get received() {
      return received;
    },
    get abandoned() {
      return abandoned;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Tracks servers of a test so `afterEach` can close them all. */
export class Servers {
  readonly #open: Loopback[] = [];
  async start(handler: Handler): Promise<Loopback> {
    const server = await loopback(handler);
    this.#open.push(server);
    return server;
  }
  async closeAll(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((s) => s.close()));
  }
}

/**
 * The small surface the fleet needs from a Redis client, with adapters for ioredis (first) and
 * node-redis (`redis` v4/v5). Both libraries are optional peers: this module never imports them,
 * it recognises the client object it is given. The user's client is used as it is; only a
 * subscriber connection is made from it (`duplicate()`), and only that one is closed by us.
 */

import { processWarning } from '../core/warn.js';

/** A dedicated pub/sub connection. Subscriptions survive reconnects. */
export interface RedisSubscriber {
  /** Subscribes `channel`; `onMessage` gets each message's text. */
  subscribe(channel: string, onMessage: (message: string) => void): void;
  /** Drops the subscription of `channel`. */
  unsubscribe(channel: string): void;
  /** Called after every (re)connection, once the subscriptions are in place. */
  onReady(listener: () => void): void;
  /** Called with each error of the connection (optional: a custom subscriber may not report them). */
  onError?(listener: (error: unknown) => void): void;
  /** Closes the connection. */
  close(): Promise<void>;
}

/** What the fleet and the stream storage ask of a client. */
export interface RedisAdapter {
  /** Which library the client comes from (`custom` for a hand-written adapter). */
  readonly kind: 'ioredis' | 'node-redis' | 'custom';
  /** Runs a script with `EVALSHA`, re-sending it with `EVAL` on `NOSCRIPT`. */
  evalScript(script: string, sha: string, keys: readonly string[], args: readonly string[]): Promise<unknown>;
  /** Sends one command, e.g. `['PING']`. */
  command(args: readonly string[]): Promise<unknown>;
  /** A new subscriber connection made from the client. */
  subscriber(): RedisSubscriber;
  /**
   * Whether the client can run a command now (connected and ready). Optional; when it says
   * false, the fleet goes local-only at once instead of waiting for errors.
   */
  ready?(): boolean;
  /** Calls `listener` each time the client becomes ready; returns the function that removes it. Optional. */
  onReady?(listener: () => void): () => void;
}

type Fn = (...args: unknown[]) => unknown;
type AnyClient = Readonly<Record<string, unknown>>;

const noop = (): void => undefined;

function isNoScript(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith('NOSCRIPT');
}

/** Reports a fleet problem that must not change a call's outcome, as a `BreakwaterFleetWarning`. */
export function fleetWarning(message: string): void {
  processWarning(`breakwater/redis: ${message}`, 'BreakwaterFleetWarning');
}

const unwarned = new WeakSet<object>();

/**
 * One process warning per client object that has no `error` listener: node-redis throws an
 * `error` event nobody listens to (the process exits when Redis goes away), ioredis logs every
 * failed reconnection. The client is the user's, so no listener is added to it here.
 */
export function warnIfNoErrorListener(client: unknown): void {
  if (typeof client !== 'object' || client === null || unwarned.has(client)) return;
  const c = client as AnyClient;
  if (isAdapter(c) || typeof c.listenerCount !== 'function') return;
  if ((call(c, 'listenerCount', 'error') as number) > 0) return;
  unwarned.add(client);
  fleetWarning(
    "the Redis client has no 'error' listener: when Redis goes away, node-redis throws the error (the process exits) and ioredis logs every failed reconnection. Add client.on('error', ...) before Redis can fail; the fleet itself runs local-only while Redis is down",
  );
}

/** Listens for `event` on a client; returns the function that removes the listener. */
function listen(target: AnyClient, event: string, listener: Fn): () => void {
  call(target, 'on', event, listener);
  return () => {
    call(target, typeof target.off === 'function' ? 'off' : 'removeListener', event, listener);
  };
}

/** Forwards a connection's errors to the listeners registered with `onError`. */
function errorRelay(): {
  readonly listeners: ((error: unknown) => void)[];
  readonly emit: (error: unknown) => void;
} {
  const listeners: ((error: unknown) => void)[] = [];
  return {
    listeners,
    emit: (error) => {
      for (const listener of listeners) listener(error);
    },
  };
}

/** True for an object that already implements {@link RedisAdapter}. */
function isAdapter(value: AnyClient): boolean {
  return typeof value.evalScript === 'function' && typeof value.subscriber === 'function';
}

/**
 * Wraps `client` (an ioredis `Redis`, a node-redis client, or a ready {@link RedisAdapter}).
 * Throws a `TypeError` for anything else.
 */
export function toAdapter(client: unknown): RedisAdapter {
  if (typeof client !== 'object' || client === null) {
    throw new TypeError(
      `breakwater/redis: client must be an ioredis or node-redis client (got ${String(client)})`,
    );
  }
  const c = client as AnyClient;
  if (isAdapter(c)) return client as RedisAdapter;
  if (typeof c.evalsha === 'function' && typeof c.duplicate === 'function' && typeof c.status === 'string')
    return ioredisAdapter(c);
  if (typeof c.sendCommand === 'function' && typeof c.duplicate === 'function' && 'isOpen' in c)
    return nodeRedisAdapter(c);
  throw new TypeError(
    'breakwater/redis: client must be an ioredis or node-redis client (unrecognised object)',
  );
}

function call(target: AnyClient, method: string, ...args: unknown[]): unknown {
  return (target[method] as Fn).apply(target, args);
}

/** ioredis: `evalsha` / `eval` / `call`; the subscriber is `duplicate()`, subscribed on every `ready`. */
function ioredisAdapter(client: AnyClient): RedisAdapter {
  const options = (client.options ?? {}) as {
    enableOfflineQueue?: boolean;
    maxRetriesPerRequest?: number | null;
  };
  if (options.enableOfflineQueue !== false || options.maxRetriesPerRequest !== 0) {
    fleetWarning(
      'the ioredis client queues commands while disconnected; fleet calls still have deadlines, but create it with { enableOfflineQueue: false, maxRetriesPerRequest: 0 } so stale commands do not pile up',
    );
  }
  return {
    kind: 'ioredis',
    async evalScript(script, sha, keys, args) {
      try {
        return await call(client, 'evalsha', sha, keys.length, ...keys, ...args);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return await call(client, 'eval', script, keys.length, ...keys, ...args);
      }
    },
    command: ([name, ...rest]) => call(client, 'call', name, ...rest) as Promise<unknown>,
    ready: () => client.status === 'ready',
    onReady: (listener) => listen(client, 'ready', listener),
    subscriber() {
      // ioredis re-subscribes on its own after a reconnection, without handling the command's
      // rejection: a connection lost right after `ready` then ends in an unhandled rejection
      // ("Stream isn't writeable"). This connection re-subscribes itself, on every `ready`, below.
      const sub = call(client, 'duplicate', { autoResubscribe: false }) as AnyClient;
      const handlers = new Map<string, (message: string) => void>();
      const ready: (() => void)[] = [];
      const errors = errorRelay();
      // Our connection: always listened to (no uncaught error, no "Unhandled error event" log).
      call(sub, 'on', 'error', errors.emit);
      call(sub, 'on', 'message', (channel: string, message: string) => handlers.get(channel)?.(message));
      call(sub, 'on', 'ready', () => {
        const channels = [...handlers.keys()];
        const done =
          channels.length > 0 ? (call(sub, 'subscribe', ...channels) as Promise<unknown>) : Promise.resolve();
        done.then(() => {
          for (const listener of ready) listener();
        }, noop);
      });
      if (sub.status === 'wait') (call(sub, 'connect') as Promise<unknown>).catch(noop);
      return {
        subscribe(channel, onMessage) {
          handlers.set(channel, onMessage);
          if (sub.status === 'ready') (call(sub, 'subscribe', channel) as Promise<unknown>).catch(noop);
        },
        unsubscribe(channel) {
          handlers.delete(channel);
          if (sub.status === 'ready') (call(sub, 'unsubscribe', channel) as Promise<unknown>).catch(noop);
        },
        onReady: (listener) => ready.push(listener),
        onError: (listener) => errors.listeners.push(listener),
        close() {
          handlers.clear();
          call(sub, 'disconnect');
          return Promise.resolve();
        },
      };
    },
  };
}

/** node-redis v4/v5: `sendCommand`; the subscriber is `duplicate()` + `connect()`. */
function nodeRedisAdapter(client: AnyClient): RedisAdapter {
  const options = (client.options ?? {}) as { disableOfflineQueue?: boolean };
  if (options.disableOfflineQueue !== true) {
    fleetWarning(
      'the node-redis client queues commands while disconnected; fleet calls still have deadlines, but create it with { disableOfflineQueue: true } so stale commands do not pile up',
    );
  }
  const send = (args: readonly string[]): Promise<unknown> =>
    call(client, 'sendCommand', args) as Promise<unknown>;
  return {
    kind: 'node-redis',
    async evalScript(script, sha, keys, args) {
      const rest = [String(keys.length), ...keys, ...args];
      try {
        return await send(['EVALSHA', sha, ...rest]);
      } catch (error) {
        if (!isNoScript(error)) throw error;
        return send(['EVAL', script, ...rest]);
      }
    },
    command: send,
    ready: () => client.isReady === true,
    onReady: (listener) => listen(client, 'ready', listener),
    subscriber() {
      const sub = call(client, 'duplicate') as AnyClient;
      const ready: (() => void)[] = [];
      /** Each live channel's listener: the same function every time, so node-redis holds it once. */
      const handlers = new Map<string, (message: string) => void>();
      const errors = errorRelay();
      const subscribeTo = (channel: string, listener: (message: string) => void): Promise<unknown> =>
        new Promise((resolve) => {
          resolve(call(sub, 'subscribe', channel, listener));
        }).catch(noop);
      // Our connection: always listened to (an `error` event without a listener would throw).
      call(sub, 'on', 'error', errors.emit);
      call(sub, 'on', 'ready', () => {
        // node-redis re-subscribes, before `ready`, only the channels whose SUBSCRIBE succeeded: one
        // that failed with its connection (or was flushed while offline) is gone from the client.
        // Subscribe every live channel again (a no-op for those it holds), then report.
        void Promise.all([...handlers].map(([channel, listener]) => subscribeTo(channel, listener))).then(
          () => {
            for (const listener of ready) listener();
          },
        );
      });
      (call(sub, 'connect') as Promise<unknown>).catch(noop);
      return {
        subscribe(channel, onMessage) {
          const listener = (message: string): void => {
            onMessage(message);
          };
          handlers.set(channel, listener);
          void subscribeTo(channel, listener);
        },
        unsubscribe(channel) {
          handlers.delete(channel);
          (call(sub, 'unsubscribe', channel) as Promise<unknown>).catch(noop);
        },
        onReady: (listener) => ready.push(listener),
        onError: (listener) => errors.listeners.push(listener),
        async close() {
          handlers.clear();
          if (sub.isOpen === true && sub.isReady !== true) {
            // node-redis leaves the socket open when destroyed while a connection attempt is in
            // flight: wait for that attempt to end (ready, or failed with an error), then destroy.
            await new Promise<void>((resolve) => {
              const done = (): void => {
                call(sub, 'removeListener', 'ready', done);
                call(sub, 'removeListener', 'error', done);
                resolve();
              };
              call(sub, 'on', 'ready', done);
              call(sub, 'on', 'error', done);
            });
          }
          try {
            if (typeof sub.destroy === 'function') call(sub, 'destroy');
            else await (call(sub, 'disconnect') as Promise<unknown>);
          } catch {
            // already closed
          }
        },
      };
    },
  };
}

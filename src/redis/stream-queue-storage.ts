/**
 * `queueForLater` storage on a Redis Stream with one consumer group, so accepted requests
 * survive a process crash: an item is deleted only once it was replayed (or dead-lettered), and
 * an item a crashed process had taken is claimed again after `claimIdleMs`.
 *
 * - `append`: one script, `XLEN` against the limit then `XADD` (atomic across processes).
 * - `take`: `XAUTOCLAIM` (items idle too long in another consumer's hands; `XPENDING` says how
 *   often each was delivered, and each earlier delivery counts as an attempt), then `XREADGROUP >`.
 * - `ack`: `XACK` + `XDEL`. `requeue`: `XADD` the updated item, `XACK` + `XDEL` the old one.
 * - `deadLetter`: `XADD` to the dead-letter stream (`MAXLEN ~`), `XACK` + `XDEL`.
 * - An entry `take` cannot decode goes to the dead-letter stream as fields `raw` (its text as
 *   stored), `error` and `id`, then `XACK` + `XDEL`; the rest of the batch is handed out.
 * - `append` encodes first (`encodeForQueue`): what JSON cannot carry is refused before any I/O.
 * Each is one script, so it is atomic. On Redis Cluster, give `stream` a hash tag
 * (`{orders}:replay`) so that the dead-letter stream shares its slot.
 */
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { MAX_TIMER_MS, systemClock } from '../core/clock.js';
import { OptionChecker } from '../core/validate.js';
import {
  encodeForQueue,
  type DeadLetter,
  type QueuedItem,
  type QueueStorage,
  type UndecodableEntry,
} from '../index.js';
import { type RedisAdapter, toAdapter, warnIfNoErrorListener } from './adapter.js';
import { withDeadline } from './fleet-script.js';

/** Options of {@link redisStreamQueueStorage}. */
export interface RedisStreamQueueStorageOptions {
  /** Your ioredis or node-redis client, connected. Never closed by the storage. */
  readonly client: unknown;
  /** The stream's key. Required. */
  readonly stream: string;
  /** The consumer group. Default `'breakwater'`. */
  readonly group?: string;
  /** This process's consumer name in the group. Default: a random id. */
  readonly consumer?: string;
  /** The dead-letter stream's key. Default `<stream>:dead`. */
  readonly deadLetterStream?: string;
  /** Dead letters kept (approximately: `MAXLEN ~`). Default `1_000`. */
  readonly maxDeadLetters?: number;
  /** An item taken but not acknowledged for this long is handed out again (its taker is presumed dead). Default `60_000`. */
  readonly claimIdleMs?: number;
  /** Deadline of every storage call; a call that misses it rejects. Default `2_000`. */
  readonly deadlineMs?: number;
}

const APPEND = `if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
return redis.call('XADD', KEYS[1], '*', 'item', ARGV[2])`;
const ACK = `redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`;
const REQUEUE = `local id = redis.call('XADD', KEYS[1], '*', 'item', ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
return id`;
const DEAD = `redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'item', ARGV[3])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`;

// An entry that cannot be decoded: its raw text to the dead-letter stream, then gone from the queue.
const UNDECODABLE = `redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], '*', 'raw', ARGV[3], 'error', ARGV[5], 'id', ARGV[2])
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XDEL', KEYS[1], ARGV[2])`;

const sha = (script: string): string => createHash('sha1').update(script).digest('hex');
const SCRIPTS = { APPEND, ACK, REQUEUE, DEAD, UNDECODABLE } as const;
const SHAS = {
  APPEND: sha(APPEND),
  ACK: sha(ACK),
  REQUEUE: sha(REQUEUE),
  DEAD: sha(DEAD),
  UNDECODABLE: sha(UNDECODABLE),
} as const;

const asText = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : value instanceof Uint8Array
      ? new TextDecoder().decode(value)
      : String(value);

/** Stream entries `[id, [field, value, …]]` decoded: the items, and the entries that are not items. */
interface Decoded<T> {
  readonly items: T[];
  readonly undecodable: UndecodableEntry[];
}

/**
 * Decodes stream entries; entries deleted meanwhile (nil fields) are skipped. An entry whose
 * `item` field is missing, is not JSON, or is not an object with a `payload` is undecodable.
 */
function decode<T extends { readonly id: string }>(entries: unknown): Decoded<T> {
  const items: T[] = [];
  const undecodable: UndecodableEntry[] = [];
  if (!Array.isArray(entries)) return { items, undecodable };
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry)) continue;
    const [rawId, fields] = entry as [unknown, unknown];
    if (!Array.isArray(fields)) continue;
    const id = asText(rawId);
    const list = (fields as unknown[]).map(asText);
    const at = list.indexOf('item');
    const raw = at < 0 ? JSON.stringify(list) : (list[at + 1] ?? '');
    try {
      if (at < 0) throw new Error('the entry has no "item" field');
      const stored = JSON.parse(raw) as unknown;
      if (typeof stored !== 'object' || stored === null || !('payload' in stored))
        throw new Error('the entry is JSON but not a queued item (no "payload")');
      const item = stored as { receipt?: unknown; attempts?: unknown };
      items.push({
        ...item,
        attempts: typeof item.attempts === 'number' ? item.attempts : 0,
        receipt: typeof item.receipt === 'string' ? item.receipt : id,
        id,
      } as unknown as T);
    } catch (error) {
      undecodable.push({
        id,
        raw,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  }
  return { items, undecodable };
}

function encode<P>(item: QueuedItem<P> | Omit<QueuedItem<P>, 'id'>, stream: string): string {
  const copy: Record<string, unknown> = { ...item };
  delete copy.id;
  return encodeForQueue(copy, stream);
}

/**
 * A {@link QueueStorage} on a Redis Stream. Payloads must survive `JSON.stringify`.
 *
 * @example
 * const storage = redisStreamQueueStorage({ client: redis, stream: '{orders}:replay' });
 * const queue = queueForLater({ storage, replay: (order) => submit(order), breaker });
 */
export function redisStreamQueueStorage<P>(options: RedisStreamQueueStorageOptions): QueueStorage<P> {
  const check = new OptionChecker('redisStreamQueueStorage');
  if (typeof options !== 'object' || (options as unknown) === null) {
    check.fail('options', options, 'an object', 'type');
    check.throwIfAny();
  }
  check.knownKeys(options, [
    'client',
    'stream',
    'group',
    'consumer',
    'deadLetterStream',
    'maxDeadLetters',
    'claimIdleMs',
    'deadlineMs',
  ]);
  const text = (name: string, value: unknown) => {
    if (value !== undefined && (typeof value !== 'string' || value.length === 0))
      check.fail(name, value, 'a non-empty string', 'type');
  };
  if ((options.stream as unknown) === undefined)
    check.fail('stream', undefined, 'a non-empty string', 'type');
  text('stream', options.stream);
  text('group', options.group);
  text('consumer', options.consumer);
  text('deadLetterStream', options.deadLetterStream);
  const maxDead = options.maxDeadLetters ?? 1_000;
  const claimIdleMs = options.claimIdleMs ?? 60_000;
  const deadlineMs = options.deadlineMs ?? 2_000;
  check.number('maxDeadLetters', maxDead, { integer: true, min: 1 });
  check.number('claimIdleMs', claimIdleMs, { integer: true, min: 0 });
  check.number('deadlineMs', deadlineMs, { min: 0, minExclusive: true, max: MAX_TIMER_MS });
  check.throwIfAny();
  const adapter: RedisAdapter = toAdapter(options.client);
  warnIfNoErrorListener(options.client);
  const stream = options.stream;
  const dead = options.deadLetterStream ?? `${stream}:dead`;
  const group = options.group ?? 'breakwater';
  const consumer = options.consumer ?? randomUUID();

  const timed = <T>(p: Promise<T>, what: string): Promise<T> =>
    withDeadline(p, deadlineMs, systemClock, `stream storage ${what}`);
  const run = (name: keyof typeof SCRIPTS, keys: string[], args: (string | number)[]) =>
    timed(adapter.evalScript(SCRIPTS[name], SHAS[name], keys, args.map(String)), name.toLowerCase());

  let groupReady: Promise<void> | undefined;
  const ensureGroup = (): Promise<void> =>
    (groupReady ??= timed(
      adapter.command(['XGROUP', 'CREATE', stream, group, '0', 'MKSTREAM']).then(
        () => undefined,
        (error: unknown) => {
          if (!String(error instanceof Error ? error.message : error).startsWith('BUSYGROUP')) throw error;
        },
      ),
      'group',
    ).catch((error: unknown) => {
      groupReady = undefined; // try again next time
      throw error;
    }));

  /** The decodable items of `entries`; each undecodable one is dead-lettered, then reported. */
  const settle = async (
    entries: unknown,
    onUndecodable: ((entry: UndecodableEntry) => void) | undefined,
  ): Promise<QueuedItem<P>[]> => {
    const { items, undecodable } = decode<QueuedItem<P>>(entries);
    for (const entry of undecodable) {
      await run('UNDECODABLE', [stream, dead], [group, entry.id, entry.raw, maxDead, entry.error]);
      onUndecodable?.(entry);
    }
    return items;
  };

  /**
   * A claimed entry was delivered before and never settled (its consumer died mid-replay, or
   * outlived `claimIdleMs`): each such delivery counts as an attempt, so a request that kills its
   * consumer every time is dead-lettered after `maxAttempts` instead of looping for ever.
   */
  const countDeliveries = async (claimed: QueuedItem<P>[]): Promise<QueuedItem<P>[]> => {
    const first = claimed[0];
    const last = claimed.at(-1);
    if (first === undefined || last === undefined) return claimed;
    const pending = await timed(
      adapter.command(['XPENDING', stream, group, first.id, last.id, String(claimed.length), consumer]),
      'pending',
    );
    const deliveries = new Map<string, number>();
    if (Array.isArray(pending))
      for (const row of pending as unknown[])
        if (Array.isArray(row)) deliveries.set(asText(row[0]), Number(row[3]));
    return claimed.map((item) => {
      const extra = (deliveries.get(item.id) ?? 1) - 1;
      return extra > 0 ? { ...item, attempts: item.attempts + extra } : item;
    });
  };

  return {
    async append(item, limit) {
      const encoded = encode(item, stream); // throws QueueEncodeError before anything is sent
      const id = await run('APPEND', [stream], [limit, encoded]);
      return typeof id === 'string' || id instanceof Uint8Array ? asText(id) : undefined;
    },
    async take(max, onUndecodable) {
      await ensureGroup();
      const claimed = await countDeliveries(
        await settle(
          (
            (await timed(
              adapter.command([
                'XAUTOCLAIM',
                stream,
                group,
                consumer,
                String(claimIdleMs),
                '0-0',
                'COUNT',
                String(max),
              ]),
              'claim',
            )) as unknown[] | null
          )?.[1],
          onUndecodable,
        ),
      );
      if (claimed.length >= max) return claimed;
      const read: unknown = await timed(
        adapter.command([
          'XREADGROUP',
          'GROUP',
          group,
          consumer,
          'COUNT',
          String(max - claimed.length),
          'STREAMS',
          stream,
          '>',
        ]),
        'read',
      );
      // Reply: [[stream, entries]] (RESP2) — null when nothing is new.
      const streams = Array.isArray(read) ? (read as unknown[]) : [];
      const first = streams[0];
      const fresh = await settle(Array.isArray(first) ? (first as unknown[])[1] : undefined, onUndecodable);
      return [...claimed, ...fresh];
    },
    async ack(id) {
      await run('ACK', [stream], [group, id]);
    },
    async requeue(item) {
      await run('REQUEUE', [stream], [group, item.id, encode(item, stream)]);
    },
    async deadLetter(item: DeadLetter<P>) {
      await run('DEAD', [stream, dead], [group, item.id, encode(item, stream), maxDead]);
    },
    async deadLetters() {
      const entries = await timed(adapter.command(['XRANGE', dead, '-', '+']), 'dead letters');
      return decode<DeadLetter<P>>(entries).items; // raw (undecodable) entries are read with XRANGE
    },
    async size() {
      return Number(await timed(adapter.command(['XLEN', stream]), 'size'));
    },
  };
}

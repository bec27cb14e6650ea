/**
 * `queueForLater` storage on a Redis Stream with one consumer group, so accepted requests
 * survive a process crash: an item is deleted only once it was replayed (or dead-lettered), and
 * an item a crashed process had taken is claimed again after `claimIdleMs`.
 *
 * - `append`: one script, `XLEN` against the limit then `XADD` (atomic across processes).
 * - `take`: `XAUTOCLAIM` (items idle too long in another consumer's hands), then `XREADGROUP >`.
 * - `ack`: `XACK` + `XDEL`. `requeue`: `XADD` the updated item, `XACK` + `XDEL` the old one.
 * - `deadLetter`: `XADD` to the dead-letter stream (`MAXLEN ~`), `XACK` + `XDEL`.
 * Each is one script, so it is atomic. On Redis Cluster, give `stream` a hash tag
 * (`{orders}:replay`) so that the dead-letter stream shares its slot.
 */
import { randomUUID } from 'node:crypto';
import { createHash } from 'node:crypto';
import { systemClock } from '../core/clock.js';
import { OptionChecker } from '../core/validate.js';
import type { DeadLetter, QueuedItem, QueueStorage } from '../policies/queue-storage.js';
import { type RedisAdapter, toAdapter } from './adapter.js';
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

const sha = (script: string): string => createHash('sha1').update(script).digest('hex');
const SCRIPTS = { APPEND, ACK, REQUEUE, DEAD } as const;
const SHAS = { APPEND: sha(APPEND), ACK: sha(ACK), REQUEUE: sha(REQUEUE), DEAD: sha(DEAD) } as const;

/** Decodes stream entries `[id, [field, value, …]]`; entries deleted meanwhile (nil fields) are skipped. */
function decode<T extends { readonly id: string }>(entries: unknown): T[] {
  const out: T[] = [];
  if (!Array.isArray(entries)) return out;
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry)) continue;
    const [id, fields] = entry as [unknown, unknown];
    if (!Array.isArray(fields)) continue;
    const at = (fields as unknown[]).indexOf('item');
    if (at < 0) continue;
    const stored = JSON.parse(String(fields[at + 1])) as object;
    out.push({ ...stored, id: String(id) } as T);
  }
  return out;
}

function encode<P>(item: QueuedItem<P> | Omit<QueuedItem<P>, 'id'>): string {
  const copy: Record<string, unknown> = { ...item };
  delete copy.id;
  return JSON.stringify(copy);
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
  check.number('deadlineMs', deadlineMs, { min: 0, minExclusive: true, max: 2_147_483_647 });
  check.throwIfAny();
  const adapter: RedisAdapter = toAdapter(options.client);
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

  return {
    async append(item, limit) {
      const id = await run('APPEND', [stream], [limit, encode(item)]);
      return typeof id === 'string'
        ? id
        : id instanceof Uint8Array
          ? new TextDecoder().decode(id)
          : undefined;
    },
    async take(max) {
      await ensureGroup();
      const claimed = decode<QueuedItem<P>>(
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
      const fresh = Array.isArray(first) ? decode<QueuedItem<P>>((first as unknown[])[1]) : [];
      return [...claimed, ...fresh];
    },
    async ack(id) {
      await run('ACK', [stream], [group, id]);
    },
    async requeue(item) {
      await run('REQUEUE', [stream], [group, item.id, encode(item)]);
    },
    async deadLetter(item: DeadLetter<P>) {
      await run('DEAD', [stream, dead], [group, item.id, encode(item), maxDead]);
    },
    async deadLetters() {
      const entries = await timed(adapter.command(['XRANGE', dead, '-', '+']), 'dead letters');
      return decode<DeadLetter<P>>(entries);
    },
    async size() {
      return Number(await timed(adapter.command(['XLEN', stream]), 'size'));
    },
  };
}

/**
 * Where `queueForLater` keeps requests until they are replayed. The interface is small and
 * asynchronous so it maps onto a durable store; the in-memory default serves one process.
 *
 * How it maps onto Redis Streams (one stream per queue, one consumer group):
 * - `append` → a Lua script: `XLEN` + pending count against `limit`, then `XADD` (atomic, so the
 *   bound holds across processes); the stream id is the item id.
 * - `take` → `XREADGROUP ... COUNT n STREAMS key >` (items enter the group's pending list, leased
 *   to this consumer), plus `XAUTOCLAIM` for items a crashed consumer left pending too long.
 * - `ack` → `XACK` + `XDEL`. `requeue` → `XADD` the updated item, then `XACK` + `XDEL` the old one.
 * - `deadLetter` → `XADD` to a dead-letter stream (capped with `MAXLEN`), then `XACK` + `XDEL`.
 * - `size` → `XLEN` (acknowledged items are deleted, so this counts queued + leased).
 *
 * What a storage owes the queue (so that queued work survives everything but the store's loss):
 * - **Refuse at the door** what it cannot encode: `append` throws `QueueEncodeError` (see
 *   `encodeForQueue`) before anything is stored, so the caller learns at once.
 * - **Dead-letter what it cannot decode**: `take` moves such an entry aside with its raw text,
 *   reports it to `onUndecodable`, and hands out the rest; one bad entry never blocks the queue.
 * - **Keep the receipt**: the item's `receipt` is chosen before the append and stored with it, so
 *   an append whose reply was lost can still be recognised when it is replayed.
 */

/** A request waiting to be replayed. */
export interface QueuedItem<P> {
  /** Assigned by the storage on append; unique within the queue. */
  readonly id: string;
  /** The request, as given to `queueForLater` (keep it serialisable for durable storage). */
  readonly payload: P;
  /** Failed replays so far. */
  readonly attempts: number;
  /** When it was accepted, in the queue's clock (ms). */
  readonly enqueuedAt: number;
  /** The message of the last failure, if any (a string, so it survives serialisation). */
  readonly lastError?: string;
  /**
   * The receipt id the caller was given, chosen before the append (a random UUID unless the
   * caller passed one) and kept across requeues, so a consumer can be idempotent. Items stored
   * without one (by an older version) use their first `id`.
   */
  readonly receipt?: string;
}

/** An entry a storage could not decode, moved to its dead-letter list with its raw text. */
export interface UndecodableEntry {
  /** The entry's id in the storage. */
  readonly id: string;
  /** The stored text, as it was. */
  readonly raw: string;
  /** Why it could not be decoded. */
  readonly error: string;
}

/** A request that failed `maxAttempts` replays and was moved aside. */
export interface DeadLetter<P> extends QueuedItem<P> {
  /** When it was moved aside, in the queue's clock (ms). */
  readonly deadAt: number;
}

/** Pluggable storage for `queueForLater`. Every method may be async. */
export interface QueueStorage<P> {
  /**
   * Adds an item at the tail unless the queue (queued + taken, not yet acknowledged) already holds
   * `limit` items. Returns the new item's id, or `undefined` when full. Must be atomic with the
   * size check so the bound holds under concurrency. Throws `QueueEncodeError` for an item it
   * cannot encode (nothing stored); `queueForLater` takes any other rejection as "may or may not
   * be stored" (`QueueAppendUnknownError`), since a lost reply cannot tell.
   */
  append(item: Omit<QueuedItem<P>, 'id'>, limit: number): Promise<string | undefined>;
  /**
   * Leases up to `max` items from the head, in FIFO order. A taken item stays counted by `size`
   * and is not handed out again until it is acknowledged, requeued or dead-lettered. An entry
   * that cannot be decoded is moved to the dead-letter list with its raw text, passed to
   * `onUndecodable`, and not returned (it counts towards `max`).
   */
  take(max: number, onUndecodable?: (entry: UndecodableEntry) => void): Promise<readonly QueuedItem<P>[]>;
  /** Removes a taken item for good (it was replayed). */
  ack(id: string): Promise<void>;
  /** Puts a taken item back at the tail with its updated attempt count and last error. */
  requeue(item: QueuedItem<P>): Promise<void>;
  /** Moves a taken item to the dead-letter list. */
  deadLetter(item: DeadLetter<P>): Promise<void>;
  /** The dead-letter list, oldest first. */
  deadLetters(): Promise<readonly DeadLetter<P>[]>;
  /** Items queued or taken (not acknowledged, not dead-lettered). */
  size(): Promise<number>;
}

/** Options of {@link MemoryQueueStorage}. */
export interface MemoryQueueStorageOptions {
  /**
   * Dead letters kept at most; beyond it the oldest dead letter is forgotten (it was already
   * handed to `onDeadLetter`). Default `1_000`.
   */
  readonly maxDeadLetters?: number;
}

/**
 * The in-memory default: FIFO, bounded by the queue's `maxQueued`, lost when the process exits.
 * It keeps payloads as they are (no serialisation), so it accepts anything, `bigint` included,
 * and never has an undecodable entry; a durable storage refuses what it cannot encode.
 */
export class MemoryQueueStorage<P> implements QueueStorage<P> {
  // Insertion-ordered maps: the queue's head is the first key; requeue deletes and re-adds.
  readonly #queued = new Map<string, QueuedItem<P>>();
  readonly #taken = new Map<string, QueuedItem<P>>();
  readonly #dead: DeadLetter<P>[] = [];
  readonly #maxDeadLetters: number;
  #nextId = 1;

  constructor(options: MemoryQueueStorageOptions = {}) {
    const max = options.maxDeadLetters ?? 1_000;
    if (!Number.isInteger(max) || max < 0)
      throw new RangeError(
        `invalid MemoryQueueStorage options: maxDeadLetters must be an integer >= 0 (got ${String(max)})`,
      );
    this.#maxDeadLetters = max;
  }

  append(item: Omit<QueuedItem<P>, 'id'>, limit: number): Promise<string | undefined> {
    if (this.#queued.size + this.#taken.size >= limit) return Promise.resolve(undefined);
    const id = String(this.#nextId++);
    this.#queued.set(id, { ...item, id });
    return Promise.resolve(id);
  }

  take(max: number): Promise<readonly QueuedItem<P>[]> {
    const out: QueuedItem<P>[] = [];
    for (const [id, item] of this.#queued) {
      if (out.length >= max) break;
      this.#queued.delete(id);
      this.#taken.set(id, item);
      out.push(item);
    }
    return Promise.resolve(out);
  }

  ack(id: string): Promise<void> {
    this.#taken.delete(id);
    return Promise.resolve();
  }

  requeue(item: QueuedItem<P>): Promise<void> {
    if (this.#taken.delete(item.id)) this.#queued.set(item.id, item);
    return Promise.resolve();
  }

  deadLetter(item: DeadLetter<P>): Promise<void> {
    if (this.#taken.delete(item.id)) {
      this.#dead.push(item);
      if (this.#dead.length > this.#maxDeadLetters) this.#dead.shift();
    }
    return Promise.resolve();
  }

  deadLetters(): Promise<readonly DeadLetter<P>[]> {
    return Promise.resolve([...this.#dead]);
  }

  size(): Promise<number> {
    return Promise.resolve(this.#queued.size + this.#taken.size);
  }
}

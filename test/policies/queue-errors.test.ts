import { describe, expect, it } from 'vitest';
import {
  encodeForQueue,
  isQueueAppendUnknownError,
  isQueueEncodeError,
  isQueueFullError,
  QueueAppendUnknownError,
  QueueEncodeError,
  QueueFullError,
} from '../../src/policies/index.js';

/** The error `encodeForQueue` throws for `value`, or a failure when it encodes it. */
function refusal(value: unknown, root?: string): QueueEncodeError {
  try {
    encodeForQueue(value, 'orders', root);
  } catch (error) {
    expect(isQueueEncodeError(error)).toBe(true);
    return error as QueueEncodeError;
  }
  throw new Error(`encoded ${String(value)}`);
}

const message = (path: string, what: string): string =>
  `queue "orders" cannot store the request: ${path} is ${what}, which JSON cannot carry; the request was not queued`;

describe('encodeForQueue', () => {
  it('encodeForQueue — encodes what JSON carries as JSON.stringify does (toJSON included)', () => {
    const value = { a: [1, 'two', null, true, { b: -0.5 }], when: new Date(0), gone: undefined, empty: {} };
    expect(encodeForQueue(value, 'orders')).toBe(JSON.stringify(value));
    expect(encodeForQueue('text', 'orders', 'payload')).toBe('"text"');
    expect(encodeForQueue(null, 'orders')).toBe('null');
    const bare = Object.create(null) as Record<string, unknown>;
    bare.x = 1;
    expect(encodeForQueue(bare, 'orders')).toBe('{"x":1}');
  });

  it('encodeForQueue — names the path of a bigint, function, symbol or non-finite number', () => {
    const cases: [unknown, string | undefined, string, string][] = [
      [10n, undefined, 'the value', 'a bigint'],
      [10n, 'payload', 'payload', 'a bigint'],
      [{ order: { total: 10n } }, undefined, 'order.total', 'a bigint'],
      [{ order: { total: 10n } }, 'payload', 'payload.order.total', 'a bigint'],
      [[1, [2, 3n]], 'payload', 'payload[1][1]', 'a bigint'],
      [[1, 2n], undefined, '[1]', 'a bigint'],
      [{ lines: [{ sku: 'a' }, { sku: 'b', qty: 3n }] }, 'payload', 'payload.lines[1].qty', 'a bigint'],
      [{ send: () => 1 }, 'payload', 'payload.send', 'a function'],
      [() => 1, undefined, 'the value', 'a function'],
      [{ tag: Symbol('t') }, undefined, 'tag', 'a symbol'],
      [{ x: NaN }, undefined, 'x', 'NaN'],
      [{ x: Infinity }, 'payload', 'payload.x', 'Infinity'],
      [[-Infinity], undefined, '[0]', '-Infinity'],
    ];
    for (const [value, root, path, what] of cases) {
      const error = refusal(value, root);
      expect(error).toBeInstanceOf(QueueEncodeError);
      expect({ path: error.path, what: error.what }).toEqual({ path, what });
      expect(error.message).toBe(message(path, what));
      expect(error).toMatchObject({ code: 'ERR_QUEUE_ENCODE', policy: 'orders', name: 'QueueEncodeError' });
      expect(error.cause).toBeUndefined();
    }
  });

  it('encodeForQueue — refuses a Map, Set, Promise, buffer or typed array (JSON would make them {})', () => {
    const cases: [unknown, string, string][] = [
      [new Map([[1, 2]]), 'the value', 'a Map'],
      [{ s: new Set([1]) }, 's', 'a Set'],
      [{ w: new WeakMap() }, 'w', 'a WeakMap'],
      [{ w: new WeakSet() }, 'w', 'a WeakSet'],
      [{ p: Promise.resolve(1) }, 'p', 'a Promise'],
      [{ b: new ArrayBuffer(2) }, 'b', 'a ArrayBuffer'],
      [{ b: new SharedArrayBuffer(2) }, 'b', 'a SharedArrayBuffer'],
      [{ u: new Uint8Array(2) }, 'u', 'a Uint8Array'],
      [[new DataView(new ArrayBuffer(2))], '[0]', 'a DataView'],
    ];
    for (const [value, path, what] of cases) {
      const error = refusal(value);
      expect({ path: error.path, what: error.what }).toEqual({ path, what });
    }
  });

  it('encodeForQueue — a cycle is refused naming where it closes and where it goes back to', () => {
    const self: Record<string, unknown> = {};
    self.self = self;
    expect(refusal(self, 'payload')).toMatchObject({
      path: 'payload.self',
      what: 'a cycle (back to payload)',
    });
    expect(refusal(self)).toMatchObject({ path: 'self', what: 'a cycle (back to the value)' });
    const list: unknown[] = [];
    list.push(list);
    expect(refusal(list, 'payload')).toMatchObject({ path: 'payload[0]', what: 'a cycle (back to payload)' });
    const deep = { a: { b: {} as Record<string, unknown> } };
    deep.a.b.c = deep.a;
    expect(refusal(deep)).toMatchObject({ path: 'a.b.c', what: 'a cycle (back to a)' });
    const inList = { items: [{} as Record<string, unknown>] };
    inList.items[0]!.up = inList.items;
    expect(refusal(inList, 'payload')).toMatchObject({
      path: 'payload.items[0].up',
      what: 'a cycle (back to payload.items)',
    });
  });

  it('encodeForQueue — the same object twice, not inside itself, is not a cycle', () => {
    const shared = { n: 1 };
    const value = { a: shared, b: [shared, { c: shared }], d: shared };
    expect(encodeForQueue(value, 'orders', 'payload')).toBe(JSON.stringify(value));
    // A key that looks like a path below another key names a sibling, not a descendant.
    const dotted = { a: shared, 'a.b': shared, 'a[0]': shared, list: [shared], 'list[0]': [shared] };
    expect(encodeForQueue(dotted, 'orders')).toBe(JSON.stringify(dotted));
  });

  it('encodeForQueue — a value that throws while encoded is refused as not encodable, with the cause', () => {
    const boom = new Error('boom');
    const value = {
      get x(): number {
        throw boom;
      },
    };
    const error = refusal(value, 'payload');
    expect(error).toMatchObject({ path: 'payload', what: 'not encodable', cause: boom });
    expect(error.message).toBe(message('payload', 'not encodable'));
    expect(refusal({ toJSON: () => 1n })).toMatchObject({ path: 'the value', what: 'a bigint' });
    expect(
      refusal({
        toJSON: () => {
          throw boom;
        },
      }),
    ).toMatchObject({ path: 'the value', cause: boom });
  });

  it('encodeForQueue — undefined (or what JSON turns into nothing) is refused', () => {
    expect(refusal(undefined)).toMatchObject({ path: 'the value', what: 'undefined' });
    expect(refusal(undefined, 'payload')).toMatchObject({ path: 'payload', what: 'undefined' });
    expect(refusal({ toJSON: () => undefined }, 'payload').message).toBe(message('payload', 'undefined'));
  });
});

describe('queue errors', () => {
  it('QueueFullError — names the queue and its bound, carries the cause', () => {
    const cause = new Error('down');
    const error = new QueueFullError('mail', 25, cause);
    expect(error.message).toBe('queue "mail" is full (25 requests waiting); the request was not queued');
    expect(error).toMatchObject({ code: 'ERR_QUEUE_FULL', policy: 'mail', maxQueued: 25, cause });
    expect(isQueueFullError(error)).toBe(true);
    expect(isQueueFullError(new QueueEncodeError('mail', 'p', 'a bigint'))).toBe(false);
    expect(isQueueFullError(new Error('queue full'))).toBe(false);
  });

  it('QueueAppendUnknownError — names the queue and the receipt, and says what the storage said', () => {
    const reason = new Error('down');
    const error = new QueueAppendUnknownError('mail', 'r-1', reason, new Error('socket closed'));
    expect(error.message).toBe(
      'queue "mail": the request may or may not have been queued (receipt r-1): ' +
        'the storage failed mid-append: socket closed',
    );
    expect(error).toMatchObject({ code: 'ERR_QUEUE_APPEND_UNKNOWN', policy: 'mail', receipt: 'r-1', reason });
    expect(error.cause).toMatchObject({ message: 'socket closed' });
    expect(new QueueAppendUnknownError('mail', 'r-2', reason, 'timeout').message).toMatch(
      /failed mid-append: timeout$/,
    );
    expect(isQueueAppendUnknownError(error)).toBe(true);
    expect(isQueueAppendUnknownError(new QueueFullError('mail', 1, reason))).toBe(false);
    expect(isQueueEncodeError(error)).toBe(false);
  });

  it('guards — only a breakwater error with the code: not a look-alike, not null', () => {
    const guards: [(value: unknown) => boolean, string][] = [
      [isQueueFullError, 'ERR_QUEUE_FULL'],
      [isQueueAppendUnknownError, 'ERR_QUEUE_APPEND_UNKNOWN'],
      [isQueueEncodeError, 'ERR_QUEUE_ENCODE'],
    ];
    for (const [guard, code] of guards) {
      expect(guard(Object.assign(new Error('look-alike'), { code }))).toBe(false);
      expect(guard({ code })).toBe(false);
      expect(guard(null)).toBe(false);
      expect(guard(undefined)).toBe(false);
    }
  });
});

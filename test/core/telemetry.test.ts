// The telemetry stream on its own: subscriptions, delivery, option checks, sources and the
// in-place policy counters, without a breaker or an exporter in between.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Telemetry, type TelemetryEvent, type TelemetrySource } from '../../src/core/telemetry.js';

const fallback: TelemetryEvent = { type: 'fallback', policy: 'p', kind: 'fallback' };
const call: TelemetryEvent = {
  type: 'call',
  policy: 'p',
  kind: 'breaker',
  outcome: 'success',
  durationMs: 1,
  slow: false,
};
const cache: TelemetryEvent = { type: 'cache', policy: 'c', kind: 'staleCache', result: 'stale' };

function source(name: string, kind = 'retry'): TelemetrySource {
  return { name, kind, snapshot: () => ({}) };
}

/** The error `fn` throws (fails the test when it throws nothing). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Telemetry subscribe — checks its arguments', () => {
  const noop = (): void => undefined;

  it('refuses a listener that is not a function, naming its type', () => {
    const error = thrown(() => new Telemetry().subscribe(42 as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe('Telemetry.subscribe: listener must be a function (got number)');
  });

  it('refuses options that are not an object: null and a number are named apart', () => {
    const telemetry = new Telemetry();
    const ofNull = thrown(() => telemetry.subscribe(noop, null as never));
    expect(ofNull).toBeInstanceOf(TypeError);
    expect(ofNull.message).toBe('Telemetry.subscribe: options must be an object (got null)');
    const ofNumber = thrown(() => telemetry.subscribe(noop, 5 as never));
    expect(ofNumber).toBeInstanceOf(TypeError);
    expect(ofNumber.message).toBe('Telemetry.subscribe: options must be an object (got number)');
    expect(telemetry.active).toBe(false);
  });

  it.each([
    ['an empty array', [], '[]'],
    ['a string', 'abc', '"abc"'],
    ['a zero boundary', [0], '[0]'],
    ['a negative boundary', [-1], '[-1]'],
    ['an infinite boundary', [Infinity], '[null]'],
    ['a NaN boundary', [NaN], '[null]'],
    ['a numeric string', ['1'], '["1"]'],
    ['a repeated boundary', [0.5, 0.5], '[0.5,0.5]'],
    ['a decreasing pair', [2, 1], '[2,1]'],
    ['a bad boundary after good ones', [0.1, 0.2, -3], '[0.1,0.2,-3]'],
    ['an array with a hole', Object.assign(new Array<number>(3), { 0: 0.3, 2: 0.7 }), '[0.3,null,0.7]'],
  ])('refuses buckets that are %s, quoting them', (_, buckets, quoted) => {
    const telemetry = new Telemetry();
    const error = thrown(() => telemetry.subscribe(noop, { aggregates: true, buckets: buckets as never }));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(
      `Telemetry.subscribe: options.buckets must be a non-empty array of increasing finite numbers > 0 (seconds); got ${quoted}`,
    );
    expect(telemetry.aggregating).toBe(false);
  });

  it('accepts increasing positive buckets, down to the smallest, and adds them to the layout', () => {
    const telemetry = new Telemetry();
    telemetry.subscribe(noop, { aggregates: true, buckets: [Number.MIN_VALUE, 0.003, 7] });
    expect(telemetry.aggregating).toBe(true);
    expect(telemetry.aggregateLayout.boundsSeconds).toEqual(
      expect.arrayContaining([Number.MIN_VALUE, 0.003, 7]),
    );
    telemetry.subscribe(noop, { aggregates: true, buckets: [42] });
    expect(telemetry.aggregateLayout.boundsSeconds).toContain(42);
  });
});

describe('Telemetry subscribe — dispose', () => {
  it('disposing one listener leaves the others subscribed', () => {
    const telemetry = new Telemetry();
    const a: TelemetryEvent[] = [];
    const b: TelemetryEvent[] = [];
    const subA = telemetry.subscribe((e) => a.push(e));
    telemetry.subscribe((e) => b.push(e));
    subA.dispose();
    telemetry.emit(fallback);
    telemetry.emit(call);
    expect(a).toEqual([]);
    expect(b).toEqual([fallback, call]);
    expect(telemetry.active).toBe(true);
    expect(telemetry.callsActive).toBe(true);
  });

  it('a second dispose does nothing, even when the same function is subscribed twice', () => {
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    const listener = (e: TelemetryEvent): void => void seen.push(e);
    const first = telemetry.subscribe(listener);
    telemetry.subscribe(listener);
    first.dispose();
    first[Symbol.dispose]();
    telemetry.emit(call);
    expect(seen).toEqual([call]);
    expect(telemetry.callsActive).toBe(true);
  });

  it('a second dispose of an aggregate reader leaves the other readers counted', () => {
    const telemetry = new Telemetry();
    const noop = (): void => undefined;
    const first = telemetry.subscribe(noop, { aggregates: true });
    const second = telemetry.subscribe(noop, { aggregates: true });
    first.dispose();
    first.dispose();
    expect(telemetry.aggregating).toBe(true);
    expect(telemetry.active).toBe(true);
    second.dispose();
    expect(telemetry.aggregating).toBe(false);
    expect(telemetry.active).toBe(false);
  });
});

describe('Telemetry emit', () => {
  it('an aggregate reader gets every event but calls and cache answers; an event listener gets all', () => {
    const telemetry = new Telemetry();
    const reader: TelemetryEvent[] = [];
    const listener: TelemetryEvent[] = [];
    telemetry.subscribe((e) => reader.push(e), { aggregates: true });
    telemetry.subscribe((e) => listener.push(e));
    for (const event of [call, cache, fallback]) telemetry.emit(event);
    expect(reader).toEqual([fallback]);
    expect(listener).toEqual([call, cache, fallback]);
  });

  it('a subscriber that throws is reported as a process warning, and the next one still gets the event', () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const telemetry = new Telemetry();
    const seen: TelemetryEvent[] = [];
    telemetry.subscribe(() => {
      throw 'boom'; // any value can be thrown
    });
    telemetry.subscribe((e) => seen.push(e));
    expect(() => telemetry.emit(fallback)).not.toThrow();
    expect(seen).toEqual([fallback]);
    expect(emitWarning.mock.calls).toEqual([
      [
        'breakwater: a telemetry subscriber threw: boom',
        { type: 'BreakwaterListenerWarning', code: 'BREAKWATER_LISTENER' },
      ],
    ]);
  });
});

describe('Telemetry register', () => {
  it('refuses a second live source of a name, naming both kinds', () => {
    const telemetry = new Telemetry();
    telemetry.register(source('payments', 'breaker'));
    const error = thrown(() => telemetry.register(source('payments', 'retry')));
    expect(error.message).toBe(
      'Telemetry: a breaker named "payments" already reports into this stream; names are identities ' +
        'on a stream (give each retry its own name, or unregister the old one)',
    );
  });
});

describe('Telemetry sources', () => {
  // Lets the test run the garbage collector (a flag of this process; the function comes from a new context).
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;

  /** Registers a source that nothing else holds; the returned reference tells when it was collected. */
  function registerDropped(telemetry: Telemetry, name: string): WeakRef<TelemetrySource> {
    const dropped = source(name);
    telemetry.register(dropped);
    return new WeakRef(dropped);
  }

  it('a collected source is forgotten, and its name is free again', async () => {
    const telemetry = new Telemetry();
    const kept = source('kept');
    telemetry.register(kept);
    const probe = registerDropped(telemetry, 'dropped');
    // A WeakRef's target lives at least until the current job ends: collect from a later task.
    for (let i = 0; i < 50 && probe.deref() !== undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
    }
    expect(probe.deref()).toBeUndefined();
    expect(telemetry.sources()).toEqual([kept]);
    const again = source('dropped');
    telemetry.register(again);
    expect(telemetry.sources()).toEqual([kept, again]);
  });
});

describe('Telemetry policyCounter', () => {
  it('makes zeroed counters on the first ask and shares them by kind and name', () => {
    const telemetry = new Telemetry();
    const a = telemetry.policyCounter('staleCache', 'a', 3);
    expect(a).toBeInstanceOf(Float64Array);
    expect([...a]).toEqual([0, 0, 0]);
    a[1] = 5;
    expect(telemetry.policyCounter('staleCache', 'a', 3)).toBe(a);
    const b = telemetry.policyCounter('staleCache', 'b', 3);
    expect(b).not.toBe(a);
    const other = telemetry.policyCounter('other', 'a', 1);
    expect([...other]).toEqual([0]);
    expect(telemetry.policyCounter('staleCache', 'a', 3)).toBe(a);
    expect([...telemetry.policyCounters('staleCache')]).toEqual([
      ['a', a],
      ['b', b],
    ]);
    expect([...telemetry.policyCounters('other')]).toEqual([['a', other]]);
  });

  it('policyCounters — an empty map for a kind nobody counted', () => {
    const telemetry = new Telemetry();
    const none = telemetry.policyCounters('staleCache');
    expect(none).toBeInstanceOf(Map);
    expect(none.size).toBe(0);
  });

  it.each([0, -1, 1.5, NaN, Infinity])('refuses a size of %s', (size) => {
    const telemetry = new Telemetry();
    const error = thrown(() => telemetry.policyCounter('staleCache', 'a', size));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(`Telemetry.policyCounter: size must be an integer ≥ 1 (got ${String(size)})`);
    expect(telemetry.policyCounters('staleCache').size).toBe(0);
  });

  it('refuses another size for counters that exist, naming kind, name and both sizes', () => {
    const telemetry = new Telemetry();
    telemetry.policyCounter('staleCache', 'a', 3);
    const error = thrown(() => telemetry.policyCounter('staleCache', 'a', 2));
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe(
      'Telemetry.policyCounter: the staleCache counters named "a" have 3 numbers, not 2',
    );
  });
});

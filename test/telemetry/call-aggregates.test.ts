// Pre-aggregated call outcomes (docs/observability.md "How the exporters count calls"): a breaker
// counts its calls and a latency histogram in place while an aggregate reader subscribes, and
// builds no event per call unless an event listener subscribes too.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type CallAggregates, CircuitBreaker, Telemetry, type TelemetryEvent } from '../../src/index.js';
import { sourceOf } from '../../src/breaker/circuit-breaker.js';
import { FakeClock } from '../../src/testing/index.js';
import {
  AggregateLayout as AggregateLayoutClass,
  CallAggregates as CallAggregatesClass,
} from '../../src/core/call-aggregates.js';
import { deferred } from '../breaker/helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** A call through `breaker` that takes `ms` of fake time, then succeeds or fails. */
async function call(
  breaker: CircuitBreaker,
  clock: FakeClock,
  ms: number,
  fail: false | Error = false,
): Promise<void> {
  const d = deferred<string>();
  const pending = breaker.execute(() => d.promise).catch(() => undefined);
  clock.advance(ms);
  if (fail === false) d.resolve('ok');
  else d.reject(fail);
  await pending;
}

/** The counts `breaker` keeps (it must have counted a call). */
function aggregatesOf(breaker: CircuitBreaker): CallAggregates {
  const aggregates = sourceOf(breaker)?.aggregates?.();
  if (aggregates === undefined) throw new Error(`breaker ${breaker.name} keeps no aggregates`);
  return aggregates;
}

/** A breaker on a stream that one aggregate reader subscribes to (the reader's events kept). */
function aggregated(options: { buckets?: readonly number[] } = {}) {
  const clock = new FakeClock();
  const telemetry = new Telemetry();
  const seen: TelemetryEvent[] = [];
  const reader = telemetry.subscribe((event) => seen.push(event), { aggregates: true, ...options });
  const breaker = new CircuitBreaker({
    name: 'db',
    telemetry,
    clock,
    timeout: 1_000,
    failureThreshold: 100,
    isFailure: (error) => !(error instanceof RangeError),
  });
  const aggregates = () => aggregatesOf(breaker);
  return { clock, telemetry, seen, reader, breaker, aggregates };
}

const SUCCESS = 0;
const FAILURE = 1;
const TIMEOUT = 2;
const IGNORED = 3;
const REJECTED = 4;

describe('Telemetry.subscribe — aggregate readers', () => {
  it('subscribe — an aggregate reader gets every event but calls; the stream says who listens', () => {
    const { telemetry, seen, reader, breaker } = aggregated();
    expect([telemetry.active, telemetry.aggregating, telemetry.callsActive]).toEqual([true, true, false]);
    breaker.isolate();
    expect(seen.map((e) => e.type)).toEqual(['registered', 'transition']);
    const events: TelemetryEvent[] = [];
    const listener = telemetry.subscribe((event) => events.push(event));
    expect(telemetry.callsActive).toBe(true);
    telemetry.emit({
      type: 'call',
      policy: 'x',
      kind: 'breaker',
      outcome: 'success',
      durationMs: 1,
      slow: false,
    });
    expect(events.map((e) => e.type)).toEqual(['call']);
    expect(seen.map((e) => e.type)).toEqual(['registered', 'transition']);
    listener.dispose();
    reader.dispose();
    reader.dispose();
    expect([telemetry.active, telemetry.aggregating, telemetry.callsActive]).toEqual([false, false, false]);
  });

  it('subscribe — with only aggregate readers, no event object is built per call', async () => {
    const { clock, telemetry, breaker, aggregates } = aggregated();
    const emit = vi.spyOn(telemetry, 'emit');
    await call(breaker, clock, 3);
    await call(breaker, clock, 4, new Error('down'));
    expect(emit).not.toHaveBeenCalled();
    expect([aggregates().count(SUCCESS), aggregates().count(FAILURE)]).toEqual([1, 1]);
  });

  it('subscribe — with an event listener as well, calls are both counted and sent', async () => {
    const { clock, telemetry, breaker, aggregates } = aggregated();
    const calls: TelemetryEvent[] = [];
    telemetry.subscribe((event) => {
      if (event.type === 'call') calls.push(event);
    });
    await call(breaker, clock, 3);
    expect(calls).toHaveLength(1);
    expect(aggregates().count(SUCCESS)).toBe(1);
  });

  it('subscribe — nothing is kept in a breaker until an aggregate reader subscribes, nor counted after', async () => {
    const clock = new FakeClock();
    const telemetry = new Telemetry();
    const breaker = new CircuitBreaker({ name: 'late', telemetry, clock, timeout: false });
    telemetry.subscribe(() => undefined);
    await call(breaker, clock, 1);
    expect(sourceOf(breaker)!.aggregates!()).toBeUndefined();
    const reader = telemetry.subscribe(() => undefined, { aggregates: true });
    await call(breaker, clock, 1);
    reader.dispose();
    await call(breaker, clock, 1);
    expect(aggregatesOf(breaker).count(SUCCESS)).toBe(1);
  });

  it('subscribe — rejects bad options with a message naming them', () => {
    const telemetry = new Telemetry();
    const noop = (): void => undefined;
    expect(() => telemetry.subscribe(noop, { aggregates: 'yes' } as never)).toThrow(
      /options\.aggregates must be a boolean/,
    );
    expect(() => telemetry.subscribe(noop, { aggregates: true, buckets: [0.5, 0.1] })).toThrow(
      /options\.buckets must be a non-empty array of increasing finite numbers > 0/,
    );
    expect(() => telemetry.subscribe(noop, { buckets: [0.1] })).toThrow(/applies to aggregate readers only/);
    expect(() => telemetry.subscribe(noop, null as never)).toThrow(/options must be an object/);
    expect(telemetry.active).toBe(false);
  });
});

describe('CallAggregates — counts and histogram', () => {
  it('record — counts every outcome and files each timed call in its bucket, exactly', async () => {
    const { clock, breaker, aggregates } = aggregated();
    // Default boundaries (ms): 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000.
    await call(breaker, clock, 0);
    await call(breaker, clock, 1); // on a boundary: in the bucket it bounds
    await call(breaker, clock, 3);
    await call(breaker, clock, 3);
    await call(breaker, clock, 40);
    await call(breaker, clock, 20, new Error('down'));
    await call(breaker, clock, 7, new RangeError('not counted'));
    const hanging = breaker.execute(() => new Promise<never>(() => undefined)).catch(() => undefined);
    clock.advance(1_000);
    await hanging;
    breaker.isolate();
    await breaker.execute(async () => 1).catch(() => undefined);

    const a = aggregates();
    expect([SUCCESS, FAILURE, TIMEOUT, IGNORED, REJECTED].map((o) => a.count(o))).toEqual([5, 1, 1, 1, 1]);
    expect([...a.bucketCounts(SUCCESS)]).toEqual([2, 0, 2, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect([...a.bucketSums(SUCCESS)]).toEqual([1, 0, 6, 0, 0, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(a.extremes(SUCCESS)).toEqual([0, 40]);
    expect(a.bucketCounts(FAILURE)[4]).toBe(1);
    expect(a.bucketCounts(IGNORED)[3]).toBe(1);
    expect(a.bucketCounts(TIMEOUT)[9]).toBe(1); // 1000 ms: the bucket that ends at 1 s
    expect(a.extremes(TIMEOUT)).toEqual([1_000, 1_000]);
  });

  it('record — calls that overlap each get their own duration, whichever settles first', async () => {
    const { clock, breaker, aggregates } = aggregated();
    const a = deferred<string>();
    const b = deferred<string>();
    const c = deferred<string>();
    const first = breaker.execute(() => a.promise); // runs alone at first
    clock.advance(5);
    const second = breaker.execute(() => b.promise); // overlaps the first
    clock.advance(5);
    a.resolve('a'); // 10 ms
    await first;
    const third = breaker.execute(() => c.promise); // overlaps the second
    clock.advance(20);
    b.reject(new Error('down')); // 25 ms
    await second.catch(() => undefined);
    clock.advance(2);
    c.resolve('c'); // 22 ms
    await third;
    const d = deferred<string>();
    const fourth = breaker.execute(() => d.promise); // alone again
    clock.advance(1);
    d.resolve('d'); // 1 ms
    await fourth;
    const agg = aggregates();
    expect([...agg.bucketSums(SUCCESS)].filter((x) => x > 0)).toEqual([1, 10, 22]);
    expect(agg.extremes(FAILURE)).toEqual([25, 25]);
  });

  it('record — a duration past the last boundary lands in the +Inf bucket', async () => {
    const { clock, breaker, aggregates } = aggregated({ buckets: [0.01] });
    await call(breaker, clock, 10);
    await call(breaker, clock, 10.5);
    // The reader asked for 10 ms only, but the stream keeps the default boundaries as well.
    expect(aggregates().layout.boundsSeconds).toContain(0.01);
    const counts = aggregates().bucketCounts(SUCCESS);
    expect(counts[3]).toBe(1);
    expect(counts[4]).toBe(1);
  });

  it('layout — a reader asking for new boundaries keeps the counts made before it', async () => {
    const { clock, telemetry, breaker, aggregates } = aggregated();
    await call(breaker, clock, 3); // (2.5, 5]
    await call(breaker, clock, 30); // (25, 50]
    const before = aggregates();
    telemetry.subscribe(() => undefined, { aggregates: true, buckets: [0.004, 0.03] });
    await call(breaker, clock, 3.5); // (2.5, 4] in the new layout
    const after = aggregates();
    expect(after).not.toBe(before);
    expect(after.layout.boundsSeconds).toEqual([
      0.001, 0.0025, 0.004, 0.005, 0.01, 0.025, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ]);
    expect(after.count(SUCCESS)).toBe(3);
    const counts = [...after.bucketCounts(SUCCESS)];
    // Calls from before sit at the top of their old bucket: 3 ms under 5 ms, 30 ms under 50 ms.
    expect(counts.slice(0, 8)).toEqual([0, 0, 1, 1, 0, 0, 0, 1]);
    expect(after.extremes(SUCCESS)).toEqual([3, 30]);
    expect(after.bucketSums(SUCCESS)[3]).toBe(3);
  });

  it('layout — a read after a reader adds boundaries, with no call since, gives the counts in the new layout', async () => {
    const { clock, telemetry, breaker, aggregates } = aggregated();
    await call(breaker, clock, 3); // (2.5, 5]
    telemetry.subscribe(() => undefined, { aggregates: true, buckets: [0.004] });
    const after = aggregates();
    expect(after.layout).toBe(telemetry.aggregateLayout);
    expect(after.layout.boundsSeconds).toContain(0.004);
    expect(after.count(SUCCESS)).toBe(1);
    // 3 ms sits at the top of its old bucket: under 5 ms, not under 4 ms.
    expect([...after.bucketCounts(SUCCESS)].slice(0, 5)).toEqual([0, 0, 0, 1, 0]);
    expect(after.extremes(SUCCESS)).toEqual([3, 3]);
  });

  it('layout — while it stays, the counts are kept in place: every read gives the one object later calls count in', async () => {
    const { clock, breaker, aggregates } = aggregated();
    await call(breaker, clock, 3);
    const first = aggregates();
    expect(aggregates()).toBe(first);
    await call(breaker, clock, 4, new Error('down'));
    expect(aggregates()).toBe(first);
    expect(aggregates().data).toBe(first.data);
    expect([first.count(SUCCESS), first.count(FAILURE)]).toEqual([1, 1]);
  });

  it('layout — the boundaries of all readers together are capped, so no breaker keeps thousands of buckets', () => {
    const { telemetry } = aggregated();
    const many = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i + 1);
    const have = telemetry.aggregateLayout.boundsSeconds.length;
    expect(() =>
      telemetry.subscribe(() => undefined, { aggregates: true, buckets: many(100, 100_000) }),
    ).toThrow(
      new RangeError(
        `Telemetry.subscribe: options.buckets: a stream's histograms have at most 128 boundaries, those of every aggregate reader together (these would make ${have + 100_000})`,
      ),
    );
    // Readers that come and go with new boundaries each time cannot grow the layout past the cap.
    telemetry.subscribe(() => undefined, { aggregates: true, buckets: many(100, 100) }).dispose();
    expect(() => telemetry.subscribe(() => undefined, { aggregates: true, buckets: many(300, 100) })).toThrow(
      /at most 128 boundaries/,
    );
    expect(telemetry.aggregateLayout.boundsSeconds.length).toBe(have + 100);
  });
});

describe('CallAggregates — the class on its own', () => {
  const SUCCESS = 0;
  const FAILURE = 1;
  const REJECTED = 4;

  it('record — a call not timed (NaN) or with a negative duration is counted, never filed in a bucket', () => {
    const a = new CallAggregatesClass(new AggregateLayoutClass([0.01]));
    a.record(SUCCESS, Number.NaN);
    a.record(SUCCESS, -1);
    a.record(REJECTED, Number.NaN);
    expect(a.count(SUCCESS)).toBe(2);
    expect(a.count(REJECTED)).toBe(1);
    expect([...a.bucketCounts(SUCCESS)]).toEqual([0, 0]);
    expect([...a.bucketSums(SUCCESS)]).toEqual([0, 0]);
    expect(a.extremes(SUCCESS)).toEqual([Infinity, -Infinity]);
    a.record(SUCCESS, 10); // on the boundary: in its bucket (upper bounds are inclusive)
    a.record(SUCCESS, 10.5);
    expect([...a.bucketCounts(SUCCESS)]).toEqual([1, 1]);
    expect([...a.bucketSums(SUCCESS)]).toEqual([10, 10.5]);
    expect(a.extremes(SUCCESS)).toEqual([10, 10.5]);
    expect([...a.bucketCounts(FAILURE)]).toEqual([0, 0]);
  });

  it('copy — the same counts, kept apart from later calls', () => {
    const a = new CallAggregatesClass(new AggregateLayoutClass([0.001, 0.1]));
    a.record(FAILURE, 50);
    a.record(REJECTED, Number.NaN);
    const copy = a.copy();
    expect(copy.layout).toBe(a.layout);
    expect([...copy.data]).toEqual([...a.data]);
    a.record(FAILURE, 5);
    expect(copy.count(FAILURE)).toBe(1);
    expect(copy.extremes(FAILURE)).toEqual([50, 50]);
    expect(a.count(FAILURE)).toBe(2);
  });

  it('relayout — every old bucket, the +Inf one too, moves to the bucket of its upper bound', () => {
    const a = new CallAggregatesClass(new AggregateLayoutClass([0.01]));
    a.record(SUCCESS, 5);
    a.record(SUCCESS, 2_000); // +Inf
    a.record(SUCCESS, 3_000); // +Inf
    a.record(REJECTED, Number.NaN);
    const b = a.relayout(new AggregateLayoutClass([0.001, 0.01, 1]));
    expect(b.count(SUCCESS)).toBe(3);
    expect(b.count(REJECTED)).toBe(1);
    // The call of 5 ms sits at the top of its old bucket (≤ 10 ms); the +Inf calls stay in +Inf.
    expect([...b.bucketCounts(SUCCESS)]).toEqual([0, 1, 0, 2]);
    expect([...b.bucketSums(SUCCESS)]).toEqual([0, 5, 0, 5_000]);
    expect(b.extremes(SUCCESS)).toEqual([5, 3_000]);
    expect(b.extremes(FAILURE)).toEqual([Infinity, -Infinity]);
  });

  it('including — itself when it has every boundary; a new sorted layout otherwise; at most 128 boundaries', () => {
    const layout = new AggregateLayoutClass([0.01, 0.1]);
    expect(layout.including([0.1])).toBe(layout);
    expect(layout.including([])).toBe(layout);
    const more = layout.including([0.1, 0.05]);
    expect(more).not.toBe(layout);
    expect(more.boundsSeconds).toEqual([0.01, 0.05, 0.1]);
    expect([...more.boundsMs]).toEqual([10, 50, 100]);
    const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
    expect(new AggregateLayoutClass([]).including(upTo(128)).boundsSeconds).toHaveLength(128);
    expect(() => new AggregateLayoutClass([]).including(upTo(129))).toThrow(
      new RangeError(
        "buckets: a stream's histograms have at most 128 boundaries, those of every aggregate reader together (these would make 129)",
      ),
    );
    expect(() => new AggregateLayoutClass([]).including(upTo(129), 'histogram')).toThrow(/^histogram: /);
  });
});

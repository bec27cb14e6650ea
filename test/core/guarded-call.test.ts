// guardedCall: a call raced against its deadline and its caller's signal, seen from its host. The
// host records which of its steps the call took, so each outcome is checked to be answered once.
import { describe, expect, it } from 'vitest';
import { DeadlineQueue } from '../../src/core/deadline-queue.js';
import { CallTimeoutError } from '../../src/core/errors.js';
import { type CallHost, guardedCall } from '../../src/core/guarded-call.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { CircuitBreaker } from '../../src/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

function recordingHost(clock: FakeClock, timeoutMs = 100): { host: CallHost<string>; log: string[] } {
  const deadlines = new DeadlineQueue(clock);
  const log: string[] = [];
  const host: CallHost<string> = {
    timed: true,
    timeoutMs,
    schedule: (call) => deadlines.push(call),
    unschedule: (call) => deadlines.remove(call),
    succeeded: <T>(value: T): T => {
      log.push(`succeeded ${String(value)}`);
      return value;
    },
    failed: (error) => {
      log.push('failed');
      throw error;
    },
    timedOut: () => {
      log.push('timedOut');
      return new CallTimeoutError('test', timeoutMs);
    },
    aborted: () => log.push('aborted'),
    releaseAborted: (_generation, _start, ticket) => log.push(`releaseAborted ${ticket}`),
    fallback: (error) => {
      throw error;
    },
  };
  return { host, log };
}

function deferred(): { promise: Promise<number>; resolve: (value: number) => void } {
  let resolve!: (value: number) => void;
  const promise = new Promise<number>((res) => (resolve = res));
  return { promise, resolve };
}

/** Settled state of `promise`, read after `settle()`. */
function track(promise: Promise<unknown>): { state: string } {
  const seen = { state: 'pending' };
  promise.then(
    (value) => (seen.state = `resolved ${String(value)}`),
    (error: unknown) => (seen.state = `rejected ${error instanceof Error ? error.message : String(error)}`),
  );
  return seen;
}

describe('guardedCall', () => {
  it('signal — every read returns the same signal, which the deadline aborts', async () => {
    const clock = new FakeClock();
    const { host } = recordingHost(clock);
    let context: PolicyContext | undefined;
    const never = deferred();
    const seen = track(
      guardedCall(
        host,
        (ctx) => {
          context = ctx;
          return never.promise;
        },
        [],
        0,
        clock.now(),
        undefined,
        't',
      ),
    );
    const first = context?.signal;
    expect(context?.signal).toBe(first);
    await clock.advanceAsync(100);
    expect(seen.state).toBe('rejected call through "test" timed out after 100 ms');
    expect(first?.aborted).toBe(true);
    expect(context?.signal).toBe(first);
  });

  it('releaseAborted — a call that timed out releases nothing when its function settles later', async () => {
    const clock = new FakeClock();
    const { host, log } = recordingHost(clock);
    const never = deferred();
    const seen = track(guardedCall(host, () => never.promise, [], 0, clock.now(), undefined, 't'));
    await clock.advanceAsync(100);
    expect(seen.state).toBe('rejected call through "test" timed out after 100 ms');
    never.resolve(1);
    await settle();
    expect(log).toEqual(['timedOut']);
  });

  it('releaseAborted — an aborted call releases its permit once: at its deadline, not again when it settles', async () => {
    const clock = new FakeClock();
    const { host, log } = recordingHost(clock);
    const controller = new AbortController();
    const never = deferred();
    const seen = track(guardedCall(host, () => never.promise, [], 0, clock.now(), controller.signal, 't'));
    controller.abort(new Error('caller left'));
    await settle();
    expect(seen.state).toBe('rejected caller left');
    expect(log).toEqual(['aborted']);
    await clock.advanceAsync(100);
    expect(log).toEqual(['aborted', 'releaseAborted t']);
    never.resolve(1);
    await settle();
    expect(log).toEqual(['aborted', 'releaseAborted t']);
  });

  it('run — a native promise whose then calls both handlers settles the call once and releases nothing', async () => {
    const clock = new FakeClock();
    const { host, log } = recordingHost(clock);
    const twoFaced = Object.defineProperty(Object.create(Promise.prototype) as object, 'then', {
      value: (onFulfilled: (value: number) => void, onRejected: (error: unknown) => void) => {
        onFulfilled(7);
        onRejected(new Error('second answer'));
      },
    }) as Promise<number>;
    const seen = track(guardedCall(host, () => twoFaced, [], 0, clock.now(), undefined, 't'));
    await settle();
    expect(seen.state).toBe('resolved 7');
    expect(log).toEqual(['succeeded 7']);
  });

  it("link — a caller's signal that calls its listener after the call ended changes nothing", async () => {
    const clock = new FakeClock();
    const { host, log } = recordingHost(clock);
    // A signal-like object (accepted as a caller's signal) that keeps its listeners.
    const listeners: (() => void)[] = [];
    const signal = {
      aborted: false,
      reason: undefined,
      addEventListener: (_type: string, listener: () => void) => listeners.push(listener),
      removeEventListener: () => undefined,
    } as unknown as AbortSignal;
    const seen = track(guardedCall(host, () => Promise.resolve(3), [], 0, clock.now(), signal, 't'));
    await settle();
    expect(seen.state).toBe('resolved 3');
    expect(listeners).toHaveLength(1);
    for (const listener of listeners) listener();
    await settle();
    expect(log).toEqual(['succeeded 3']);
  });

  it('schedule — a call of a breaker without a timeout never expires, even when a timed breaker on its clock does', async () => {
    const clock = new FakeClock();
    const untimed = new CircuitBreaker({ clock, timeout: false, recoveryTimeout: 1_000 });
    const timed = new CircuitBreaker({ name: 'timed', clock, timeout: 100 });
    const never = deferred();
    const waiting = track(untimed.execute(() => never.promise, { signal: new AbortController().signal }));
    const timing = track(timed.execute(() => never.promise));
    await clock.advanceAsync(100);
    expect(timing.state).toBe('rejected call through "timed" timed out after 100 ms');
    await clock.advanceAsync(10_000);
    expect(waiting.state).toBe('pending');
    expect(clock.pendingTimers).toBe(0);
    never.resolve(5);
    await settle();
    expect(waiting.state).toBe('resolved 5');
  });
});

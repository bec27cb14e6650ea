// docs/contract.md §7.1 (timeout) and §7.2 (execute's signal): timeouts, caller aborts, late results.
import { describe, expect, it, vi } from 'vitest';
import { CallTimeoutError, CircuitBreaker, isCircuitOpenError } from '../../src/index.js';
import { EventRecorder, FakeClock, settle } from '../../src/testing/index.js';
import { caught, type Deferred, deferred, failTimes, makeBreaker, ok } from './helpers.js';

describe('caller signal', () => {
  for (const timeout of [1_000, false] as const) {
    it(`execute — an already aborted signal rejects at once with its reason; fn is not called (timeout ${String(timeout)})`, async () => {
      const { breaker } = makeBreaker({ timeout });
      const reason = new Error('caller gave up');
      const fn = vi.fn(ok(1));
      expect(await caught(breaker.execute(fn, { signal: AbortSignal.abort(reason) }))).toBe(reason);
      expect(fn).not.toHaveBeenCalled();
      expect(breaker.stats.totals.calls).toBe(0);
      expect(breaker.stats.window.calls).toBe(0);
    });

    it(`execute — an abort mid-call rejects at once with the reason, uncounted, and aborts fn's signal (timeout ${String(timeout)})`, async () => {
      const { breaker } = makeBreaker({ timeout, failureThreshold: 1 });
      const recorder = new EventRecorder(breaker);
      const controller = new AbortController();
      let seen: AbortSignal | undefined;
      const never = deferred();
      const call = caught(
        breaker.execute(
          ({ signal }) => {
            seen = signal;
            return never.promise;
          },
          { signal: controller.signal },
        ),
      );
      expect(seen?.aborted).toBe(false);
      const reason = new Error('user navigated away');
      controller.abort(reason);
      expect(await call).toBe(reason); // without fn having settled
      expect(seen?.aborted).toBe(true);
      expect(seen?.reason).toBe(reason);
      expect(breaker.state).toBe('closed');
      expect(breaker.stats.window.calls).toBe(0);
      expect(breaker.stats.inFlight).toBe(0);
      expect(breaker.stats.totals).toMatchObject({ failures: 0, ignored: 1 });
      expect(recorder.of('ignored')).toEqual([
        { durationMs: 0, error: reason, aborted: true, generation: 0 },
      ]);
      // The function's own late rejection changes nothing and is not unhandled.
      never.reject(reason);
      await new Promise((resolve) => setImmediate(resolve));
      expect(breaker.state).toBe('closed');
    });
  }

  it('execute — a caller abort answers at once, but the probe permit is held until the function settles', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 100,
      halfOpenRequests: 1,
    });
    await failTimes(breaker, 1);
    clock.advance(100);
    const controller = new AbortController();
    const work = deferred<string>();
    const probe = caught(breaker.execute(() => work.promise, { signal: controller.signal }));
    controller.abort('stop');
    expect(await probe).toBe('stop');
    expect(breaker.stats.probesInFlight).toBe(1);
    await expect(caught(breaker.execute(ok(1)))).resolves.toMatchObject({ state: 'half-open' });
    work.resolve('late'); // settled: the permit is released, the outcome is not counted
    await settle();
    expect(breaker.state).toBe('half-open');
    expect(breaker.stats.probesInFlight).toBe(0);
    expect(breaker.stats.totals).toMatchObject({ successes: 0, ignored: 1 });
    await expect(breaker.execute(ok('admitted'))).resolves.toBe('admitted');
  });

  for (const timeout of [10_000, false] as const) {
    it(`execute — callers that abort never let more than halfOpenRequests probe functions run at once (timeout ${String(timeout)})`, async () => {
      const { breaker, clock } = makeBreaker({
        failureThreshold: 1,
        recoveryTimeout: 1_000,
        halfOpenRequests: 1,
        timeout,
      });
      await failTimes(breaker, 1);
      clock.advance(1_000);
      let running = 0;
      let most = 0;
      const works: Deferred<string>[] = [];
      const answers: Promise<unknown>[] = [];
      for (let i = 0; i < 10; i++) {
        const controller = new AbortController();
        answers.push(
          caught(
            breaker.execute(
              () => {
                running++;
                most = Math.max(most, running);
                const work = deferred<string>();
                works.push(work);
                return work.promise.finally(() => running--);
              },
              { signal: controller.signal },
            ),
          ),
        );
        controller.abort(`gave up ${i}`); // the function ignores its signal and keeps running
        clock.advance(1);
      }
      const got = await Promise.all(answers);
      expect(got[0]).toBe('gave up 0');
      expect(got.slice(1).every((e) => isCircuitOpenError(e))).toBe(true);
      expect(most).toBe(1);
      expect(running).toBe(1);
      works[0]?.resolve('done');
      await settle();
      expect(running).toBe(0);
      expect(breaker.stats.probesInFlight).toBe(0);
      expect(breaker.state).toBe('half-open');
    });
  }

  it('execute — an aborted probe whose function is still running at its deadline counts as a failure and frees the permit', async () => {
    const { breaker, clock } = makeBreaker({
      failureThreshold: 1,
      recoveryTimeout: 1_000,
      halfOpenRequests: 1,
      timeout: 500,
    });
    await failTimes(breaker, 1);
    clock.advance(1_000);
    const controller = new AbortController();
    const probe = caught(breaker.execute(() => new Promise(() => undefined), { signal: controller.signal }));
    controller.abort('stop');
    expect(await probe).toBe('stop');
    clock.advance(499);
    expect(breaker.stats.probesInFlight).toBe(1);
    clock.advance(1); // the deadline: a probe still running then is a failure (docs/contract.md §6.4)
    expect(breaker.state).toBe('open');
    expect(breaker.stats.probesInFlight).toBe(0);
    expect(breaker.stats.totals).toMatchObject({ timeouts: 0, ignored: 1 });
  });

  it('execute — a signal that never aborts changes nothing and leaves no listener behind', async () => {
    const { breaker } = makeBreaker();
    const controller = new AbortController();
    const add = vi.spyOn(controller.signal, 'addEventListener');
    const remove = vi.spyOn(controller.signal, 'removeEventListener');
    await expect(breaker.execute(ok(3), { signal: controller.signal })).resolves.toBe(3);
    expect(add).toHaveBeenCalledTimes(1);
    expect(remove).toHaveBeenCalledWith('abort', add.mock.calls[0]![1]);
  });

  it('execute — the signal handed to fn is not aborted on a normal call', async () => {
    const { breaker } = makeBreaker({ timeout: false });
    let seen: AbortSignal | undefined;
    await breaker.execute(({ signal }) => {
      seen = signal;
      return 1;
    });
    expect(seen).toBeInstanceOf(AbortSignal);
    expect(seen?.aborted).toBe(false);
  });
});

describe('timeout', () => {
  it('execute — a call started by a timed-out call’s fallback does not delay the calls already waiting', async () => {
    const clock = new FakeClock();
    const timedOutAt: number[] = [];
    const never = (): Promise<string> => new Promise(() => undefined);
    const breaker: CircuitBreaker = new CircuitBreaker({
      clock,
      timeout: 100,
      fallback: () => {
        timedOutAt.push(clock.now());
        // The first timeout retries at once: a new call, with a deadline later than the second's.
        if (timedOutAt.length === 1) void breaker.execute(never);
        return 'fallback';
      },
    });
    const first = breaker.execute(never);
    await clock.advanceAsync(5);
    const second = breaker.execute(never);
    await clock.advanceAsync(95);
    expect(timedOutAt).toEqual([100]);
    expect(await first).toBe('fallback');
    await clock.advanceAsync(5);
    expect(timedOutAt).toEqual([100, 105]);
    expect(await second).toBe('fallback');
    await clock.advanceAsync(95);
    expect(timedOutAt).toEqual([100, 105, 200]);
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — on expiry aborts fn’s signal with the CallTimeoutError the caller receives', async () => {
    const { breaker, clock } = makeBreaker({ name: 'api', timeout: 250 });
    let seen: AbortSignal | undefined;
    const call = caught(
      breaker.execute(({ signal }) => {
        seen = signal;
        return new Promise(() => undefined);
      }),
    );
    await clock.advanceAsync(250);
    const error = await call;
    expect(error).toBeInstanceOf(CallTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_CALL_TIMEOUT', timeoutMs: 250, policy: 'api' });
    expect(seen?.aborted).toBe(true);
    expect(seen?.reason).toBe(error);
  });

  it('execute — a signal first read after the timeout is already aborted', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 100 });
    const gate = deferred();
    let late: AbortSignal | undefined;
    const call = caught(
      breaker.execute(async (context) => {
        await gate.promise; // e.g. waits for a connection, then passes the signal on
        late = context.signal;
        return 'too late';
      }),
    );
    await clock.advanceAsync(100);
    const error = await call;
    gate.resolve(undefined);
    await new Promise((resolve) => setImmediate(resolve));
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toBe(error);
  });

  it('execute — a result arriving after the timeout is ignored', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 100, failureThreshold: 2 });
    const recorder = new EventRecorder(breaker);
    const d = deferred<string>();
    const call = caught(breaker.execute(() => d.promise));
    await clock.advanceAsync(100);
    expect(await call).toBeInstanceOf(CallTimeoutError);
    d.resolve('late');
    await new Promise((resolve) => setImmediate(resolve));
    expect(breaker.stats.totals).toMatchObject({ calls: 1, timeouts: 1, successes: 0, failures: 0 });
    expect(breaker.stats.window).toMatchObject({ calls: 1, failures: 1 });
    expect(recorder.types()).toEqual(['timeout']);
  });

  it('execute — a rejection arriving after the timeout is ignored and not unhandled', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 100 });
    const d = deferred();
    const call = caught(breaker.execute(() => d.promise));
    await clock.advanceAsync(100);
    await call;
    d.reject(new Error('late failure'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(breaker.stats.totals).toMatchObject({ timeouts: 1, failures: 0 });
  });

  it('execute — timeouts are failures that trip the circuit', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 10, failureThreshold: 3 });
    const calls = [0, 1, 2].map(() => caught(breaker.execute(() => new Promise(() => undefined))));
    await clock.advanceAsync(10);
    for (const c of calls) expect(await c).toBeInstanceOf(CallTimeoutError);
    expect(breaker.state).toBe('open');
  });

  it('execute — a call that settles in time leaves no timer pending once the queue has drained', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 1_000 });
    await breaker.execute(ok(1));
    await clock.advanceAsync(1_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — calls started at different times each get their own deadline', async () => {
    const { breaker, clock } = makeBreaker({ timeout: 100, failureThreshold: 10 });
    const first = caught(breaker.execute(() => new Promise(() => undefined)));
    await clock.advanceAsync(60);
    const second = caught(breaker.execute(() => new Promise(() => undefined)));
    await clock.advanceAsync(40);
    expect(await first).toBeInstanceOf(CallTimeoutError);
    expect(breaker.stats.inFlight).toBe(1);
    await clock.advanceAsync(59);
    expect(breaker.stats.inFlight).toBe(1);
    await clock.advanceAsync(1);
    expect(await second).toBeInstanceOf(CallTimeoutError);
  });

  it('execute — timeout:false lets a slow call run as long as it takes', async () => {
    const { breaker, clock } = makeBreaker({ timeout: false });
    const d = deferred<string>();
    const call = breaker.execute(() => d.promise);
    await clock.advanceAsync(3_600_000);
    d.resolve('eventually');
    await expect(call).resolves.toBe('eventually');
    expect(clock.pendingTimers).toBe(0);
  });
});

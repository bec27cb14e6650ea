/**
 * Drives a real `CircuitBreaker` (FakeClock, seeded random) and the reference model side by side
 * with one command at a time, and compares everything the caller and `stats` can see.
 */
import { CircuitBreaker, isCallTimeoutError, isCircuitOpenError, seededRandom } from '../../src/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';
import { type Answer, type ModelConfig, ReferenceModel } from './reference-model.js';

/** One step of a scenario. `pick` chooses among the calls whose function is still running. */
export type Command =
  | { readonly kind: 'start'; readonly signal: boolean }
  | {
      readonly kind: 'succeed' | 'resultFailure' | 'fail' | 'ignore' | 'abort' | 'timeout' | 'slow';
      readonly pick: number;
    }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'read' | 'isolate' | 'disable' | 'metricsOnly' | 'reset' };

/** An error that `isFailure` ignores. */
export class IgnoredError extends Error {}

interface Result {
  readonly id: number;
  readonly bad: boolean;
}

interface LiveCall {
  readonly id: number;
  readonly start: number;
  readonly controller: AbortController | undefined;
  fnCalled: boolean;
  /** The function's own promise, settled by the test. */
  resolve?: (value: Result) => void;
  reject?: (error: unknown) => void;
  fnSettled: boolean;
  /** What the caller received. */
  got?: { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };
  produced?: unknown; // the value or error the function settled with
}

/** Breaker options equivalent to a model configuration. */
export function toOptions(
  cfg: ModelConfig,
  clock: FakeClock,
  seed: number,
): ConstructorParameters<typeof CircuitBreaker>[0] {
  return {
    name: 'model',
    window: cfg.window,
    failureThreshold: cfg.failureThreshold,
    minimumCalls: cfg.minimumCalls,
    recoveryTimeout: cfg.recoveryTimeout,
    halfOpenRequests: cfg.halfOpenRequests,
    successThreshold: cfg.successThreshold,
    timeout: cfg.timeout,
    recoveryBackoff: cfg.recoveryBackoff ?? false,
    ...(cfg.failureRateThreshold === undefined ? {} : { failureRateThreshold: cfg.failureRateThreshold }),
    ...(cfg.slowCallDuration === undefined ? {} : { slowCallDuration: cfg.slowCallDuration }),
    ...(cfg.slowCallRateThreshold === undefined ? {} : { slowCallRateThreshold: cfg.slowCallRateThreshold }),
    isFailure: (error) => !(error instanceof IgnoredError),
    isResultFailure: (result) => (result as Result).bad,
    clock,
    random: seededRandom(seed),
  };
}

export class Harness {
  readonly clock = new FakeClock(0);
  readonly breaker: CircuitBreaker;
  readonly model: ReferenceModel;
  readonly #calls: LiveCall[] = [];
  readonly #cfg: ModelConfig;
  readonly log: string[] = [];

  constructor(cfg: ModelConfig, seed: number) {
    this.#cfg = cfg;
    this.breaker = new CircuitBreaker(toOptions(cfg, this.clock, seed));
    this.model = new ReferenceModel(cfg, seededRandom(seed), 0);
  }

  /** Runs one command on both sides, lets promises settle, then compares. */
  async step(cmd: Command): Promise<void> {
    this.log.push(JSON.stringify(cmd));
    this.#apply(cmd);
    await settle();
    this.check();
  }

  #apply(cmd: Command): void {
    const { model, breaker, clock } = this;
    switch (cmd.kind) {
      case 'start':
        return this.#start(cmd.signal);
      case 'advance':
        clock.advance(cmd.ms);
        return model.advance(cmd.ms);
      case 'read':
        this.log.push(`  (read: ${breaker.state})`);
        return;
      case 'isolate':
        breaker.isolate();
        return model.isolate();
      case 'disable':
        breaker.disable();
        return model.disable();
      case 'metricsOnly':
        breaker.metricsOnly();
        return model.metricsOnly();
      case 'reset':
        breaker.reset();
        return model.reset();
      default:
        return this.#onCall(cmd.kind, cmd.pick);
    }
  }

  #start(signal: boolean): void {
    const id = this.#calls.length;
    const call: LiveCall = {
      id,
      start: this.clock.now(),
      controller: signal ? new AbortController() : undefined,
      fnCalled: false,
      fnSettled: false,
    };
    this.#calls.push(call);
    const promise = this.breaker.execute(
      () => {
        call.fnCalled = true;
        return new Promise<Result>((resolve, reject) => {
          call.resolve = resolve;
          call.reject = reject;
        });
      },
      { signal: call.controller?.signal },
    );
    promise.then(
      (value) => (call.got = { ok: true, value }),
      (error: unknown) => (call.got = { ok: false, error }),
    );
    this.model.start(id, signal);
  }

  #onCall(
    kind: Exclude<
      Command['kind'],
      'start' | 'advance' | 'read' | 'isolate' | 'disable' | 'metricsOnly' | 'reset'
    >,
    pick: number,
  ): void {
    const running = this.#calls.filter((c) => c.fnCalled && !c.fnSettled);
    const call = running[pick % Math.max(1, running.length)];
    if (call === undefined) return;
    const { model, clock } = this;
    const settleWith = (ok: boolean, produced: unknown): void => {
      call.fnSettled = true;
      call.produced = produced;
      if (ok) call.resolve?.(produced as Result);
      else call.reject?.(produced);
    };
    switch (kind) {
      case 'succeed':
      case 'resultFailure':
        settleWith(true, { id: call.id, bad: kind === 'resultFailure' });
        return model.resolve(call.id, kind === 'resultFailure');
      case 'fail':
        settleWith(false, new Error(`failure ${call.id}`));
        return model.reject(call.id, false);
      case 'ignore':
        settleWith(false, new IgnoredError(`ignored ${call.id}`));
        return model.reject(call.id, true);
      case 'abort':
        call.controller?.abort(new Error(`abort ${call.id}`));
        return model.abort(call.id);
      case 'timeout': {
        const t = this.#cfg.timeout;
        const wait = t === false ? this.#cfg.recoveryTimeout : Math.max(0, call.start + t - clock.now());
        clock.advance(wait);
        return model.advance(wait);
      }
      case 'slow': {
        const wait = Math.max(0, call.start + (this.#cfg.slowCallDuration ?? 0) - clock.now());
        clock.advance(wait);
        model.advance(wait);
        settleWith(true, { id: call.id, bad: false });
        return model.resolve(call.id, false);
      }
    }
  }

  /** Compares stats and every call's answer; throws a readable mismatch. */
  check(): void {
    const want = this.model.view();
    const s = this.breaker.stats;
    const got = {
      state: s.state,
      generation: s.generation,
      retryAfterMs: s.retryAfterMs,
      inFlight: s.inFlight,
      probesInFlight: s.probesInFlight,
      window: { calls: s.window.calls, failures: s.window.failures, slowCalls: s.window.slowCalls },
      totals: {
        calls: s.totals.calls,
        successes: s.totals.successes,
        failures: s.totals.failures,
        timeouts: s.totals.timeouts,
        ignored: s.totals.ignored,
        rejected: s.totals.rejected,
      },
    };
    const wantCmp = { ...want, retryAfterMs: round(want.retryAfterMs) };
    const gotCmp = { ...got, retryAfterMs: round(got.retryAfterMs) };
    if (JSON.stringify(wantCmp) !== JSON.stringify(gotCmp)) {
      this.#fail(
        `stats differ at t=${this.clock.now()}\n model:   ${JSON.stringify(wantCmp)}\n breaker: ${JSON.stringify(gotCmp)}`,
      );
    }
    for (const call of this.#calls) {
      const problem = mismatch(this.model.answer(call.id), call);
      if (problem !== undefined) this.#fail(`call ${call.id}: ${problem}`);
    }
  }

  #fail(message: string): never {
    throw new Error(`${message}\n steps:\n  ${this.log.join('\n  ')}`);
  }

  /** Lets every function still running finish, so nothing is left pending after a run. */
  async drain(): Promise<void> {
    for (const call of this.#calls)
      if (call.fnCalled && !call.fnSettled) call.resolve?.({ id: call.id, bad: false });
    await settle();
  }
}

function round(ms: number): number | string {
  return Number.isFinite(ms) ? Math.round(ms * 1e6) / 1e6 : String(ms);
}

function mismatch(want: Answer, call: LiveCall): string | undefined {
  const got = call.got;
  const expectedCalled = want.kind !== 'rejected';
  if (call.fnCalled !== expectedCalled)
    return `function called: ${call.fnCalled}, model says ${expectedCalled}`;
  switch (want.kind) {
    case 'pending':
      return got === undefined ? undefined : `settled (${describe(got)}) but the model says pending`;
    case 'rejected':
      return got !== undefined &&
        !got.ok &&
        isCircuitOpenError(got.error) &&
        got.error.state === want.state &&
        round(got.error.retryAfterMs) === round(want.retryAfterMs)
        ? undefined
        : `expected CircuitOpenError(${want.state}, ${want.retryAfterMs}), got ${describe(got)}`;
    case 'value':
      return got?.ok === true && got.value === call.produced
        ? undefined
        : `expected its own value, got ${describe(got)}`;
    case 'thrown':
      return got?.ok === false && got.error === call.produced
        ? undefined
        : `expected its own error, got ${describe(got)}`;
    case 'timeout':
      return got?.ok === false && isCallTimeoutError(got.error)
        ? undefined
        : `expected CallTimeoutError, got ${describe(got)}`;
    case 'aborted':
      return got?.ok === false && got.error === call.controller?.signal.reason
        ? undefined
        : `expected the abort reason, got ${describe(got)}`;
  }
}

function describe(got: LiveCall['got']): string {
  if (got === undefined) return 'pending';
  if (got.ok) return `value ${JSON.stringify(got.value)}`;
  const e = got.error as { name?: string; message?: string; state?: string; retryAfterMs?: number };
  return `error ${e.name ?? ''} ${e.message ?? String(got.error)}${e.state === undefined ? '' : ` state=${e.state} retryAfterMs=${e.retryAfterMs ?? ''}`}`;
}

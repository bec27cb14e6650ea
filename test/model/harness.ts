/**
 * Drives a real `CircuitBreaker` (FakeClock, seeded random) and the reference model side by side
 * with one command at a time, and compares what callers see.
 *
 * Three modes run the same commands:
 * - `observed`: `stats`, `state` and `toJSON()` are compared after every step. Those reads perform
 *   the breaker's lazy transitions and roll its window, so this mode sees a breaker that is
 *   watched all the time.
 * - `unobserved`: the breaker is never read between steps. Only what callers see is compared
 *   (did the function run, rejections with their state and `retryAfterMs`, results, errors,
 *   timeouts, fallback answers, `extendOpen`'s answer, listener and telemetry events); `stats`,
 *   `toJSON()` and the transitions are compared once, at the end.
 * - `mixed`: as unobserved, with full reads at some steps (chosen from the seed) and at `read`.
 */
import {
  CircuitBreaker,
  isCallTimeoutError,
  isCircuitOpenError,
  seededRandom,
  Telemetry,
  type TelemetryEvent,
} from '../../src/index.js';
import {
  FLEET_CHECK,
  FLEET_REJECT,
  type Fleet,
  type FleetHost,
  type FleetLease,
  type FleetMember,
  type FleetState,
} from '../../src/breaker/fleet.js';
import { FakeClock, settle } from '../../src/testing/index.js';
import { type Answer, type ModelConfig, type ModelEvent, ReferenceModel } from './reference-model.js';

/** One step of a scenario. `pick` chooses among the calls whose function is still running. */
export type Command =
  | { readonly kind: 'start'; readonly signal: boolean }
  | {
      readonly kind: 'succeed' | 'resultFailure' | 'fail' | 'ignore' | 'abort' | 'timeout' | 'slow';
      readonly pick: number;
    }
  | { readonly kind: 'advance'; readonly ms: number }
  | { readonly kind: 'extendOpen'; readonly ms: number }
  /** `n` calls whose functions settle at once; call i fails when bit i of `failMask` is set. */
  | { readonly kind: 'burst'; readonly n: number; readonly failMask: number }
  | {
      readonly kind: 'fleet';
      readonly to: 'closed' | 'open' | 'isolated' | 'degrade' | 'restore';
      readonly ms: number;
    }
  | { readonly kind: 'read' | 'isolate' | 'disable' | 'metricsOnly' | 'reset' };

export type Mode = 'observed' | 'unobserved' | 'mixed';

/** Who listens: nobody, listeners that leave calls untimed, outcome listeners, a telemetry stream. */
export type Listening = 'none' | 'transitions' | 'all' | 'telemetry';

/** A model configuration plus what only the harness needs. */
export interface HarnessConfig extends ModelConfig {
  readonly listening: Listening;
  /** Pass `failureThreshold` to the breaker (otherwise its default applies). */
  readonly failureThresholdGiven: boolean;
}

/** An error that `isFailure` ignores. */
export class IgnoredError extends Error {}

interface Result {
  readonly id: number;
  readonly bad: boolean;
}

/** What a fallback answers: the error it was given. */
interface FallbackAnswer {
  readonly fallbackFor: unknown;
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
  cfg: HarnessConfig,
  clock: FakeClock,
  seed: number,
): ConstructorParameters<typeof CircuitBreaker>[0] {
  return {
    name: 'model',
    window: cfg.window,
    ...(cfg.failureThresholdGiven ? { failureThreshold: cfg.failureThreshold } : {}),
    minimumCalls: cfg.minimumCalls,
    recoveryTimeout: cfg.recoveryTimeout,
    halfOpenRequests: cfg.halfOpenRequests,
    successThreshold: cfg.successThreshold,
    timeout: cfg.timeout,
    recoveryBackoff: cfg.recoveryBackoff ?? false,
    ...(cfg.failureRateThreshold === undefined ? {} : { failureRateThreshold: cfg.failureRateThreshold }),
    ...(cfg.slowCallDuration === undefined ? {} : { slowCallDuration: cfg.slowCallDuration }),
    ...(cfg.slowCallRateThreshold === undefined ? {} : { slowCallRateThreshold: cfg.slowCallRateThreshold }),
    ...(cfg.fallback === true
      ? { fallback: (error: unknown): FallbackAnswer => ({ fallbackFor: error }) }
      : {}),
    ...(cfg.initialState === undefined
      ? {}
      : { initialState: { version: 1 as const, name: 'model', ...cfg.initialState } }),
    isFailure: (error) => !(error instanceof IgnoredError),
    isResultFailure: (result) => (result as Result).bad,
    clock,
    random: seededRandom(seed),
  };
}

/** True when successes can move a decision (a rate or slow-call rule): the breaker times them. */
function successesDecide(cfg: ModelConfig): boolean {
  return (
    cfg.failureRateThreshold !== undefined ||
    cfg.slowCallRateThreshold !== undefined ||
    cfg.slowCallDuration !== undefined
  );
}

/**
 * A fleet member the commands script (no store): closed, open or isolated fleet-wide, healthy or
 * degraded. Like a real member it reports each change to its host, and when it degrades while
 * the fleet is open it opens the local breaker for the fleet's remaining time.
 */
class ScriptedMember implements FleetMember {
  healthy = true;
  state: FleetState = 'closed';
  generation = 7;
  #retryAfterMs = 0;
  constructor(readonly host: FleetHost) {}
  admit(): number {
    return this.healthy && (this.state === 'open' || this.state === 'isolated')
      ? FLEET_REJECT
      : this.generation;
  }
  get ticket(): number {
    const verdict = this.admit();
    return verdict === FLEET_REJECT ? FLEET_CHECK : verdict;
  }
  retryAfterMs(): number {
    return this.state === 'isolated' ? Infinity : this.#retryAfterMs;
  }
  acquire(): Promise<FleetLease | undefined> {
    return Promise.resolve(undefined); // the script never admits fleet probes
  }
  record(): void {}
  settle(): void {}
  close(): Promise<void> {
    return Promise.resolve();
  }
  change(to: 'closed' | 'open' | 'isolated' | 'degrade' | 'restore', ms: number): void {
    switch (to) {
      case 'degrade': {
        const wasOpen = this.healthy && this.state === 'open';
        this.healthy = false;
        if (wasOpen) this.host.openLocally(this.#retryAfterMs);
        this.host.report({
          kind: 'degraded',
          state: this.state,
          generation: this.generation,
          healthy: false,
        });
        return;
      }
      case 'restore':
        this.healthy = true;
        this.host.report({ kind: 'restored', state: this.state, generation: this.generation, healthy: true });
        return;
      default:
        this.state = to;
        this.#retryAfterMs = ms;
        this.generation++;
        this.host.report({
          kind: 'transition',
          state: to,
          generation: this.generation,
          healthy: this.healthy,
        });
    }
  }
}

export class Harness {
  readonly clock = new FakeClock(0);
  readonly breaker: CircuitBreaker;
  readonly model: ReferenceModel;
  readonly #calls: LiveCall[] = [];
  readonly #cfg: HarnessConfig;
  readonly #mode: Mode;
  readonly #seed: number;
  readonly log: string[] = [];
  #member: ScriptedMember | undefined;
  /** Call events the breaker's listeners or telemetry stream received, and the transitions. */
  #events: string[] = [];
  #modelEventsSeen = 0;
  readonly #transitions: string[] = [];
  /** Time windows on the untimed success lanes file successes in a bucket no newer than their end. */
  readonly #approximateWindow: boolean;
  #step = 0;

  constructor(cfg: HarnessConfig, seed: number, mode: Mode) {
    this.#cfg = cfg;
    this.#mode = mode;
    this.#seed = seed;
    const timedByListeners = cfg.listening === 'all' || cfg.listening === 'telemetry';
    this.#approximateWindow =
      mode !== 'observed' && cfg.window.type === 'time' && !successesDecide(cfg) && !timedByListeners;
    const telemetry = cfg.listening === 'telemetry' ? new Telemetry() : undefined;
    const fleet: Fleet | undefined =
      cfg.fleet === true ? { attach: (host) => (this.#member = new ScriptedMember(host)) } : undefined;
    this.breaker = new CircuitBreaker({
      ...toOptions(cfg, this.clock, seed),
      ...(telemetry === undefined ? {} : { telemetry }),
      ...(fleet === undefined ? {} : { fleet }),
    });
    this.model = new ReferenceModel(cfg, seededRandom(seed), 0);
    this.#listen(telemetry);
    const untimedLane = cfg.timeout === false && !successesDecide(cfg) && !timedByListeners;
    this.model.note(`config: ${untimedLane ? 'untimed closed lane' : 'timed or guarded calls'}`);
    this.model.note(`config: listening ${cfg.listening}`);
    if (cfg.fleet === true) this.model.note('config: fleet');
    if (!cfg.failureThresholdGiven && (cfg.failureRateThreshold ?? cfg.slowCallRateThreshold) !== undefined)
      this.model.note('config: rate rule alone');
  }

  #listen(telemetry: Telemetry | undefined): void {
    const b = this.breaker;
    const fleet = this.#cfg.fleet === true;
    const push = (e: string): number => this.#events.push(e);
    const transition = (from: string, to: string, reason: string, generation: number): void => {
      // With a fleet an effective change may show a local reason or `fleet`, depending on which
      // side was seen to move first: only the states and the generation are compared.
      this.#transitions.push(
        fleet ? `${from}>${to} g${generation}` : `${from}>${to} ${reason} g${generation}`,
      );
    };
    const listening = this.#cfg.listening;
    if (listening === 'all') {
      b.on('success', (e) => push(callEvent('success', e.generation, e.durationMs, e.slow)));
      b.on('failure', (e) => push(callEvent('failure', e.generation, e.durationMs, e.slow)));
      b.on('timeout', (e) => push(callEvent('timeout', e.generation, e.durationMs)));
      b.on('ignored', (e) => push(`ignored g${e.generation} d${e.durationMs} aborted=${e.aborted}`));
    }
    switch (listening) {
      case 'none':
        return;
      case 'all':
      case 'transitions': // these alone leave calls untimed
        b.on('rejected', (e) => push(`rejected ${e.state} ${String(round(e.retryAfterMs))}`));
        b.on('fallback', () => push('fallback'));
        b.on('stateChange', (e) => transition(e.from, e.to, e.reason, e.generation));
        return;
      case 'telemetry':
        telemetry?.subscribe((e: TelemetryEvent) => {
          if (e.type === 'call') push(`call ${e.outcome} d${e.durationMs} slow=${e.slow}`);
          else if (e.type === 'fallback') push('fallback');
          else if (e.type === 'transition') transition(e.from, e.to, e.reason, e.generation);
        });
    }
  }

  /** The model's call events as the configured channel shows them. */
  #format(e: ModelEvent): string | undefined {
    switch (this.#cfg.listening) {
      case 'none':
        return undefined;
      case 'transitions':
        if (e.ev === 'rejected') return `rejected ${e.state ?? ''} ${String(round(e.retryAfterMs ?? 0))}`;
        return e.ev === 'fallback' ? 'fallback' : undefined;
      case 'all':
        switch (e.ev) {
          case 'success':
          case 'failure':
            return callEvent(e.ev, e.generation, e.durationMs, e.slow);
          case 'timeout':
            return callEvent('timeout', e.generation, e.durationMs);
          case 'ignored':
            return `ignored g${String(e.generation)} d${String(e.durationMs)} aborted=${String(e.aborted)}`;
          case 'rejected':
            return `rejected ${e.state ?? ''} ${String(round(e.retryAfterMs ?? 0))}`;
          case 'fallback':
            return 'fallback';
        }
        return undefined;
      case 'telemetry':
        if (e.ev === 'fallback') return 'fallback';
        if (e.ev === 'rejected') return 'call rejected dNaN slow=false';
        return `call ${e.ev} d${String(e.durationMs)} slow=${String(e.slow)}`;
    }
  }

  /** Runs one command on both sides, lets promises settle, then compares what callers see. */
  async step(cmd: Command): Promise<void> {
    if (this.#mode === 'observed' && this.#step === 0) this.check(); // read before anything happens, too
    this.log.push(JSON.stringify(cmd));
    this.#apply(cmd);
    await settle();
    this.#checkCallers();
    const i = this.#step++;
    const readHere =
      this.#mode === 'observed' ||
      (this.#mode === 'mixed' && (cmd.kind === 'read' || Math.imul(this.#seed ^ i, 0x9e3779b1) >>> 29 === 0));
    if (readHere) this.check();
  }

  /** The last comparison of a run: everything, whatever the mode. */
  finish(): void {
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
        if (this.#mode !== 'unobserved') this.log.push(`  (read: ${breaker.state})`);
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
      case 'extendOpen': {
        const got = breaker.extendOpen(cmd.ms);
        const want = model.extendOpen(cmd.ms);
        if (got !== want) this.#fail(`extendOpen(${cmd.ms}) returned ${got}, the model says ${want}`);
        return;
      }
      case 'burst':
        return this.#burst(cmd.n, cmd.failMask);
      case 'fleet':
        if (this.#member === undefined) return;
        this.#member.change(cmd.to, cmd.ms);
        return model.fleetChange(cmd.to, cmd.ms);
      default:
        return this.#onCall(cmd.kind, cmd.pick);
    }
  }

  #newCall(signal: boolean): LiveCall {
    const call: LiveCall = {
      id: this.#calls.length,
      start: this.clock.now(),
      controller: signal ? new AbortController() : undefined,
      fnCalled: false,
      fnSettled: false,
    };
    this.#calls.push(call);
    return call;
  }

  #watch(call: LiveCall, promise: Promise<unknown>): void {
    promise.then(
      (value) => (call.got = { ok: true, value }),
      (error: unknown) => (call.got = { ok: false, error }),
    );
  }

  #start(signal: boolean): void {
    const call = this.#newCall(signal);
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
    this.#watch(call, promise);
    this.model.start(call.id, signal);
  }

  /** Calls whose functions settle at once: admitted together, settled in order on the next turn. */
  #burst(n: number, failMask: number): void {
    const calls: LiveCall[] = [];
    for (let i = 0; i < n; i++) {
      const call = this.#newCall(false);
      const fails = ((failMask >>> (i % 31)) & 1) === 1;
      const produced: unknown = fails ? new Error(`failure ${call.id}`) : { id: call.id, bad: false };
      calls.push(call);
      const promise = this.breaker.execute(() => {
        call.fnCalled = true;
        call.fnSettled = true;
        call.produced = produced;
        return fails ? Promise.reject(produced) : Promise.resolve(produced as Result);
      });
      this.#watch(call, promise);
      this.model.start(call.id, false);
    }
    for (const [i, call] of calls.entries()) {
      if (((failMask >>> (i % 31)) & 1) === 1) this.model.reject(call.id, false);
      else this.model.resolve(call.id, false);
    }
    if (n >= 64) this.model.note('burst of 64 or more');
  }

  #onCall(kind: Extract<Command, { readonly pick: number }>['kind'], pick: number): void {
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

  /**
   * What callers see, without reading the breaker: every call's answer, and the call events
   * delivered since the last step (compared as multisets: within one step a rejection's fallback
   * runs a turn after its `rejected` event).
   */
  #checkCallers(): void {
    for (const call of this.#calls) {
      const problem = mismatch(this.model.answer(call.id), call);
      if (problem !== undefined) this.#fail(`call ${call.id}: ${problem}`);
    }
    const fresh = this.model.events.slice(this.#modelEventsSeen);
    this.#modelEventsSeen = this.model.events.length;
    const want = fresh.flatMap((e) => this.#format(e) ?? []).sort();
    const got = this.#events.sort();
    this.#events = [];
    if (JSON.stringify(want) !== JSON.stringify(got)) {
      this.#fail(`call events differ\n model:   ${JSON.stringify(want)}\n breaker: ${JSON.stringify(got)}`);
    }
  }

  /** Reads the breaker (stats, state, toJSON) and compares everything, transitions included. */
  check(): void {
    const want = this.model.view();
    const s = this.breaker.stats;
    const got = {
      state: s.state,
      localState: s.localState,
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
        fallbacks: s.totals.fallbacks,
      },
    };
    const wantCmp = { ...want, retryAfterMs: round(want.retryAfterMs) };
    const gotCmp = { ...got, retryAfterMs: round(got.retryAfterMs) };
    if (this.#approximateWindow) {
      // A success on an untimed lane is filed in the newest bucket the window has seen (or the
      // one its call started in), never a newer one than its end: it may drop out early, never
      // late. Failures and slow calls are filed at their time.
      const calls = got.window.calls;
      if (calls > want.window.calls || calls < got.window.failures) {
        this.#fail(
          `window.calls ${calls} outside [failures ${got.window.failures}, model ${want.window.calls}]`,
        );
      }
      if (calls !== want.window.calls) this.model.note('success filed in an older bucket');
      gotCmp.window = { ...gotCmp.window, calls: want.window.calls };
    }
    if (JSON.stringify(wantCmp) !== JSON.stringify(gotCmp)) {
      this.#fail(
        `stats differ at t=${this.clock.now()}\n model:   ${JSON.stringify(wantCmp)}\n breaker: ${JSON.stringify(gotCmp)}`,
      );
    }
    const state = this.breaker.state;
    if (state !== want.state) this.#fail(`state ${state}, the model says ${want.state}`);
    const { version, name, ...snap } = this.breaker.toJSON();
    const wantSnap = this.model.snapshot();
    const norm = (o: object) =>
      JSON.stringify(
        Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b))),
        (k, v: unknown) => (k === 'openRemainingMs' ? round(v as number) : v),
      );
    if ((version as number) !== 1 || name !== 'model' || norm(snap) !== norm(wantSnap)) {
      this.#fail(`toJSON() ${JSON.stringify({ version, name, ...snap })}, the model says ${norm(wantSnap)}`);
    }
    this.#checkTransitions();
  }

  #checkTransitions(): void {
    if (this.#cfg.listening === 'none') return;
    const fleet = this.#cfg.fleet === true;
    if (fleet && this.#mode !== 'observed') {
      // A local transition caught up late is combined with the fleet's verdict of the moment it
      // is caught up, not of the moment it fell due: an effective state that nobody read (local
      // half-open while the fleet was closed, before the fleet opened) may go unreported. The
      // reported changes must still chain and end in the effective state.
      let at: string = this.model.transitions.length === 0 ? this.model.view().state : '';
      for (const t of this.#transitions) {
        const [from = '', to = ''] = (t.split(' ')[0] ?? '').split('>');
        if (at !== '' && from !== at)
          this.#fail(`transition ${t} does not follow ${at}: ${this.#transitions.join(', ')}`);
        at = to;
      }
      const last = this.#transitions.at(-1);
      const want = this.model.view().state;
      if (last !== undefined && at !== want) this.#fail(`transitions end in ${at}, the state is ${want}`);
      if (this.#transitions.length !== this.model.transitions.length)
        this.model.note('fleet: unread effective state unreported');
      return;
    }
    const want = this.model.transitions.map((t) => (fleet ? t.replace(/ \S+ (g\d+)$/, ' $1') : t));
    if (JSON.stringify(want) !== JSON.stringify(this.#transitions)) {
      this.#fail(
        `transitions differ at t=${this.clock.now()}\n model:   ${JSON.stringify(want)}\n breaker: ${JSON.stringify(this.#transitions)}`,
      );
    }
  }

  #fail(message: string): never {
    throw new Error(`[${this.#mode}] ${message}\n steps:\n  ${this.log.join('\n  ')}`);
  }

  /** Lets every function still running finish, so nothing is left pending after a run. */
  async drain(): Promise<void> {
    for (const call of this.#calls)
      if (call.fnCalled && !call.fnSettled) call.resolve?.({ id: call.id, bad: false });
    await settle();
  }
}

function callEvent(ev: string, generation?: number, durationMs?: number, slow?: boolean): string {
  return `${ev} g${String(generation)} d${String(durationMs)}${slow === undefined ? '' : ` slow=${slow}`}`;
}

function round(ms: number): number | string {
  return Number.isFinite(ms) ? Math.round(ms * 1e6) / 1e6 : String(ms);
}

/** Checks the error a caller got (directly, or handed to the fallback when `viaFallback`). */
function answerError(
  call: LiveCall,
  viaFallback: boolean,
  ok: (error: unknown) => boolean,
  expected: string,
): string | undefined {
  const got = call.got;
  if (viaFallback) {
    const value = got?.ok === true ? (got.value as Partial<FallbackAnswer> | undefined) : undefined;
    return value !== undefined && typeof value === 'object' && 'fallbackFor' in value && ok(value.fallbackFor)
      ? undefined
      : `expected the fallback's answer to ${expected}, got ${describe(got)}`;
  }
  return got?.ok === false && ok(got.error) ? undefined : `expected ${expected}, got ${describe(got)}`;
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
      return answerError(
        call,
        want.fallback,
        (e) =>
          isCircuitOpenError(e) &&
          e.state === want.state &&
          e.source === want.source &&
          round(e.retryAfterMs) === round(want.retryAfterMs),
        `CircuitOpenError(${want.state}, ${want.retryAfterMs}, ${want.source})`,
      );
    case 'value':
      return got?.ok === true && got.value === call.produced
        ? undefined
        : `expected its own value, got ${describe(got)}`;
    case 'thrown':
      return answerError(call, want.fallback, (e) => e === call.produced, 'its own error');
    case 'timeout':
      return answerError(call, want.fallback, isCallTimeoutError, 'CallTimeoutError');
    case 'aborted':
      return got?.ok === false && got.error === call.controller?.signal.reason
        ? undefined
        : `expected the abort reason, got ${describe(got)}`;
  }
}

function describe(got: LiveCall['got']): string {
  if (got === undefined) return 'pending';
  if (got.ok) {
    const v = got.value as Partial<FallbackAnswer> | undefined;
    if (v !== undefined && typeof v === 'object' && 'fallbackFor' in v)
      return `fallback answer for ${describe({ ok: false, error: v.fallbackFor })}`;
    return `value ${JSON.stringify(got.value)}`;
  }
  const e = got.error as {
    name?: string;
    message?: string;
    state?: string;
    retryAfterMs?: number;
    source?: string;
  };
  return `error ${e.name ?? ''} ${e.message ?? String(got.error)}${e.state === undefined ? '' : ` state=${e.state} retryAfterMs=${e.retryAfterMs ?? ''} source=${e.source ?? ''}`}`;
}

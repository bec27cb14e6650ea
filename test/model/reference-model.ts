/**
 * A small reference model of the circuit breaker, written from the contract (docs/contract.md §1–§7) alone (not from
 * the library's state machine). It is eager where the library is lazy: time-driven transitions
 * happen in `advance()` at the moment they fall due, which is what a lazy breaker must look like
 * to anyone who reads its state. Calls are identified by the test's ids; the model says how each
 * call must end and what the breaker must report.
 */
import { ReferenceWindow, type ModelWindowConfig, type WindowCounts } from './reference-window.js';

export type ModelState = 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled' | 'metrics-only';

/** The breaker options the model understands (defaults already applied). */
export interface ModelConfig {
  readonly window: ModelWindowConfig;
  readonly failureThreshold: number; // Infinity: rule off
  readonly failureRateThreshold?: number;
  readonly slowCallDuration?: number;
  readonly slowCallRateThreshold?: number;
  readonly minimumCalls: number;
  readonly recoveryTimeout: number;
  readonly recoveryBackoff?: { readonly multiplier: number; readonly max: number; readonly jitter: number };
  readonly halfOpenRequests: number;
  readonly successThreshold: number;
  readonly timeout: number | false;
  /** A `fallback` option answers rejections, counted failures and timeouts. */
  readonly fallback?: boolean;
  /** Start from this snapshot (`initialState`). */
  readonly initialState?: ModelSnapshot;
  /** A scripted fleet member is attached (`fleet` option). */
  readonly fleet?: boolean;
}

/** A restorable state, as `toJSON()` gives it and `initialState` takes it. */
export interface ModelSnapshot {
  readonly state: ModelState;
  readonly generation: number;
  readonly openRemainingMs?: number;
  readonly reopens: number;
}

/** The fleet as the scripted member reports it. */
export interface ModelFleet {
  state: 'closed' | 'open' | 'isolated';
  healthy: boolean;
  /** What the member answers for `retryAfterMs` while it refuses calls. */
  retryAfterMs: number;
}

/** An event a listener or the telemetry stream receives for a call (channel-neutral). */
export interface ModelEvent {
  readonly ev: 'success' | 'failure' | 'timeout' | 'ignored' | 'rejected' | 'fallback';
  readonly generation?: number | undefined;
  readonly durationMs?: number;
  readonly slow?: boolean;
  readonly aborted?: boolean;
  readonly state?: string;
  readonly retryAfterMs?: number;
}

/** Generations start again at 0 after the largest safe integer. */
const MAX_GENERATION = Number.MAX_SAFE_INTEGER;

/** How a call must end, as far as its caller can see. */
export type Answer =
  | { readonly kind: 'pending' }
  | {
      readonly kind: 'rejected';
      readonly state: 'open' | 'half-open' | 'isolated';
      readonly retryAfterMs: number;
      readonly source: 'local' | 'fleet';
      readonly fallback: boolean; // the fallback answered, with the CircuitOpenError
    }
  | { readonly kind: 'value' } // the function's own result
  | { readonly kind: 'thrown'; readonly fallback: boolean } // the function's own error (or the fallback's answer to it)
  | { readonly kind: 'timeout'; readonly fallback: boolean }
  | { readonly kind: 'aborted' }; // the caller's abort reason

interface Call {
  readonly id: number;
  readonly start: number;
  /** Generation at admission; `undefined` for calls passed through by a disabled breaker. */
  readonly generation: number | undefined;
  readonly deadline: number;
  readonly abortable: boolean;
  answer: Answer;
  /** Answered by its caller's abort while its function still runs: it holds its permit (docs/contract.md §6.3). */
  held?: boolean;
}

/** What the breaker must report after each step. */
export interface ModelView {
  readonly state: ModelState;
  readonly localState: ModelState;
  readonly generation: number;
  readonly retryAfterMs: number;
  readonly inFlight: number;
  readonly probesInFlight: number;
  readonly window: WindowCounts;
  readonly totals: Readonly<
    Record<'calls' | 'successes' | 'failures' | 'timeouts' | 'ignored' | 'rejected' | 'fallbacks', number>
  >;
}

const PENDING: Answer = { kind: 'pending' };

export class ReferenceModel {
  now: number;
  state: ModelState = 'closed';
  generation = 0;
  #openUntil = 0;
  #reopens = 0; // consecutive re-opens from half-open (recoveryBackoff)
  #probes = new Set<number>();
  #probeSuccesses = 0;
  readonly #calls = new Map<number, Call>();
  readonly #window: ReferenceWindow;
  readonly #cfg: ModelConfig;
  readonly #random: () => number;
  readonly totals = {
    calls: 0,
    successes: 0,
    failures: 0,
    timeouts: 0,
    ignored: 0,
    rejected: 0,
    fallbacks: 0,
  };
  /** How often each interesting situation happened, so a test can show what it covered. */
  readonly seen = new Map<string, number>();
  /** Call events (success, failure, …, rejected, fallback) in the order the model produced them. */
  readonly events: ModelEvent[] = [];
  /** Changes of the effective state, as `from>to reason g<generation>`. */
  readonly transitions: string[] = [];
  readonly fleet: ModelFleet = { state: 'closed', healthy: true, retryAfterMs: 0 };
  /** The effective state last reported (see `#show`). */
  #shown: ModelState;

  constructor(cfg: ModelConfig, random: () => number, now = 0) {
    this.#cfg = cfg;
    this.#random = random;
    this.now = now;
    this.#window = new ReferenceWindow(cfg.window);
    const snap = cfg.initialState;
    if (snap !== undefined) {
      // The snapshot's state, generation and backoff; no window, no probes (docs/contract.md §11.1).
      this.state = snap.state;
      this.generation = snap.generation;
      this.#reopens = snap.reopens;
      if (snap.state === 'open') this.#openUntil = now + (snap.openRemainingMs ?? cfg.recoveryTimeout);
      this.#note(`restored ${snap.state}`);
    }
    this.#shown = this.state;
  }

  answer(id: number): Answer {
    return this.#calls.get(id)?.answer ?? PENDING;
  }

  /** A caller calls `execute`; `abortable` when it passes a signal. Returns the admission answer. */
  start(id: number, abortable: boolean): Answer {
    this.advance(0); // what fell due at this very moment (an open period of 0 ms)
    const now = this.now;
    const timeout = this.#cfg.timeout;
    const admit = (generation: number | undefined): Answer => {
      const deadline = generation === undefined || timeout === false ? Infinity : now + timeout;
      this.#calls.set(id, { id, start: now, generation, deadline, abortable, answer: PENDING });
      if (generation !== undefined) this.totals.calls++;
      return PENDING;
    };
    const reject = (
      state: 'open' | 'half-open' | 'isolated',
      retryAfterMs: number,
      source: 'local' | 'fleet' = 'local',
    ): Answer => {
      this.totals.rejected++;
      this.events.push({ ev: 'rejected', state, retryAfterMs });
      const fallback = this.#fallback();
      const answer: Answer = { kind: 'rejected', state, retryAfterMs, source, fallback };
      this.#calls.set(id, { id, start: now, generation: undefined, deadline: Infinity, abortable, answer });
      return answer;
    };
    // With a fleet, a call the local breaker would admit is refused while the fleet refuses.
    const imposed = this.#fleetImposes();
    switch (this.state) {
      case 'disabled': // pass through untouched: no admission, no timeout, nothing recorded
        return admit(undefined);
      case 'closed':
        if (imposed !== undefined) {
          this.#note(`fleet rejects (${imposed})`);
          return reject(imposed, this.#fleetRetryAfterMs(), 'fleet');
        }
        return admit(this.generation);
      case 'metrics-only':
        return admit(this.generation);
      case 'half-open':
        if (this.#probes.size >= this.#cfg.halfOpenRequests) {
          this.#note('reject half-open');
          return reject('half-open', 0);
        }
        if (imposed !== undefined) {
          this.#note('fleet rejects a local probe');
          return reject(imposed, this.#fleetRetryAfterMs(), 'fleet');
        }
        this.#probes.add(id);
        return admit(this.generation);
      case 'open':
        return reject('open', this.#openUntil - now);
      case 'isolated':
        return reject('isolated', Infinity);
    }
  }

  /** The function resolves; `counted` false would be a result `isResultFailure` flags. */
  resolve(id: number, resultIsFailure: boolean): void {
    this.#settleHeld(id);
    const call = this.#live(id);
    if (call === undefined) return;
    call.answer = { kind: 'value' };
    if (call.generation === undefined) return;
    if (resultIsFailure) this.totals.failures++;
    else this.totals.successes++;
    this.#event(resultIsFailure ? 'failure' : 'success', call);
    this.#outcome(call, resultIsFailure);
  }

  /** The function rejects; `ignored` when `isFailure` says the error does not count. */
  reject(id: number, ignored: boolean): void {
    this.#settleHeld(id);
    const call = this.#live(id);
    if (call === undefined) return;
    if (call.generation === undefined) {
      call.answer = { kind: 'thrown', fallback: false }; // passed through: no fallback
      return;
    }
    if (ignored) {
      call.answer = { kind: 'thrown', fallback: false };
      this.#note('ignored error');
      this.totals.ignored++;
      this.#event('ignored', call, { aborted: false, slow: false });
      this.#release(call);
    } else {
      this.totals.failures++;
      this.#event('failure', call);
      call.answer = { kind: 'thrown', fallback: this.#fallback() };
      this.#outcome(call, true);
    }
  }

  /**
   * The caller's signal aborts: rejected at once, not counted (docs/contract.md §7.2). The permit stays taken
   * until the function settles or its deadline passes (docs/contract.md §6.3).
   */
  abort(id: number): void {
    const call = this.#live(id);
    if (call?.generation === undefined || !call.abortable) return;
    call.answer = { kind: 'aborted' };
    call.held = true;
    this.#note('abort');
    this.totals.ignored++;
    this.#event('ignored', call, { aborted: true, slow: false });
  }

  /** The function of a call its caller aborted settles: the permit is released, nothing counted. */
  #settleHeld(id: number): void {
    const call = this.#calls.get(id);
    if (call?.held !== true) return;
    call.held = false;
    this.#note('aborted call settles');
    this.#release(call);
  }

  /** Moves time forward, applying every timeout and time-driven transition when it falls due. */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const due = this.#nextDue();
      if (due === undefined || due.at > target) break;
      this.now = due.at;
      due.run();
    }
    this.now = target;
  }

  // Manual actions act on the state at this moment: what fell due at it (an open period of 0 ms)
  // happens first.
  isolate(): void {
    this.advance(0);
    if (this.state !== 'isolated') this.#transition('isolated', 'isolate');
  }
  disable(): void {
    this.advance(0);
    if (this.state !== 'disabled') this.#transition('disabled', 'disable');
  }
  metricsOnly(): void {
    this.advance(0);
    if (this.state !== 'metrics-only') this.#transition('metrics-only', 'metrics-only');
  }
  /** Back to a fresh closed from any state (closed included: it is a new generation). */
  reset(): void {
    this.advance(0);
    this.#transition('closed', 'reset');
  }

  /** `extendOpen(ms)`: while open, stays open until at least now + ms; never shortens. */
  extendOpen(ms: number): boolean {
    this.advance(0);
    if (this.state !== 'open' || this.now + ms <= this.#openUntil) return false;
    this.#note('extendOpen lengthens');
    this.#openUntil = this.now + ms;
    return true;
  }

  /**
   * The scripted fleet changes and reports it. `degrade` while the fleet is open opens a closed
   * local breaker for the fleet's remaining time (reason `fleet`), as a real member does.
   */
  fleetChange(to: 'closed' | 'open' | 'isolated' | 'degrade' | 'restore', retryAfterMs: number): void {
    this.advance(0);
    const f = this.fleet;
    switch (to) {
      case 'degrade': {
        const wasOpen = f.healthy && f.state === 'open';
        f.healthy = false;
        if (wasOpen && this.state === 'closed') {
          this.#note('fleet opens the local breaker');
          this.#transition('open', 'fleet');
          this.#openUntil = this.now + f.retryAfterMs;
        }
        break;
      }
      case 'restore':
        f.healthy = true;
        break;
      default:
        f.state = to;
        f.retryAfterMs = to === 'isolated' ? Infinity : retryAfterMs;
    }
    this.#show('fleet');
  }

  /** What `toJSON()` must return (the effective state; an open fleet saves as open for its time). */
  snapshot(): ModelSnapshot {
    const v = this.view();
    return {
      state: v.state,
      generation: this.generation,
      ...(v.state === 'open' ? { openRemainingMs: v.retryAfterMs } : {}),
      reopens: this.#reopens,
    };
  }

  view(): ModelView {
    this.advance(0);
    let inFlight = 0;
    for (const c of this.#calls.values())
      if (c.generation !== undefined && c.answer.kind === 'pending') inFlight++;
    const state = this.#effective();
    const local =
      this.state === 'open' ? this.#openUntil - this.now : this.state === 'isolated' ? Infinity : 0;
    return {
      state,
      localState: this.state,
      generation: this.generation,
      retryAfterMs: state === this.state ? local : this.#fleetRetryAfterMs(),
      inFlight,
      probesInFlight: this.state === 'half-open' ? this.#probes.size : 0,
      window: this.#window.counts(this.now),
      totals: { ...this.totals },
    };
  }

  /** A call still waiting for its function, or undefined when it was already answered. */
  #live(id: number): Call | undefined {
    const call = this.#calls.get(id);
    return call?.answer.kind === 'pending' ? call : undefined;
  }

  #nextDue(): { at: number; run: () => void } | undefined {
    let best: { at: number; run: () => void } | undefined;
    const consider = (at: number, run: () => void): void => {
      if (best === undefined || at < best.at) best = { at, run };
    };
    if (this.state === 'open')
      consider(this.#openUntil, () => this.#transition('half-open', 'recovery-timeout'));
    if (this.state === 'half-open' && this.#cfg.timeout === false) {
      // docs/contract.md §6.4: without timeouts a probe's deadline is recoveryTimeout; at it the probe counts
      // as a failure and the circuit re-opens.
      for (const id of this.#probes) {
        const probe = this.#calls.get(id);
        if (probe !== undefined) {
          consider(probe.start + this.#cfg.recoveryTimeout, () => {
            this.#note('probe deadline');
            this.#reopen('probe-deadline');
          });
        }
      }
    }
    // Timeouts fire in deadline order; ties in admission order (Map order).
    for (const call of this.#calls.values()) {
      if (call.held === true && call.deadline < Infinity) {
        // An aborted call's function still running at its deadline: its permit ends there, and a
        // probe still running at its deadline is a failure (docs/contract.md §6.4), uncounted in the totals.
        consider(call.deadline, () => {
          call.held = false;
          if (
            this.state === 'half-open' &&
            this.#probes.has(call.id) &&
            call.generation === this.generation
          ) {
            this.#note('aborted probe deadline');
            this.#reopen('probe-deadline');
          }
        });
      }
      if (call.answer.kind === 'pending' && call.deadline < Infinity) {
        consider(call.deadline, () => {
          this.#note('timeout');
          this.totals.timeouts++;
          this.#event('timeout', call);
          call.answer = { kind: 'timeout', fallback: this.#fallback() };
          // docs/contract.md §2.2: a timeout is a failure. A probe timing out reaches its probe deadline (the
          // deadline of a timed probe is its timeout): the re-open gives that reason.
          this.#outcome(call, true, 'probe-deadline');
        });
      }
    }
    return best;
  }

  /** A counted outcome of an admitted call. */
  #outcome(call: Call, failure: boolean, probeFailure = 'probe-failure'): void {
    // docs/contract.md §6.5: an outcome from an older generation changes nothing but the totals.
    if (call.generation !== this.generation) {
      this.#note(`late outcome while ${this.state}`);
      return;
    }
    const c = this.#cfg;
    const slow = c.slowCallDuration !== undefined && this.now - call.start >= c.slowCallDuration;
    switch (this.state) {
      case 'closed':
        this.#window.add(this.now, failure, slow);
        {
          const reason = this.#tripped();
          if (reason !== undefined) this.#open(0, reason);
        }
        return;
      case 'metrics-only':
        this.#window.add(this.now, failure, slow);
        return;
      case 'half-open':
        this.#probes.delete(call.id);
        if (failure) this.#reopen(probeFailure);
        else if (++this.#probeSuccesses >= c.successThreshold) this.#transition('closed', 'probe-success');
        return;
      default:
        throw new Error(`model: a current-generation call cannot be in flight while ${this.state}`);
    }
  }

  #release(call: Call): void {
    if (call.generation === this.generation && this.state === 'half-open') this.#probes.delete(call.id);
  }

  /** docs/contract.md §4.1, every rule with ≥. */
  #tripped(): string | undefined {
    const c = this.#cfg;
    const w = this.#window.counts(this.now);
    // The option docs: with a count window, minimumCalls is at most its size.
    const minimum = c.window.type === 'count' ? Math.min(c.minimumCalls, c.window.size) : c.minimumCalls;
    if (w.failures >= c.failureThreshold) return this.#note('trip: failure count', 'failure-threshold');
    if (
      c.failureRateThreshold !== undefined &&
      w.calls >= minimum &&
      w.failures / w.calls >= c.failureRateThreshold
    )
      return this.#note('trip: failure rate', 'failure-rate');
    if (
      c.slowCallRateThreshold !== undefined &&
      w.calls >= minimum &&
      w.slowCalls / w.calls >= c.slowCallRateThreshold
    )
      return this.#note('trip: slow-call rate', 'slow-call-rate');
    return undefined;
  }

  #note<T = true>(what: string, value: T = true as T): T {
    this.seen.set(what, (this.seen.get(what) ?? 0) + 1);
    return value;
  }

  /** Notes a situation the test found (kept with the model's own, for the coverage report). */
  note(what: string): void {
    this.#note(what);
  }

  #reopen(reason: string): void {
    this.#open(this.#reopens + 1, reason);
  }

  #open(reopens: number, reason: string): void {
    this.#reopens = reopens;
    // The duration is drawn before the transition is reported, as the breaker does.
    const until = this.now + this.#openDuration(reopens);
    this.#transition('open', reason);
    this.#openUntil = until;
  }

  /** True (and counted) when a fallback answers instead of an error. */
  #fallback(): boolean {
    if (this.#cfg.fallback !== true) return false;
    this.totals.fallbacks++;
    this.events.push({ ev: 'fallback' });
    this.#note('fallback');
    return true;
  }

  #event(
    ev: 'success' | 'failure' | 'timeout' | 'ignored',
    call: Call,
    extra: Partial<ModelEvent> = {},
  ): void {
    const durationMs = this.now - call.start;
    const d = this.#cfg.slowCallDuration;
    const slow = d !== undefined && durationMs >= d;
    this.events.push({ ev, generation: call.generation, durationMs, slow, ...extra });
  }

  /** What the fleet imposes on a local breaker that would admit (closed or half-open), if anything. */
  #fleetImposes(): 'open' | 'isolated' | undefined {
    const f = this.fleet;
    if (this.#cfg.fleet !== true || !f.healthy || f.state === 'closed') return undefined;
    return f.state;
  }

  #fleetRetryAfterMs(): number {
    return this.fleet.retryAfterMs;
  }

  /** The state that governs the next call (docs/fleet.md, "The effective state"). */
  #effective(): ModelState {
    if (this.state !== 'closed' && this.state !== 'half-open') return this.state;
    return this.#fleetImposes() ?? this.state;
  }

  /**
   * Reports a change of the effective state, once. A plain breaker reports every transition (a
   * reset of a closed breaker too); with a fleet, only changes of the effective state are reported.
   */
  #show(reason: string, from?: ModelState): void {
    const to = this.#effective();
    if (this.#cfg.fleet !== true && from !== undefined) {
      this.transitions.push(`${from}>${to} ${reason} g${this.generation}`);
      this.#shown = to;
      return;
    }
    if (to === this.#shown) return;
    this.transitions.push(`${this.#shown}>${to} ${reason} g${this.generation}`);
    this.#shown = to;
  }

  /** docs/contract.md §5.2 recoveryBackoff: multiplied per re-open from half-open, capped, ± jitter. */
  #openDuration(reopens: number): number {
    const b = this.#cfg.recoveryBackoff;
    const base = this.#cfg.recoveryTimeout;
    if (b === undefined) return base;
    if (reopens > 0) this.#note('backoff re-open');
    const spread = 1 + b.jitter * (2 * this.#random() - 1);
    return Math.min(Math.min(base * b.multiplier ** reopens, b.max) * spread, b.max);
  }

  #transition(to: ModelState, reason: string): void {
    const from = this.state;
    this.#note(`${this.state} -> ${to}`);
    this.state = to;
    this.generation = this.generation < MAX_GENERATION ? this.generation + 1 : 0;
    if (this.generation === 0) this.#note('generation wraps');
    this.#probes = new Set();
    this.#probeSuccesses = 0;
    if (to === 'closed') {
      this.#window.clear(); // docs/contract.md §6.2: on close the window is emptied and the backoff reset
      this.#reopens = 0;
    }
    this.#show(reason, from);
  }
}

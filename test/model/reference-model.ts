/**
 * A small reference model of the circuit breaker, written from DESIGN section 1 alone (not from
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
}

/** How a call must end, as far as its caller can see. */
export type Answer =
  | { readonly kind: 'pending' }
  | {
      readonly kind: 'rejected';
      readonly state: 'open' | 'half-open' | 'isolated';
      readonly retryAfterMs: number;
    }
  | { readonly kind: 'value' } // the function's own result
  | { readonly kind: 'thrown' } // the function's own error, untouched
  | { readonly kind: 'timeout' }
  | { readonly kind: 'aborted' }; // the caller's abort reason

interface Call {
  readonly id: number;
  readonly start: number;
  /** Generation at admission; `undefined` for calls passed through by a disabled breaker. */
  readonly generation: number | undefined;
  readonly deadline: number;
  readonly abortable: boolean;
  answer: Answer;
  /** Answered by its caller's abort while its function still runs: it holds its permit (DESIGN 11). */
  held?: boolean;
}

/** What the breaker must report after each step. */
export interface ModelView {
  readonly state: ModelState;
  readonly generation: number;
  readonly retryAfterMs: number;
  readonly inFlight: number;
  readonly probesInFlight: number;
  readonly window: WindowCounts;
  readonly totals: Readonly<
    Record<'calls' | 'successes' | 'failures' | 'timeouts' | 'ignored' | 'rejected', number>
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
  readonly totals = { calls: 0, successes: 0, failures: 0, timeouts: 0, ignored: 0, rejected: 0 };
  /** How often each interesting situation happened, so a test can show what it covered. */
  readonly seen = new Map<string, number>();

  constructor(cfg: ModelConfig, random: () => number, now = 0) {
    this.#cfg = cfg;
    this.#random = random;
    this.now = now;
    this.#window = new ReferenceWindow(cfg.window);
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
    const reject = (state: 'open' | 'half-open' | 'isolated', retryAfterMs: number): Answer => {
      this.totals.rejected++;
      const answer: Answer = { kind: 'rejected', state, retryAfterMs };
      this.#calls.set(id, { id, start: now, generation: undefined, deadline: Infinity, abortable, answer });
      return answer;
    };
    switch (this.state) {
      case 'disabled': // pass through untouched: no admission, no timeout, nothing recorded
        return admit(undefined);
      case 'closed':
      case 'metrics-only':
        return admit(this.generation);
      case 'half-open':
        if (this.#probes.size >= this.#cfg.halfOpenRequests) {
          this.#note('reject half-open');
          return reject('half-open', 0);
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
    this.#outcome(call, resultIsFailure);
  }

  /** The function rejects; `ignored` when `isFailure` says the error does not count. */
  reject(id: number, ignored: boolean): void {
    this.#settleHeld(id);
    const call = this.#live(id);
    if (call === undefined) return;
    call.answer = { kind: 'thrown' };
    if (call.generation === undefined) return;
    if (ignored) {
      this.#note('ignored error');
      this.totals.ignored++;
      this.#release(call);
    } else {
      this.totals.failures++;
      this.#outcome(call, true);
    }
  }

  /**
   * The caller's signal aborts: rejected at once, not counted (DESIGN 1.7). The permit stays taken
   * until the function settles or its deadline passes (DESIGN 11).
   */
  abort(id: number): void {
    const call = this.#live(id);
    if (call?.generation === undefined || !call.abortable) return;
    call.answer = { kind: 'aborted' };
    call.held = true;
    this.#note('abort');
    this.totals.ignored++;
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

  isolate(): void {
    if (this.state !== 'isolated') this.#transition('isolated');
  }
  disable(): void {
    if (this.state !== 'disabled') this.#transition('disabled');
  }
  metricsOnly(): void {
    if (this.state !== 'metrics-only') this.#transition('metrics-only');
  }
  /** Back to a fresh closed from any state (closed included: it is a new generation). */
  reset(): void {
    this.#transition('closed');
  }

  view(): ModelView {
    this.advance(0);
    let inFlight = 0;
    for (const c of this.#calls.values())
      if (c.generation !== undefined && c.answer.kind === 'pending') inFlight++;
    return {
      state: this.state,
      generation: this.generation,
      retryAfterMs:
        this.state === 'open' ? this.#openUntil - this.now : this.state === 'isolated' ? Infinity : 0,
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
    if (this.state === 'open') consider(this.#openUntil, () => this.#transition('half-open'));
    if (this.state === 'half-open' && this.#cfg.timeout === false) {
      // DESIGN 1.4: without timeouts a probe's deadline is recoveryTimeout; at it the probe counts
      // as a failure and the circuit re-opens.
      for (const id of this.#probes) {
        const probe = this.#calls.get(id);
        if (probe !== undefined) {
          consider(probe.start + this.#cfg.recoveryTimeout, () => {
            this.#note('probe deadline');
            this.#reopen();
          });
        }
      }
    }
    // Timeouts fire in deadline order; ties in admission order (Map order).
    for (const call of this.#calls.values()) {
      if (call.held === true && call.deadline < Infinity) {
        // An aborted call's function still running at its deadline: its permit ends there, and a
        // probe still running at its deadline is a failure (DESIGN 1.4), uncounted in the totals.
        consider(call.deadline, () => {
          call.held = false;
          if (
            this.state === 'half-open' &&
            this.#probes.has(call.id) &&
            call.generation === this.generation
          ) {
            this.#note('aborted probe deadline');
            this.#reopen();
          }
        });
      }
      if (call.answer.kind === 'pending' && call.deadline < Infinity) {
        consider(call.deadline, () => {
          call.answer = { kind: 'timeout' };
          this.#note('timeout');
          this.totals.timeouts++;
          this.#outcome(call, true); // DESIGN 1.3: a timeout is a failure
        });
      }
    }
    return best;
  }

  /** A counted outcome of an admitted call. */
  #outcome(call: Call, failure: boolean): void {
    // DESIGN 1.5: an outcome from an older generation changes nothing but the totals.
    if (call.generation !== this.generation) {
      this.#note(`late outcome while ${this.state}`);
      return;
    }
    const c = this.#cfg;
    const slow = c.slowCallDuration !== undefined && this.now - call.start >= c.slowCallDuration;
    switch (this.state) {
      case 'closed':
        this.#window.add(this.now, failure, slow);
        if (this.#tripped()) this.#open(0);
        return;
      case 'metrics-only':
        this.#window.add(this.now, failure, slow);
        return;
      case 'half-open':
        this.#probes.delete(call.id);
        if (failure) this.#reopen();
        else if (++this.#probeSuccesses >= c.successThreshold) this.#transition('closed');
        return;
      default:
        throw new Error(`model: a current-generation call cannot be in flight while ${this.state}`);
    }
  }

  #release(call: Call): void {
    if (call.generation === this.generation && this.state === 'half-open') this.#probes.delete(call.id);
  }

  /** DESIGN 1.3, every rule with ≥. */
  #tripped(): boolean {
    const c = this.#cfg;
    const w = this.#window.counts(this.now);
    // The option docs: with a count window, minimumCalls is at most its size.
    const minimum = c.window.type === 'count' ? Math.min(c.minimumCalls, c.window.size) : c.minimumCalls;
    if (w.failures >= c.failureThreshold) return this.#note('trip: failure count');
    if (
      c.failureRateThreshold !== undefined &&
      w.calls >= minimum &&
      w.failures / w.calls >= c.failureRateThreshold
    )
      return this.#note('trip: failure rate');
    if (
      c.slowCallRateThreshold !== undefined &&
      w.calls >= minimum &&
      w.slowCalls / w.calls >= c.slowCallRateThreshold
    )
      return this.#note('trip: slow-call rate');
    return false;
  }

  #note(what: string): true {
    this.seen.set(what, (this.seen.get(what) ?? 0) + 1);
    return true;
  }

  #reopen(): void {
    this.#open(this.#reopens + 1);
  }

  #open(reopens: number): void {
    this.#transition('open');
    this.#reopens = reopens;
    this.#openUntil = this.now + this.#openDuration(reopens);
  }

  /** DESIGN 1.2 recoveryBackoff: multiplied per re-open from half-open, capped, ± jitter. */
  #openDuration(reopens: number): number {
    const b = this.#cfg.recoveryBackoff;
    const base = this.#cfg.recoveryTimeout;
    if (b === undefined) return base;
    if (reopens > 0) this.#note('backoff re-open');
    const spread = 1 + b.jitter * (2 * this.#random() - 1);
    return Math.min(Math.min(base * b.multiplier ** reopens, b.max) * spread, b.max);
  }

  #transition(to: ModelState): void {
    this.#note(`${this.state} -> ${to}`);
    this.state = to;
    this.generation++;
    this.#probes = new Set();
    this.#probeSuccesses = 0;
    if (to === 'closed') {
      this.#window.clear(); // DESIGN 1.4: on close the window is emptied and the backoff reset
      this.#reopens = 0;
    }
  }
}

import type { ResolvedOptions } from './options.js';
import { type BreakerSnapshot, MAX_GENERATION } from './snapshot.js';
import { successesCount, tripReason, type TripReason } from './trip-rules.js';
import { ConsecutiveWindow } from './consecutive-window.js';
import { CountWindow } from './count-window.js';
import { TimeWindow } from './time-window.js';
import type { Window } from './window.js';

/** The states of a circuit breaker (see docs/breaker.md, "How the breaker decides"). */
export type StateName = 'closed' | 'open' | 'half-open' | 'isolated' | 'disabled' | 'metrics-only';

/** Why a transition happened. */
export type TransitionReason =
  | TripReason
  | 'recovery-timeout'
  | 'probe-success'
  | 'probe-failure'
  | 'probe-deadline'
  | 'isolate'
  | 'fleet'
  | 'disable'
  | 'metrics-only'
  | 'reset';

/** Each state carries only its own data; a transition replaces the object whole. */
type State =
  | { readonly name: 'closed' }
  | { readonly name: 'open'; readonly until: number }
  | { readonly name: 'half-open'; readonly probes: number[]; successes: number }
  | { readonly name: 'isolated' }
  | { readonly name: 'disabled' }
  | { readonly name: 'metrics-only' };

const CLOSED: State = Object.freeze({ name: 'closed' });
const MANUAL: readonly StateName[] = ['closed', 'isolated', 'disabled', 'metrics-only'];

/** Legal transitions. Manual actions (`reset`, `isolate`, `disable`, `metricsOnly`) work from any state. */
const LEGAL: Readonly<Record<StateName, readonly StateName[]>> = {
  closed: ['open', ...MANUAL],
  open: ['half-open', ...MANUAL],
  'half-open': ['closed', 'open', ...MANUAL],
  isolated: MANUAL,
  disabled: MANUAL,
  'metrics-only': MANUAL,
};

/** Called on every transition, after the new state is in place. */
export interface TransitionHook {
  /** The breaker's name, for messages. */
  readonly name: string;
  transitioned(from: StateName, to: StateName, reason: TransitionReason, generation: number): void;
}

/** Sentinel returned by {@link BreakerMachine.admit} for a rejected call. */
export const REJECTED = -1;

function makeWindow(o: ResolvedOptions['window']): Window {
  switch (o.type) {
    case 'time':
      return new TimeWindow(o.duration, o.buckets);
    case 'count':
      return new CountWindow(o.size);
    case 'consecutive':
      return new ConsecutiveWindow();
  }
}

/**
 * The breaker's state machine: no I/O, no timers, no promises. It takes outcomes and the time
 * (`now`, from the caller) and answers admission decisions. `CircuitBreaker` wraps it with
 * execution; the same object serves deterministic tests and the fleet mode.
 *
 * Generations: every transition increments `generation`; `admit` returns the generation the call
 * belongs to, and an outcome reported with an older generation changes nothing here.
 */
export class BreakerMachine {
  generation = 0;
  readonly window: Window;
  #state: State = CLOSED;
  #enteredAt: number;
  #reopens = 0;
  readonly #o: ResolvedOptions;
  readonly #probeDeadline: number;
  readonly #onTransition: TransitionHook;
  /** True when a success can change a decision (rate or slow-call rules), so it must be timed. */
  readonly #successesDecide: boolean;
  #untimed = 0;

  constructor(options: ResolvedOptions, now: number, onTransition: TransitionHook) {
    this.#o = options;
    this.window = makeWindow(options.window);
    this.#probeDeadline = options.timeout === false ? options.recoveryTimeout : options.timeout;
    this.#onTransition = onTransition;
    this.#successesDecide = successesCount(options.rules) || options.slowCallDuration !== Infinity;
    this.#enteredAt = now;
    if (options.initialState) this.#restore(options.initialState, now);
  }

  /** The current state at `now` (performs a due open → half-open or probe-deadline transition). */
  state(now: number): StateName {
    this.#catchUp(now);
    return this.#state.name;
  }

  /** The state without catching up with time (for the hot path's first check). */
  get current(): StateName {
    return this.#state.name;
  }

  /** When the current state began. */
  get enteredAt(): number {
    return this.#enteredAt;
  }

  /** Probes in flight (half-open only; otherwise 0). */
  get probesInFlight(): number {
    return this.#state.name === 'half-open' ? this.#state.probes.length : 0;
  }

  /**
   * Admission: returns the call's generation, or {@link REJECTED}. A half-open admission takes a
   * probe permit, held until the call's outcome (or `release`) is reported.
   */
  admit(now: number): number {
    const s = this.#state;
    if (s.name === 'closed' || s.name === 'metrics-only' || s.name === 'disabled') return this.generation;
    this.#catchUp(now);
    const t = this.#state;
    if (t.name !== 'half-open' || t.probes.length >= this.#o.halfOpenRequests) return REJECTED;
    t.probes.push(now);
    return this.generation;
  }

  /** Ms until probes are admitted: `0` unless open; `Infinity` when isolated. */
  retryAfterMs(now: number): number {
    const s = this.#state;
    if (s.name === 'open') return Math.max(0, s.until - now);
    return s.name === 'isolated' ? Infinity : 0;
  }

  /**
   * While open, keeps the circuit open until at least `now + ms` (never shortens it). Not a
   * transition: same state, same generation. Returns whether the open period was lengthened.
   */
  extendOpen(now: number, ms: number): boolean {
    this.#catchUp(now);
    const s = this.#state;
    if (s.name !== 'open' || now + ms <= s.until) return false;
    this.#state = { name: 'open', until: now + ms };
    return true;
  }

  /**
   * Opens a closed circuit for `ms` (reason `fleet`): a fleet member does this when its store
   * fails while the fleet is open. Does nothing in any other state. Returns whether it opened.
   */
  openFor(now: number, ms: number): boolean {
    if (this.#state.name !== 'closed') return false;
    this.#transition({ name: 'open', until: now + ms }, 'fleet', now);
    return true;
  }

  /** Reports a counted outcome of a call admitted at `start` in `generation`. */
  record(generation: number, start: number, now: number, failure: boolean): void {
    // A probe whose deadline passed before this outcome arrived already counted as a failure.
    if (this.#state.name === 'half-open') this.#catchUp(now);
    if (generation !== this.generation) return; // a late result: totals only, counted by the caller
    const s = this.#state;
    switch (s.name) {
      case 'closed': {
        this.window.record(now, failure, now - start >= this.#o.slowCallDuration);
        if (!failure && !this.#successesDecide) return; // only failures move the count rule
        const reason = tripReason(this.#o.rules, this.window);
        if (reason !== undefined) this.#open(now, reason, 0);
        return;
      }
      case 'metrics-only':
        this.window.record(now, failure, now - start >= this.#o.slowCallDuration);
        return;
      case 'half-open':
        removeProbe(s.probes, start);
        if (failure) {
          this.#open(now, 'probe-failure', this.#reopens + 1);
        } else if (++s.successes >= this.#o.successThreshold) {
          this.#transition(CLOSED, 'probe-success', now);
        }
        return;
      default:
        return;
    }
  }

  /** True when a closed-state call may be admitted and settled without reading the clock. */
  get untimedClosed(): boolean {
    return this.#state.name === 'closed' && !this.#successesDecide;
  }

  /**
   * Counts a success in the closed state without reading the clock, when that cannot change a
   * decision (no rate or slow-call rule): the hot path's shortcut. A call whose start time is known
   * is filed in the bucket where it started; an untimed one (`start` NaN) in the newest bucket the
   * window has seen, with every 64th refused so that the caller times it and keeps that bucket
   * current. Returns false when the caller must read the clock and call `record` instead.
   */
  countUntimedSuccess(generation: number, start: number): boolean {
    if (generation !== this.generation) return true; // a late success: lifetime totals only
    if (this.#state.name !== 'closed' || this.#successesDecide) return false;
    if (!Number.isNaN(start)) {
      this.window.record(start, false, false);
      return true;
    }
    if ((++this.#untimed & 63) === 0) return false;
    return this.window.recordUntimedSuccess();
  }

  /** Releases the permit of an admitted call whose outcome is not counted (ignored error, caller abort). */
  release(generation: number, start: number, now: number): void {
    if (this.#state.name === 'half-open') this.#catchUp(now);
    const s = this.#state;
    if (generation === this.generation && s.name === 'half-open') removeProbe(s.probes, start);
  }

  /**
   * Manual actions. Each is a transition (new generation) unless the breaker is already there. A
   * transition that fell due before the action (open → half-open, a probe deadline) happens first,
   * so the action leaves the state the breaker is in now, not a stale one.
   */
  isolate(now: number): void {
    this.#catchUp(now);
    if (this.#state.name !== 'isolated') this.#transition({ name: 'isolated' }, 'isolate', now);
  }
  disable(now: number): void {
    this.#catchUp(now);
    if (this.#state.name !== 'disabled') this.#transition({ name: 'disabled' }, 'disable', now);
  }
  metricsOnly(now: number): void {
    this.#catchUp(now);
    if (this.#state.name !== 'metrics-only') this.#transition({ name: 'metrics-only' }, 'metrics-only', now);
  }
  /** Back to a fresh `closed` from any state: new generation, empty window, backoff reset. */
  reset(now: number): void {
    this.#catchUp(now);
    this.#transition(CLOSED, 'reset', now);
  }

  /** The restorable part of the state. */
  snapshot(now: number, name: string): BreakerSnapshot {
    this.#catchUp(now);
    const s = this.#state;
    return {
      version: 1,
      name,
      state: s.name,
      generation: this.generation,
      ...(s.name === 'open' ? { openRemainingMs: Math.max(0, s.until - now) } : {}),
      reopens: this.#reopens,
    };
  }

  #catchUp(now: number): void {
    for (;;) {
      const s = this.#state;
      if (s.name === 'open') {
        if (now >= s.until)
          this.#transition({ name: 'half-open', probes: [], successes: 0 }, 'recovery-timeout', now);
        return;
      }
      // A probe still running at its deadline counts as a failure: half-open cannot last forever.
      // The circuit re-opened at that deadline, not when someone looked, so the open duration
      // counts from there and may already have elapsed (then the loop goes on to half-open).
      const oldest = s.name === 'half-open' ? s.probes[0] : undefined;
      if (oldest === undefined || now - oldest < this.#probeDeadline) return;
      this.#open(oldest + this.#probeDeadline, 'probe-deadline', this.#reopens + 1);
    }
  }

  #open(now: number, reason: TransitionReason, reopens: number): void {
    this.#reopens = reopens;
    this.#transition({ name: 'open', until: now + this.#openDuration(reopens) }, reason, now);
  }

  #openDuration(reopens: number): number {
    const b = this.#o.backoff;
    const base = this.#o.recoveryTimeout;
    if (b === undefined || base === 0) return base; // 0 × an overflowed factor would be NaN: open forever
    const grown = Math.min(base * b.multiplier ** reopens, b.max);
    // `max` is the upper bound of the open duration, jitter included; at the cap jitter spreads below it.
    const spread = grown * (1 + b.jitter * (2 * this.#o.random() - 1));
    return spread >= 0 ? Math.min(spread, b.max) : grown; // a `random` outside [0, 1) adds no jitter
  }

  /** The one place where state changes. */
  #transition(to: State, reason: TransitionReason, now: number): void {
    const from = this.#state.name;
    if (!LEGAL[from].includes(to.name)) {
      throw new Error(
        `breaker "${this.#onTransition.name}": illegal transition ${from} -> ${to.name} (${reason}); this is a bug`,
      );
    }
    this.#state = to;
    // Generations are compared for equality only; past the largest safe integer they start again.
    this.generation = this.generation < MAX_GENERATION ? this.generation + 1 : 0;
    this.#enteredAt = now;
    if (to.name === 'closed') {
      this.window.reset();
      this.#reopens = 0;
    }
    this.#onTransition.transitioned(from, to.name, reason, this.generation);
  }

  /** Restores a snapshot already validated with the options (see `checkSnapshot`). */
  #restore(snap: BreakerSnapshot, now: number): void {
    this.generation = snap.generation;
    this.#reopens = snap.reopens;
    switch (snap.state) {
      case 'open':
        this.#state = { name: 'open', until: now + (snap.openRemainingMs ?? this.#o.recoveryTimeout) };
        break;
      case 'half-open':
        this.#state = { name: 'half-open', probes: [], successes: 0 };
        break;
      case 'closed':
        this.#state = CLOSED;
        break;
      default:
        this.#state = { name: snap.state };
    }
  }
}

/** Probes are few (`halfOpenRequests`); admission order is start order, so the oldest is first. */
function removeProbe(probes: number[], start: number): void {
  const at = probes.indexOf(start);
  if (at >= 0) probes.splice(at, 1);
}

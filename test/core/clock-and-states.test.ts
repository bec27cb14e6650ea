// The two small predicates every option check rests on: what counts as a Clock (an injected clock
// is checked with it wherever one is accepted) and which states only an operator sets.
import { describe, expect, it } from 'vitest';
import { isClock } from '../../src/core/clock.js';
import { isOperatorState, OPERATOR_STATES, STATE_NAMES } from '../../src/core/states.js';
import { CircuitBreaker } from '../../src/index.js';

const fn = (): number => 0;

describe('isClock', () => {
  it('isClock — an object with now, setTimeout and clearTimeout functions is a clock', () => {
    expect(isClock({ now: fn, setTimeout: fn, clearTimeout: fn })).toBe(true);
    expect(
      isClock(Object.assign(Object.create(null) as object, { now: fn, setTimeout: fn, clearTimeout: fn })),
    ).toBe(true);
  });

  it('isClock — anything missing one of the three, or with one that is not a function, is not', () => {
    for (const value of [null, undefined, 0, 'clock', fn, {}])
      expect(isClock(value), typeof value).toBe(false);
    // A function carrying the three methods is not an object: not a clock.
    expect(isClock(Object.assign(() => 0, { now: fn, setTimeout: fn, clearTimeout: fn }))).toBe(false);
    for (const missing of ['now', 'setTimeout', 'clearTimeout']) {
      const full = { now: fn, setTimeout: fn, clearTimeout: fn };
      const without = Object.fromEntries(Object.entries(full).filter(([key]) => key !== missing));
      expect(isClock(without), `without ${missing}`).toBe(false);
      expect(isClock({ ...full, [missing]: 1 }), `${missing} not a function`).toBe(false);
    }
  });

  it('a breaker refuses a clock that is not one, naming the option', () => {
    expect(() => new CircuitBreaker({ clock: { now: fn, setTimeout: fn } as never })).toThrow(/clock/);
  });
});

describe('isOperatorState', () => {
  it('isOperatorState — exactly isolated, disabled and metrics-only', () => {
    expect(STATE_NAMES.filter((s) => isOperatorState(s))).toEqual([...OPERATOR_STATES]);
    expect([...OPERATOR_STATES].sort()).toEqual(['disabled', 'isolated', 'metrics-only']);
    for (const s of ['closed', 'open', 'half-open'] as const) expect(isOperatorState(s), s).toBe(false);
  });
});

// Emitter subscriptions and listener reports: each handle removes its own subscription once, the
// activity flags follow the subscriptions, and a listener's error is reported, never rethrown
// (docs/contract.md §9.3, "Listeners never hurt the caller").
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Emitter, reportListenerError, watchListenerResult } from '../../src/core/events.js';

interface Events {
  tick: number;
  tock: string;
}

/** Collects breakwater listener warnings until one whose message contains `last` arrives. */
function warningsUntil(last: string): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve) => {
    const onWarning = (warning: Error): void => {
      if (warning.name !== 'BreakwaterListenerWarning') return;
      seen.push(warning.message);
      if (warning.message.includes(last)) {
        process.off('warning', onWarning);
        resolve(seen);
      }
    };
    process.on('warning', onWarning);
  });
}

describe('Emitter subscriptions', () => {
  it('on — the same function subscribed twice is called twice per emit', () => {
    const emitter = new Emitter<Events>('src');
    const seen: number[] = [];
    const listener = (n: number): void => void seen.push(n);
    emitter.on('tick', listener);
    emitter.on('tick', listener);
    emitter.emit('tick', 7);
    expect(seen).toEqual([7, 7]);
  });

  it('dispose — a second dispose of one handle leaves the other subscription of the same function', () => {
    const emitter = new Emitter<Events>('src');
    const seen: number[] = [];
    const listener = (n: number): void => void seen.push(n);
    const first = emitter.on('tick', listener);
    emitter.on('tick', listener);
    first.dispose();
    first.dispose();
    first[Symbol.dispose]();
    emitter.emit('tick', 1);
    expect(seen).toEqual([1]);
    expect(emitter.has('tick')).toBe(true);
    expect(emitter.active).toBe(true);
  });

  it('dispose — removes the listener from its own event only', () => {
    const emitter = new Emitter<Events>('src');
    const seen: string[] = [];
    const listener = (value: unknown): void => void seen.push(String(value));
    const tick = emitter.on('tick', listener);
    emitter.on('tock', listener);
    tick.dispose();
    emitter.emit('tick', 1);
    emitter.emit('tock', 'b');
    expect(seen).toEqual(['b']);
    expect(emitter.has('tick')).toBe(false);
    expect(emitter.has('tock')).toBe(true);
  });

  it('active — true while any event has a listener, false after the last dispose', () => {
    const emitter = new Emitter<Events>('src');
    expect(emitter.active).toBe(false);
    const a = emitter.on('tick', () => undefined);
    const b = emitter.on('tock', () => undefined);
    expect(emitter.active).toBe(true);
    a.dispose();
    a.dispose();
    expect(emitter.active).toBe(true);
    b.dispose();
    expect(emitter.active).toBe(false);
  });

  it('watchedActive — counts only listeners of the watched events, each subscription once', () => {
    const emitter = new Emitter<Events>('src', ['tick']);
    const other = emitter.on('tock', () => undefined);
    expect(emitter.watchedActive).toBe(false);
    const a = emitter.on('tick', () => undefined);
    const b = emitter.on('tick', () => undefined);
    expect(emitter.watchedActive).toBe(true);
    a.dispose();
    a.dispose();
    expect(emitter.watchedActive).toBe(true);
    b.dispose();
    expect(emitter.watchedActive).toBe(false);
    other.dispose();
    expect(new Emitter<Events>('src').watchedActive).toBe(false);
  });

  it('watchedActive — disposing a listener of another event leaves a watched listener counted', () => {
    const emitter = new Emitter<Events>('src', ['tick']);
    emitter.on('tick', () => undefined);
    emitter.on('tock', () => undefined).dispose();
    expect(emitter.watchedActive).toBe(true);
  });

  it('on — a listener that is not a function is a TypeError naming the event and the type', () => {
    const emitter = new Emitter<Events>('src');
    expect(() => emitter.on('tick', 'nope' as never)).toThrow(
      'on("tick"): listener must be a function (got string)',
    );
    expect(emitter.active).toBe(false);
  });
});

describe('Emitter listener reports', () => {
  it('emit — listener results that are not thenables are not reported', async () => {
    const emitter = new Emitter<Events>('src');
    const results: unknown[] = [null, 0, 'text', {}, { then: 5 }, () => undefined];
    for (const result of results) emitter.on('tick', () => result as never);
    emitter.on('tick', () => {
      throw new Error('the last listener');
    });
    const reports = warningsUntil('the last listener');
    emitter.emit('tick', 1);
    expect(await reports).toEqual([expect.stringContaining('the last listener')]);
  });

  it('emit — a throwing listener is reported with the event, the source and the stack; later listeners still run', async () => {
    const emitter = new Emitter<Events>('db');
    const seen: number[] = [];
    emitter.on('tick', () => {
      throw new Error('listener broke');
    });
    emitter.on('tick', (n) => void seen.push(n));
    const reports = warningsUntil('listener broke');
    emitter.emit('tick', 3);
    expect(seen).toEqual([3]);
    const [message] = await reports;
    expect(message).toMatch(/^breakwater: a "tick" listener of "db" threw: Error: listener broke\n\s+at /);
  });

  it('emit — a listener throwing a non-Error is reported with its string form', async () => {
    const emitter = new Emitter<Events>('db');
    emitter.on('tock', () => {
      throw 'plain words';
    });
    const reports = warningsUntil('plain words');
    emitter.emit('tock', 'x');
    expect(await reports).toEqual(['breakwater: a "tock" listener of "db" threw: plain words']);
  });

  it('reportListenerError — an Error without a stack is reported with its message', async () => {
    const error = new Error('no stack here');
    delete error.stack;
    const reports = warningsUntil('no stack here');
    reportListenerError('a listener', error, true);
    expect(await reports).toEqual(['breakwater: a listener returned a rejected promise: no stack here']);
  });

  describe('with process.emitWarning observed', () => {
    afterEach(() => {
      vi.restoreAllMocks();
    });

    it('reportListenerError — a BreakwaterListenerWarning with code BREAKWATER_LISTENER', () => {
      const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      reportListenerError('a "tick" listener of "db"', 'gone');
      expect(emitWarning.mock.calls).toEqual([
        [
          'breakwater: a "tick" listener of "db" threw: gone',
          { type: 'BreakwaterListenerWarning', code: 'BREAKWATER_LISTENER' },
        ],
      ]);
    });

    it('emit — a function returned by a listener is watched as a thenable when it has a then', () => {
      const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const thenableFunction = Object.assign(() => undefined, {
        then(_resolve: unknown, reject: (error: unknown) => void): void {
          reject('function rejected');
        },
      });
      const emitter = new Emitter<Events>('db');
      emitter.on('tick', () => thenableFunction as never);
      emitter.emit('tick', 1);
      expect(emitWarning.mock.calls.map(([message]) => message)).toEqual([
        'breakwater: a "tick" listener of "db" returned a rejected promise: function rejected',
      ]);
    });

    it('watchListenerResult — undefined and other primitives are ignored without a warning', () => {
      const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      for (const result of [undefined, null, 0, 'text', true, Symbol('s'), 1n]) {
        watchListenerResult(result, 'a listener');
      }
      expect(emitWarning).not.toHaveBeenCalled();
    });
  });

  describe('without process.emitWarning', () => {
    const emitWarning = process.emitWarning.bind(process);
    afterEach(() => {
      process.emitWarning = emitWarning;
      vi.restoreAllMocks();
    });

    it('reportListenerError — falls back to console.warn', () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      (process as { emitWarning?: unknown }).emitWarning = undefined;
      reportListenerError('a "tick" listener of "db"', 'gone');
      expect(warn).toHaveBeenCalledWith('breakwater: a "tick" listener of "db" threw: gone');
    });
  });
});

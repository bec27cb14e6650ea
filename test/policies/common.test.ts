// The pieces the policies share: how a callback's rejected promise is reported.
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { warnOnRejection } from '../../src/policies/common.js';
import { settle } from '../../src/testing/index.js';

describe('warnOnRejection', () => {
  let emitWarning: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  });
  afterEach(() => {
    emitWarning.mockRestore();
  });
  const warnings = (): string[] => emitWarning.mock.calls.map(([message]) => String(message));

  it('warnOnRejection — a rejected promise is reported with the message and the reason', async () => {
    const reason = new Error('late failure');
    const rejected = Promise.reject(reason);
    warnOnRejection(rejected, 'onStale of "prices" returned a rejected promise');
    await settle();
    expect(warnings()).toEqual([
      `breakwater: onStale of "prices" returned a rejected promise: ${reason.stack}`,
    ]);
    expect(emitWarning.mock.calls[0]?.[1]).toEqual({
      type: 'BreakwaterWarning',
      code: 'BREAKWATER_CALLBACK',
    });
  });

  it('warnOnRejection — a function that is a thenable is watched too', async () => {
    const thenable = Object.assign(() => undefined, {
      then: (_: unknown, onRejected: (e: unknown) => void) => onRejected('nope'),
    });
    warnOnRejection(thenable, 'cb returned a rejected promise');
    await settle();
    expect(warnings()).toEqual(['breakwater: cb returned a rejected promise: nope']);
  });

  it('warnOnRejection — a then getter that throws is reported as the failure', () => {
    const hostile = {
      get then(): unknown {
        throw new Error('getter');
      },
    };
    warnOnRejection(hostile, 'cb returned a rejected promise');
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toMatch(/^breakwater: cb returned a rejected promise: Error: getter/);
  });

  it('warnOnRejection — anything that is not a thenable, and a promise that resolves, is not reported', async () => {
    for (const value of [
      undefined,
      null,
      0,
      'text',
      true,
      {},
      { then: 1 },
      () => undefined,
      Promise.resolve(1),
    ]) {
      warnOnRejection(value, 'cb returned a rejected promise');
    }
    await settle();
    expect(warnings()).toEqual([]);
  });
});

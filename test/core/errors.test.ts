// docs/contract.md §15: error classes, codes, fields, and guards that work across duplicate installs.
import { describe, expect, it } from 'vitest';
import {
  BreakwaterError,
  BulkheadFullError,
  CallTimeoutError,
  CircuitOpenError,
  isBreakwaterError,
  isBulkheadFullError,
  isCallTimeoutError,
  isCircuitOpenError,
} from '../../src/index.js';

const BRAND = Symbol.for('breakwater.error');

describe('error classes', () => {
  it('CircuitOpenError — code, fields, message and inheritance', () => {
    const error = new CircuitOpenError('payments', 'open', 1_234.5);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toBeInstanceOf(BreakwaterError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      policy: 'payments',
      breaker: 'payments',
      state: 'open',
      retryAfterMs: 1_234.5,
      name: 'CircuitOpenError',
    });
    expect(error.message).toBe('circuit "payments" is open (probes admitted in 1235 ms)');
    expect(new CircuitOpenError('p', 'half-open', 0).message).toContain('half-open');
    expect(new CircuitOpenError('p', 'isolated', Infinity).message).toContain('isolated');
  });

  it('CircuitOpenError.fast — the same error without a captured stack', () => {
    const error = CircuitOpenError.fast('db', 'half-open', 0);
    expect(error).toBeInstanceOf(CircuitOpenError);
    expect(error).toMatchObject({
      code: 'ERR_CIRCUIT_OPEN',
      breaker: 'db',
      state: 'half-open',
      retryAfterMs: 0,
    });
    expect(error.stack ?? '').not.toMatch(/\n\s+at /);
    expect(new CircuitOpenError('db', 'open', 1).stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBeGreaterThan(0); // restored afterwards
  });

  it('CallTimeoutError — code, policy and timeoutMs', () => {
    const error = new CallTimeoutError('search', 800);
    expect(error).toBeInstanceOf(BreakwaterError);
    expect(error).toMatchObject({
      code: 'ERR_CALL_TIMEOUT',
      policy: 'search',
      timeoutMs: 800,
      name: 'CallTimeoutError',
    });
    expect(error.message).toContain('800 ms');
  });

  it('BulkheadFullError — code and limits', () => {
    const error = new BulkheadFullError('pool', 4, 10);
    expect(error).toBeInstanceOf(BreakwaterError);
    expect(error).toMatchObject({
      code: 'ERR_BULKHEAD_FULL',
      policy: 'pool',
      maxConcurrent: 4,
      maxQueue: 10,
    });
  });

  it('CircuitOpenError — source is local unless the fleet refused, with new and with fast', () => {
    expect(new CircuitOpenError('a', 'open', 1).source).toBe('local');
    expect(CircuitOpenError.fast('a', 'open', 1).source).toBe('local');
    expect(new CircuitOpenError('a', 'open', 1, 'fleet').source).toBe('fleet');
    expect(CircuitOpenError.fast('a', 'open', 1, 'fleet').source).toBe('fleet');
  });

  it('CircuitOpenError — message and stack are prototype getters that can be redefined, like Error.prototype.message', async () => {
    // Also a fresh evaluation of the module, as another copy of the package makes: the getters are
    // defined once, when the module loads.
    const copy = '../../src/core/errors.js?copy';
    const fresh = ((await import(copy)) as { CircuitOpenError: typeof CircuitOpenError }).CircuitOpenError;
    expect(fresh).not.toBe(CircuitOpenError);
    for (const errorClass of [CircuitOpenError, fresh]) {
      for (const key of ['message', 'stack']) {
        expect(Object.getOwnPropertyDescriptor(errorClass.prototype, key)).toEqual({
          get: expect.any(Function) as unknown,
          set: undefined,
          enumerable: false,
          configurable: true,
        });
      }
    }
  });

  it('BreakwaterError — keeps a cause', () => {
    const cause = new Error('root');
    const error = new BreakwaterError('ERR_X', 'p', 'wrapped', { cause });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe('BreakwaterError');
  });
});

describe('guards', () => {
  const samples = {
    open: new CircuitOpenError('a', 'open', 1),
    timeout: new CallTimeoutError('a', 1),
    bulkhead: new BulkheadFullError('a', 1, 1),
  };

  it('isCircuitOpenError / isCallTimeoutError / isBulkheadFullError — true only for their own kind', () => {
    expect([samples.open, samples.timeout, samples.bulkhead].map(isCircuitOpenError)).toEqual([
      true,
      false,
      false,
    ]);
    expect([samples.open, samples.timeout, samples.bulkhead].map(isCallTimeoutError)).toEqual([
      false,
      true,
      false,
    ]);
    expect([samples.open, samples.timeout, samples.bulkhead].map(isBulkheadFullError)).toEqual([
      false,
      false,
      true,
    ]);
    expect(Object.values(samples).every(isBreakwaterError)).toBe(true);
  });

  it('guards — false for plain errors and non-objects', () => {
    const others: unknown[] = [
      new Error('x'),
      { code: 'ERR_CIRCUIT_OPEN' },
      'ERR_CIRCUIT_OPEN',
      null,
      undefined,
      42,
    ];
    for (const value of others) {
      expect(isBreakwaterError(value)).toBe(false);
      expect(isCircuitOpenError(value)).toBe(false);
      expect(isCallTimeoutError(value)).toBe(false);
      expect(isBulkheadFullError(value)).toBe(false);
    }
  });

  it('guards — false for a function carrying the brand, and for proxies whose reads throw', () => {
    const branded = Object.assign(() => undefined, { [BRAND]: 'ERR_CIRCUIT_OPEN' });
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    for (const value of [branded, proxy]) {
      expect(isBreakwaterError(value)).toBe(false);
      expect(isCircuitOpenError(value)).toBe(false);
    }
  });

  it('guards — true for an error from another copy of the package, carrying the Symbol.for brand', () => {
    // Another copy has its own classes (instanceof fails) but the same global symbol.
    class OtherCopyError extends Error {}
    const foreign = Object.defineProperty(new OtherCopyError('circuit open'), BRAND, {
      value: 'ERR_CIRCUIT_OPEN',
    });
    expect(foreign).not.toBeInstanceOf(CircuitOpenError);
    expect(isCircuitOpenError(foreign)).toBe(true);
    expect(isBreakwaterError(foreign)).toBe(true);
    expect(isCallTimeoutError(foreign)).toBe(false);
    const plainObject = { [BRAND]: 'ERR_CALL_TIMEOUT' };
    expect(isCallTimeoutError(plainObject)).toBe(true);
    expect(isBreakwaterError({ [BRAND]: 'ERR_BULKHEAD_FULL' })).toBe(true);
  });

  it('guards — the brand is not enumerable and does not show in JSON', () => {
    const error = new CircuitOpenError('a', 'open', 1);
    expect(Object.keys(error)).not.toContain(BRAND.toString());
    expect(JSON.stringify(error)).not.toContain('breakwater.error');
    expect(Object.getOwnPropertySymbols(error)).not.toContain(BRAND); // a prototype getter, free at construction
    expect((error as unknown as Record<symbol, unknown>)[BRAND]).toBe('ERR_CIRCUIT_OPEN');
  });
});

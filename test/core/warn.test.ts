// Process warnings: through `process.emitWarning` when there is one, else `console.warn`.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { processWarning } from '../../src/core/warn.js';

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

describe('processWarning', () => {
  it('emits a warning of the type and code given', async () => {
    const seen = new Promise<Error & { code?: string }>((resolve) => process.once('warning', resolve));
    processWarning('something odd', 'TestWarning', 'TEST_CODE');
    const warning = await seen;
    expect(warning.name).toBe('TestWarning');
    expect(warning.message).toBe('something odd');
    expect(warning.code).toBe('TEST_CODE');
  });

  it('passes the code only when one is given', () => {
    const emitWarning = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    processWarning('with a code', 'TestWarning', 'TEST_CODE');
    processWarning('without a code', 'TestWarning');
    expect(emitWarning.mock.calls).toStrictEqual([
      ['with a code', { type: 'TestWarning', code: 'TEST_CODE' }],
      ['without a code', { type: 'TestWarning' }],
    ]);
  });

  it('without a process, or one without emitWarning, writes to console.warn', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    vi.stubGlobal('process', undefined);
    try {
      processWarning('no process', 'TestWarning', 'TEST_CODE');
    } finally {
      vi.unstubAllGlobals();
    }
    vi.stubGlobal('process', {});
    try {
      processWarning('no emitWarning', 'TestWarning');
    } finally {
      vi.unstubAllGlobals();
    }
    expect(warn.mock.calls).toEqual([['no process'], ['no emitWarning']]);
  });
});

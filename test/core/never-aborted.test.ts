// The process-wide never-aborting signal keeps no abort listeners. The module is loaded afresh
// here, so the signal is made inside this test rather than taken from the module's cache.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';

type NeverAbortedModule = typeof import('../../src/core/never-aborted.js');

describe('neverAborted', () => {
  it('addEventListener — a fresh never-aborted signal keeps no abort listener', async () => {
    const fresh = new URL('../../src/core/never-aborted.ts?fresh', import.meta.url).href;
    const { neverAborted } = (await import(fresh)) as NeverAbortedModule;
    const signal = neverAborted();
    expect(neverAborted()).toBe(signal);
    const listener = (): void => undefined;
    signal.addEventListener('abort', listener);
    expect(getEventListeners(signal, 'abort')).toEqual([]);
    signal.removeEventListener('abort', listener);
    expect(signal.aborted).toBe(false);
  });
});

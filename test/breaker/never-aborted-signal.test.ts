// A call that nothing can abort (no timeout, no caller's signal) gets a shared signal that never
// aborts. A function adding an abort listener to it on every call must neither leak listeners nor
// trigger MaxListenersExceededWarning.
import { getEventListeners } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { fault } from '../../src/chaos/index.js';
import type { PolicyContext } from '../../src/core/policy.js';
import { bulkhead, fallback, queueForLater, retry, staleCache } from '../../src/policies/index.js';
import { deferred, makeBreaker } from './helpers.js';

type Run = (fn: (context: PolicyContext) => Promise<number>) => Promise<unknown>;

const breaker = makeBreaker({ timeout: false }).breaker;
const pool = bulkhead({ maxConcurrent: 100 });
const subjects: Record<string, Run> = {
  'breaker (timeout false)': (fn) => breaker.execute(fn),
  retry: (fn) => retry().execute(fn),
  bulkhead: (fn) => pool.execute(fn),
  fallback: (fn) => fallback(0).execute(fn),
  staleCache: (fn) => staleCache({ ttl: 1_000 }).execute(fn, { key: 'k' }),
  queueForLater: (fn) => queueForLater({ replay: () => undefined }).execute(fn, { payload: 1 }),
  chaos: (fn) => fault({ rate: 0 }).execute(fn),
};

describe('never-aborted signal', () => {
  let emitWarning: MockInstance<typeof process.emitWarning>;
  beforeEach(() => {
    emitWarning = vi.spyOn(process, 'emitWarning');
  });
  afterEach(() => {
    emitWarning.mockRestore();
  });

  for (const [name, run] of Object.entries(subjects)) {
    it(`${name} — 50 concurrent calls adding abort listeners keep none and raise no MaxListenersExceededWarning`, async () => {
      const gate = deferred<number>();
      const signals = new Set<AbortSignal>();
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 50; i++) {
        calls.push(
          run(({ signal }) => {
            signals.add(signal);
            signal.addEventListener('abort', () => undefined);
            return gate.promise;
          }),
        );
      }
      gate.resolve(1);
      await Promise.all(calls);
      expect(signals.size).toBe(1); // one shared signal: no allocation per call
      const [signal] = signals as unknown as [AbortSignal];
      expect(signal.aborted).toBe(false);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);
      const names = emitWarning.mock.calls.map(([w]) => (w instanceof Error ? w.name : w));
      expect(names.filter((n) => n.includes('MaxListeners'))).toEqual([]);
    });
  }
});

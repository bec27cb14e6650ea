// Property runs against retry, timeout, bulkhead, fallback, staleCache, queueForLater, pipeline
// and protect with hostile inputs, each property in a child process (see
// test/fixtures/robustness-policies.js). Needs dist/: built here when missing or stale.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runProperty } from './child.js';

beforeAll(() => {
  ensureBuilt();
}, 180_000);

async function holds(property: string): Promise<void> {
  const run = await runProperty('robustness-policies.js', property);
  expect(run.cases.length).toBeGreaterThan(0);
  expect(run.failures).toEqual([]);
  expect(run.problems).toEqual([]);
  expect(run.unexpectedWarnings).toEqual([]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

describe('policy robustness (docs/contract.md §18)', () => {
  it('execute — hostile functions and signals aborted at random times: no throw, every call answered', () =>
    holds('functions'));

  it('callbacks / telemetry — listeners that throw or reject produce a warning and nothing escapes', () =>
    holds('listeners'));

  it('execute — a signal that is not an AbortSignal rejects with a TypeError naming signal', () =>
    holds('signals'));

  it('execute — a Promise whose then throws rejects the call with that error', () => holds('thenThrows'));

  it('execute — a long-lived caller signal keeps no abort listener once its calls settle', () =>
    holds('signalLeak'));
});

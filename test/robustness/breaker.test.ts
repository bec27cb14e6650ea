// Property runs against the circuit breaker with hostile inputs, each in a child process (see
// test/fixtures/robustness-breaker.js). Needs dist/: built here when missing or stale.
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runProperty } from './child.js';

beforeAll(() => {
  ensureBuilt();
}, 180_000);

async function holds(property: string): Promise<void> {
  const run = await runProperty('robustness-breaker.js', property);
  expect(run.failures).toEqual([]);
  expect(run.problems).toEqual([]);
  expect(run.unexpectedWarnings).toEqual([]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
}

describe('breaker robustness (docs/contract.md §18)', () => {
  it('execute — hostile functions and signals aborted at random times: no throw, nothing escapes, totals add up', () =>
    holds('functions'));

  it('on / telemetry — listeners that throw or reject produce a warning and nothing escapes', () =>
    holds('listeners'));

  it('isFailure / isResultFailure — a thenable gives one warning per breaker and the default', () =>
    holds('classifiers'));

  it('execute — a signal that is not an AbortSignal rejects with a TypeError naming signal', () =>
    holds('signals'));

  it('half-open — running probe functions never exceed halfOpenRequests, callers aborting or not', () =>
    holds('probes'));

  it('execute — a Promise whose then throws rejects the call with that error', () => holds('thenThrows'));

  it('execute — a long-lived caller signal keeps no abort listener once its calls settle', () =>
    holds('signalLeak'));
});

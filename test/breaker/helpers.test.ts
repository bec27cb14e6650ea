// The shared helpers must fail when what they check does not happen.
import { describe, expect, it } from 'vitest';
import { caught } from './helpers.js';

describe('test helpers', () => {
  it('caught — returns the rejection reason', async () => {
    const error = new Error('x');
    expect(await caught(Promise.reject(error))).toBe(error);
  });

  it('caught — rejects (fails the test) when the promise resolves', async () => {
    await expect(caught(Promise.resolve('fine'))).rejects.toThrow(
      'expected a rejection, got a resolution with fine',
    );
  });
});

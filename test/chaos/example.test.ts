import { describe, expect, it } from 'vitest';
import { main } from '../../examples/chaos.js';

describe('examples/chaos.ts', () => {
  it('main — injected failures open the breaker and healing closes it', async () => {
    const lines: string[] = [];
    const transitions = await main((line) => lines.push(line));
    expect(transitions).toEqual(['closed->open', 'open->half-open', 'half-open->closed']);
    expect(lines[0]).toBe('steady state: breaker closed');
    expect(lines.some((l) => l.startsWith('fault injected: breaker open'))).toBe(true);
  });
});

import { describe, expect, it } from 'vitest';
import { main as fetchExample } from '../../examples/fetch.js';
import { main as registryExample } from '../../examples/registry.js';

describe('examples', () => {
  it('examples/fetch — the failing origin stops receiving calls, the other keeps working', async () => {
    const lines: string[] = [];
    const result = await fetchExample((line) => lines.push(line));
    expect(result.outcomes).toEqual(['200', '503', '503', '503', 'open', 'open']);
    expect(result.inventoryReceived).toBe(4);
    expect(result.catalogStatuses).toEqual([200, 404]);
    expect(result.retryAfterMs).toBeGreaterThan(25_000); // Retry-After: 30 beat recoveryTimeout 5 s
    expect(lines.join('\n')).toContain('circuit open, not sent');
  });

  it('examples/registry — per-tenant breakers, LRU eviction that spares the open one, idle eviction', async () => {
    const lines: string[] = [];
    const result = await registryExample((line) => lines.push(line));
    expect(result.received).toEqual({ acme: 2, globex: 1, initech: 1, umbrella: 1 });
    expect(result.evictions).toEqual(['globex:capacity', 'initech:idle', 'umbrella:idle']);
    expect(result.remaining).toEqual(['acme=open']);
  });
});

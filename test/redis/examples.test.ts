// The fleet example runs against a real redis-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../examples/fleet.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';

const hasRedis = requireRedis('test/redis/examples.test.ts');

describe.skipIf(!hasRedis)('examples', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('examples/fleet — the fleet opens for every instance, one probe closes it', async () => {
    const lines: string[] = [];
    // A loaded test machine must not look like a slow store: Redis calls get 1 s, not 150 ms.
    const result = await main((line) => lines.push(line), server.url, { deadlineMs: 1_000 });
    expect(lines.filter((l) => l.includes('Redis degraded'))).toEqual([]);
    expect(result.outcomes).toEqual(['rejected', 'rejected', 'rejected']);
    expect(result.states).toEqual(['closed', 'closed', 'closed']);
    expect(lines).toContain('local states: closed, closed, closed; next calls: rejected, rejected, rejected');
    expect(lines.some((l) => l.startsWith('probes sent: 1;'))).toBe(true);
  });
});

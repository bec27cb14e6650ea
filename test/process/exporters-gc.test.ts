import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runFixture } from './run-fixture.js';

beforeAll(() => {
  ensureBuilt();
}, 180_000);

describe('exporters and garbage collection', () => {
  it('exporters — a breaker collected by the GC drops out of the scrape and the collection', async () => {
    const child = await runFixture('exporters-forget-collected-breaker.js', ['--expose-gc']);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({
      collected: true,
      before: { prometheus: ['dropped', 'kept'], otel: ['dropped', 'kept'] },
      after: { prometheus: ['kept'], otel: ['kept'] },
    });
  });
});

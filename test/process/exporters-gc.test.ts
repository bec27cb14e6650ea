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

  it('exporters — a stale cache collected by the GC keeps its answers in the scrape', async () => {
    const child = await runFixture('exporters-keep-collected-stale-cache.js', ['--expose-gc']);
    expect(child.stderr).toBe('');
    expect(child.code).toBe(0);
    const answers = ['fresh 1', 'stale 1', 'miss 1'];
    expect(JSON.parse(child.stdout)).toEqual({ collected: true, before: answers, after: answers });
  });
});

// The Redis test gate: under CI a missing redis-server fails the file; elsewhere it skips loudly.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { redisAvailable, requireRedis } from '../support/redis-server.js';

describe('requireRedis', () => {
  const saved = { ci: process.env.CI, bin: process.env.REDIS_SERVER };
  const restore = (key: 'CI' | 'REDIS_SERVER', value: string | undefined) => {
    if (value === undefined) Reflect.deleteProperty(process.env, key);
    else process.env[key] = value;
  };
  afterEach(() => {
    restore('CI', saved.ci);
    restore('REDIS_SERVER', saved.bin);
    vi.restoreAllMocks();
  });

  it('requireRedis — a missing server fails under CI', () => {
    process.env.REDIS_SERVER = '/nonexistent/redis-server';
    process.env.CI = 'true';
    expect(redisAvailable()).toBe(false);
    expect(() => requireRedis('some.test.ts')).toThrow(/redis-server not found.*some\.test\.ts/);
  });

  it('requireRedis — a missing server outside CI skips with a loud message', () => {
    process.env.REDIS_SERVER = '/nonexistent/redis-server';
    Reflect.deleteProperty(process.env, 'CI');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(requireRedis('some.test.ts')).toBe(false);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('SKIPPED'));
  });
});

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { requireRedis } from './redis-server.js';
import { findExecutable, requireTool } from './require-tool.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'require-tool-'));
  await writeFile(join(dir, 'fake-tool'), '#!/bin/sh\n', { mode: 0o755 });
  await writeFile(join(dir, 'not-executable'), '', { mode: 0o644 });
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tool = (candidates: string[]) => ({
  name: 'fake-tool',
  candidates,
  install: 'apt-get install -y fake-tool',
  purpose: 'the fake tests',
});

describe('requireTool', () => {
  it('findExecutable — finds absolute paths and names on PATH, skips non-executables', () => {
    expect(findExecutable([join(dir, 'fake-tool')])).toBe(join(dir, 'fake-tool'));
    expect(findExecutable(['not-executable', 'fake-tool'], dir)).toBe(join(dir, 'fake-tool'));
    expect(findExecutable(['nope'], dir)).toBeUndefined();
  });

  it('requireTool — returns the path when found', () => {
    expect(requireTool(tool(['fake-tool']), { PATH: dir })).toEqual({
      found: true,
      path: join(dir, 'fake-tool'),
    });
  });

  it('requireTool — throws when missing and CI=true', () => {
    expect(() => requireTool(tool(['nope']), { PATH: dir, CI: 'true' })).toThrow(
      /fake-tool is required for the fake tests when CI=true.*apt-get install -y fake-tool/,
    );
  });

  it('requireTool — warns loudly and reports not found when missing outside CI', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(requireTool(tool(['nope']), { PATH: dir })).toEqual({ found: false, path: undefined });
      expect(warn).toHaveBeenCalledWith(
        expect.stringContaining('SKIPPING the fake tests: fake-tool was not found'),
      );
    } finally {
      warn.mockRestore();
    }
  });
});

describe('requireRedis (requireTool for redis-server)', () => {
  const missing = { PATH: '', REDIS_SERVER: '/nonexistent/redis-server' };

  it('requireRedis — a missing server fails the file under CI, naming the file', () => {
    expect(() => requireRedis('some.test.ts', { ...missing, CI: 'true' })).toThrow(
      /redis-server is required for the Redis tests of some\.test\.ts when CI=true/,
    );
  });

  it('requireRedis — a missing server outside CI skips with a loud message', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(requireRedis('some.test.ts', missing)).toBe(false);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('SKIPPING the Redis tests of some.test.ts'));
    } finally {
      warn.mockRestore();
    }
  });

  it('requireRedis — an executable that is not redis-server does not count', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      expect(requireRedis('some.test.ts', { PATH: '', REDIS_SERVER: join(dir, 'fake-tool') })).toBe(false);
    } finally {
      warn.mockRestore();
    }
  });
});

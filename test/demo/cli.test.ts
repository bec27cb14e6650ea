import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BIN, ensureBuilt, ROOT } from './build.js';

function capture(): { stderr: () => string } {
  let text = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    text += String(chunk);
    return true;
  });
  return { stderr: () => text };
}

describe('main', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it.each([
    [['demo', '--rate', 'fast'], '--rate must be an integer from 1 to 2000 (got "fast")'],
    [['demo', '--rate', '0'], '--rate must be an integer from 1 to 2000 (got "0")'],
    [['demo', '--duration', '5'], '--duration must be a number from 10 to 3600 (got "5")'],
    [['demo', '--duration', ''], '--duration must be a number from 10 to 3600 (got "")'],
    [['demo', '--seed', '1.5'], '--seed must be an integer'],
    [['demo', '--json', ''], '--json needs a file name'],
    [['demo', '--colour'], "Unknown option '--colour'"],
    [['demo', '--rate'], "Option '--rate <value>' argument missing"],
    [['deploy'], 'unknown command "deploy"'],
    [['demo', 'extra'], 'unknown command "demo extra"'],
    [[], 'a command is needed'],
  ])('main — %j exits 2 with a clear message and the usage', async (argv, message) => {
    const io = capture();
    const out: string[] = [];
    expect(await main(argv, (l) => out.push(l))).toBe(2);
    expect(io.stderr()).toContain(message);
    expect(io.stderr()).toContain('Usage: breakwater <command>');
    expect(out).toEqual([]);
  });

  it('main — --help prints the usage and exits 0', async () => {
    const out: string[] = [];
    expect(await main(['--help'], (l) => out.push(l))).toBe(0);
    expect(out.join('\n')).toMatch(
      /--duration <s>[\s\S]*--rate <n>[\s\S]*--seed <n>[\s\S]*--json <file>[\s\S]*--dashboard/,
    );
  });
});

describe('breakwater (built command)', () => {
  beforeAll(() => {
    ensureBuilt();
  }, 240_000);

  it('bin — bad arguments exit 2 with the message on stderr', () => {
    const result = spawnSync(process.execPath, [BIN, 'demo', '--rate=-3'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('breakwater: --rate must be an integer from 1 to 2000 (got "-3")');
    expect(result.stdout).toBe('');
  });

  it('bin — --help exits 0', () => {
    const result = spawnSync(process.execPath, [BIN, 'demo', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: breakwater <command> [options]');
  });
});

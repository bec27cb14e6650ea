import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { BIN, ensureBuilt, ROOT } from '../support/build.js';

const PACKAGE_VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

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
    [['demo', '--colour'], "breakwater: unknown option '--colour'\n\n"],
    [['--foo'], "breakwater: unknown option '--foo'\n\n"],
    [['demo', '-x'], "breakwater: unknown option '-x'\n\n"],
    [['demo', '--rate'], "breakwater: option '--rate' needs a value\n\n"],
    [['demo', '--dashboard=yes'], "breakwater: option '--dashboard' takes no value\n\n"],
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

  it("main — an unknown option gets one short line, not the parser's advice", async () => {
    const io = capture();
    expect(await main(['--version2'], () => {})).toBe(2);
    const [first, blank, usage] = io.stderr().split('\n');
    expect([first, blank, usage]).toEqual([
      "breakwater: unknown option '--version2'",
      '',
      'Usage: breakwater <command> [options]',
    ]);
  });

  it.each([[['--version']], [['-v']], [['demo', '--version']]])(
    'main — %j prints the package version and exits 0',
    async (argv) => {
      const io = capture();
      const out: string[] = [];
      expect(await main(argv, (l) => out.push(l))).toBe(0);
      expect(out).toEqual([PACKAGE_VERSION]);
      expect(io.stderr()).toBe('');
    },
  );

  it.each([['--help'], ['-h']])('main — %s prints the usage and exits 0', async (flag) => {
    const out: string[] = [];
    expect(await main([flag], (l) => out.push(l))).toBe(0);
    expect(out.join('\n')).toContain('Usage: breakwater <command> [options]');
    expect(out.join('\n')).toMatch(/-v, --version/);
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

  it('bin — --version prints the version and exits 0', () => {
    const result = spawnSync(process.execPath, [BIN, '--version'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`${PACKAGE_VERSION}\n`);
    expect(result.stderr).toBe('');
  });

  it('bin — an unknown option exits 2 with one line and the usage', () => {
    const result = spawnSync(process.execPath, [BIN, '--foo'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^breakwater: unknown option '--foo'\n\nUsage: breakwater <command>/);
    expect(result.stdout).toBe('');
  });

  it('bin — --help exits 0', () => {
    const result = spawnSync(process.execPath, [BIN, 'demo', '--help'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: breakwater <command> [options]');
  });
});

// The build fixture's rules, pinned on files in a temporary directory: when outputs count as
// fresh, and how the lock makes concurrent callers build once. tsdown never runs here.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Build, ensureBuilt, isFresh } from './build.js';
import { waitFor } from './wait.js';

/** Seconds since the epoch, for `utimesSync`: a fixed point well in the past. */
const T = 1_700_000_000;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-build-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Writes `path` (inside the test directory) and sets its mtime to `seconds`. */
function file(path: string, seconds: number): string {
  const full = join(dir, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, path);
  utimesSync(full, seconds, seconds);
  return full;
}

/** A build over files in the test directory; `run` counts its calls and writes the outputs. */
function fixture(extra: Partial<Build> = {}) {
  const runs: number[] = [];
  const outputs = [join(dir, 'out/a.js'), join(dir, 'out/b.js')];
  const build: Build = {
    outputs,
    inputs: [join(dir, 'src'), join(dir, 'config.ts')],
    lock: join(dir, 'cache', 'build.lock'),
    run: (limitMs) => {
      runs.push(limitMs);
      for (const output of outputs) {
        mkdirSync(join(output, '..'), { recursive: true });
        writeFileSync(output, 'built');
      }
    },
    ...extra,
  };
  return { build, runs };
}

/** Inputs at T (the `src` directory too) and both outputs at `outputAt`. */
function filesAt(outputAt: { a: number; b: number }) {
  file('src/index.ts', T);
  file('src/deep/part.ts', T);
  utimesSync(join(dir, 'src/deep'), T, T);
  utimesSync(join(dir, 'src'), T, T);
  file('config.ts', T);
  file('out/a.js', outputAt.a);
  file('out/b.js', outputAt.b);
}

describe('isFresh', () => {
  it('isFresh — every output newer than every input is fresh', () => {
    filesAt({ a: T + 10, b: T + 20 });
    expect(isFresh(fixture().build)).toBe(true);
  });

  it('isFresh — an output as old as the newest input still counts as fresh', () => {
    filesAt({ a: T, b: T + 20 });
    expect(isFresh(fixture().build)).toBe(true);
  });

  it('isFresh — an input file newer than the oldest output is stale', () => {
    filesAt({ a: T + 10, b: T + 20 });
    utimesSync(join(dir, 'config.ts'), T + 15, T + 15);
    expect(isFresh(fixture().build)).toBe(false);
  });

  it('isFresh — a file deep in an input directory newer than an output is stale', () => {
    filesAt({ a: T + 10, b: T + 20 });
    utimesSync(join(dir, 'src/deep/part.ts'), T + 11, T + 11);
    expect(isFresh(fixture().build)).toBe(false);
  });

  it('isFresh — an input directory itself newer than an output is stale (a file was deleted)', () => {
    filesAt({ a: T + 10, b: T + 20 });
    utimesSync(join(dir, 'src/deep'), T + 11, T + 11);
    expect(isFresh(fixture().build)).toBe(false);
  });

  it('isFresh — a missing output is stale', () => {
    filesAt({ a: T + 10, b: T + 20 });
    rmSync(join(dir, 'out/b.js'));
    expect(isFresh(fixture().build)).toBe(false);
  });

  it('isFresh — nothing is fresh while the lock exists (a build is under way)', () => {
    filesAt({ a: T + 10, b: T + 20 });
    const { build } = fixture();
    mkdirSync(build.lock, { recursive: true });
    expect(isFresh(build)).toBe(false);
  });
});

describe('ensureBuilt', () => {
  it('ensureBuilt — does not build when fresh', () => {
    filesAt({ a: T + 10, b: T + 20 });
    const { build, runs } = fixture();
    ensureBuilt(5_000, build);
    expect(runs).toEqual([]);
  });

  it('ensureBuilt — builds once when stale, holding the lock with its PID, and removes the lock', () => {
    filesAt({ a: T + 10, b: T + 20 });
    utimesSync(join(dir, 'src/index.ts'), T + 30, T + 30);
    const seen: string[] = [];
    const { build, runs } = fixture();
    const inner = build.run;
    ensureBuilt(5_000, {
      ...build,
      run: (limitMs) => {
        seen.push(readFileSync(join(build.lock, 'pid'), 'utf8'));
        inner(limitMs);
      },
    });
    expect(runs).toEqual([5_000]);
    expect(seen).toEqual([String(process.pid)]);
    expect(existsSync(build.lock)).toBe(false);
    expect(isFresh(build)).toBe(true);
  });

  it('ensureBuilt — a build that throws releases the lock and the error reaches the caller', () => {
    filesAt({ a: T + 10, b: T + 20 });
    rmSync(join(dir, 'out/a.js'));
    const { build } = fixture({
      run: () => {
        throw new Error('compile error');
      },
    });
    expect(() => ensureBuilt(5_000, build)).toThrow('compile error');
    expect(existsSync(build.lock)).toBe(false);
  });

  it('ensureBuilt — a build that leaves the outputs stale is retried until the limit, then throws', () => {
    filesAt({ a: T + 10, b: T + 20 });
    rmSync(join(dir, 'out/a.js'));
    let runs = 0;
    const { build } = fixture({
      run: () => {
        runs++;
      },
    });
    expect(() => ensureBuilt(50, build)).toThrow('the build was not fresh within 50 ms');
    expect(runs).toBeGreaterThanOrEqual(1);
    expect(existsSync(build.lock)).toBe(false);
  });

  it('ensureBuilt — waits for a live holder of the lock and never builds or takes the lock over', () => {
    filesAt({ a: T + 10, b: T + 20 });
    rmSync(join(dir, 'out/a.js'));
    const { build, runs } = fixture();
    mkdirSync(build.lock, { recursive: true });
    writeFileSync(join(build.lock, 'pid'), String(process.pid)); // alive: this process
    utimesSync(build.lock, T, T); // old, so only the holder being alive keeps it
    expect(() => ensureBuilt(300, build)).toThrow('the build was not fresh within 300 ms');
    expect(runs).toEqual([]);
    expect(readFileSync(join(build.lock, 'pid'), 'utf8')).toBe(String(process.pid));
  });

  it('ensureBuilt — takes over an old lock whose holder died, and builds', () => {
    filesAt({ a: T + 10, b: T + 20 });
    rmSync(join(dir, 'out/a.js'));
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    const { build, runs } = fixture();
    mkdirSync(build.lock, { recursive: true });
    writeFileSync(join(build.lock, 'pid'), String(dead));
    utimesSync(build.lock, T, T);
    ensureBuilt(5_000, build);
    expect(runs).toHaveLength(1);
    expect(existsSync(build.lock)).toBe(false);
    expect(isFresh(build)).toBe(true);
  });

  it('ensureBuilt — leaves a recent lock alone even when its holder died (it may be writing its PID)', () => {
    filesAt({ a: T + 10, b: T + 20 });
    rmSync(join(dir, 'out/a.js'));
    const { build, runs } = fixture();
    mkdirSync(build.lock, { recursive: true }); // no pid file yet
    const future = Date.now() / 1_000 + 3_600; // recent however long this test is stalled
    utimesSync(build.lock, future, future);
    expect(() => ensureBuilt(300, build)).toThrow('the build was not fresh within 300 ms');
    expect(runs).toEqual([]);
    expect(existsSync(build.lock)).toBe(true);
  });
});

describe('ensureBuilt in two processes', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0))
      if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
        process.kill(child.pid, 'SIGKILL');
  });

  /** Runs this module's own code (compiled to JavaScript) in a child process as caller `name`. */
  function caller(name: string, plan: object): { child: ChildProcess; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [join(dir, 'caller.mjs'), JSON.stringify(plan), name], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (data: string) => (stderr += data));
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        if (code !== 0) console.error(`caller ${name} failed:\n${stderr}`);
        resolve(code);
      }),
    );
    return { child, exited };
  }

  it('ensureBuilt — a caller that starts while another builds waits for it: one build', async () => {
    const source = readFileSync(new URL('./build.ts', import.meta.url), 'utf8');
    const compiled = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
    });
    writeFileSync(join(dir, 'build.mjs'), compiled.outputText);
    // The build logs who ran it, then waits for the test's word before writing the outputs.
    writeFileSync(
      join(dir, 'caller.mjs'),
      `import { appendFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensureBuilt } from './build.mjs';
const plan = JSON.parse(process.argv[2]);
const name = process.argv[3];
const pause = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
writeFileSync(plan.entered + name, '');
ensureBuilt(60_000, {
  ...plan,
  run: () => {
    appendFileSync(plan.log, name + '\\n');
    while (!existsSync(plan.release)) pause(10);
    for (const output of plan.outputs) {
      mkdirSync(dirname(output), { recursive: true });
      writeFileSync(output, name);
    }
  },
});
`,
    );
    file('src/index.ts', T);
    file('config.ts', T);
    const { build } = fixture();
    const plan = {
      outputs: build.outputs,
      inputs: build.inputs,
      lock: build.lock,
      log: join(dir, 'log'),
      release: join(dir, 'release'),
      entered: join(dir, 'entered-'),
    };
    const pidFile = join(build.lock, 'pid');

    const a = caller('A', plan);
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8') === String(a.child.pid),
      20_000,
      'caller A to hold the lock',
    );
    // A holds the lock until released, so B enters ensureBuilt while A is building.
    const b = caller('B', plan);
    await waitFor(() => existsSync(`${plan.entered}B`), 20_000, 'caller B to start');
    writeFileSync(plan.release, '');

    expect(await Promise.all([a.exited, b.exited])).toEqual([0, 0]);
    expect(readFileSync(plan.log, 'utf8')).toBe('A\n');
    expect(build.outputs.map((output) => readFileSync(output, 'utf8'))).toEqual(['A', 'A']);
    expect(existsSync(build.lock)).toBe(false);
  });
});

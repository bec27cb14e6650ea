/**
 * Runs one property of a robustness fixture (`test/fixtures/robustness-*.js`) in a child Node
 * process against the built package, and reads its report.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export { ensureBuilt } from '../support/build.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One checked property of a fixture's report. */
interface Case {
  readonly name: string;
  readonly ok: boolean;
  readonly ms: number;
  /** fast-check's message: seed, path, shrunk counterexample. */
  readonly error?: string;
  /** What the counterexample broke. */
  readonly broke?: string;
}

/** What a fixture run reported. */
export interface PropertyRun {
  readonly code: number | null;
  readonly stderr: string;
  /** Every failed case as text (what broke, then fast-check's counterexample); empty when all held. */
  readonly failures: string[];
  /** Unhandled rejections and uncaught exceptions the child saw (the first ten). */
  readonly problems: string[];
  /** Warnings of a type breakwater does not emit (e.g. MaxListenersExceededWarning). */
  readonly unexpectedWarnings: string[];
  readonly cases: readonly Case[];
}

/**
 * Runs `node --no-warnings test/fixtures/<fixture> <property>` (warnings are still delivered to
 * the child's own listener, which records them) and kills it by pid after `limitMs`.
 */
export function runProperty(fixture: string, property: string, limitMs = 60_000): Promise<PropertyRun> {
  const child = spawn(
    process.execPath,
    ['--no-warnings', join(root, 'test', 'fixtures', fixture), property],
    {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env },
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(killer);
      let report: { cases: Case[]; problems: string[]; unexpectedWarnings: string[] };
      try {
        report = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as typeof report;
      } catch {
        report = {
          cases: [],
          problems: [`no report; stdout: ${stdout.slice(0, 2_000)}`],
          unexpectedWarnings: [],
        };
      }
      resolve({
        code,
        stderr,
        cases: report.cases,
        failures: report.cases
          .filter((c) => !c.ok)
          .map((c) => `${c.name}\n  broke: ${c.broke ?? '?'}\n  ${(c.error ?? '').replace(/\n/g, '\n  ')}`),
        problems: report.problems,
        unexpectedWarnings: report.unexpectedWarnings,
      });
    });
  });
}

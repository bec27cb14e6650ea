/**
 * The `breakwater` command. `breakwater demo` reproduces a cascading failure on local services
 * and shows the circuit breaker stopping it; `--help` lists commands and options.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runDemo } from '../demo/run-demo.js';
import { findServiceScript } from '../demo/service-script.js';

const HELP = `Usage: breakwater <command> [options]

Commands:
  demo              Run client → A → B → C → database as local processes under load, make
                    the database slow, then hang, then heal, once with timeouts only and once
                    with a circuit breaker at every hop, and compare the two.

Options for demo:
  --duration <s>    Total seconds for both runs (default 60; at least 10).
  --rate <n>        Client requests per second (default 100; 1 to 2000).
  --seed <n>        Seed of the random choices, to replay a run (default 1).
  --json <file>     Also write the results as JSON to <file>.
  --dashboard       During the protected run, serve a live dashboard of every breaker, and
                    one per service (A, B, C); the URLs are printed when the run starts.

Options:
  -h, --help        Show this help.
  -v, --version     Print the version of breakwater.
`;

class UsageError extends Error {}

function number(
  name: string,
  text: string | undefined,
  fallback: number,
  rule: { min: number; max: number; integer: boolean },
): number {
  if (text === undefined) return fallback;
  const value = Number(text);
  const ok =
    text.trim() !== '' &&
    Number.isFinite(value) &&
    value >= rule.min &&
    value <= rule.max &&
    (!rule.integer || Number.isInteger(value));
  if (!ok) {
    const kind = rule.integer ? 'an integer' : 'a number';
    throw new UsageError(`--${name} must be ${kind} from ${rule.min} to ${rule.max} (got "${text}")`);
  }
  return value;
}

/**
 * The version in the package's own package.json: two levels up from the built command
 * (`dist/cli/`) and from its source (`src/cli/`).
 */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      name?: unknown;
      version?: unknown;
    };
    if (pkg.name === 'breakwater' && typeof pkg.version === 'string') return pkg.version;
  } catch {
    // Reported below.
  }
  return 'unknown';
}

/** A short line for what `parseArgs` rejected, without its advice about positionals. */
function parseProblem(error: unknown): string {
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  const option = /'(-[^' ]+)/.exec(text)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option '${option}'`;
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return text.includes('does not take an argument')
      ? `option '${option}' takes no value`
      : `option '${option}' needs a value`;
  }
  return text.split('. ')[0] ?? text;
}

function usage(message: string): number {
  process.stderr.write(`breakwater: ${message}\n\n${HELP}`);
  return 2;
}

/** Parses `argv` and runs the command; returns the process exit code. */
export async function main(
  argv: readonly string[],
  out: (line: string) => void = console.log,
): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
        duration: { type: 'string' },
        rate: { type: 'string' },
        seed: { type: 'string' },
        json: { type: 'string' },
        dashboard: { type: 'boolean' },
      },
    });
  } catch (error) {
    return usage(parseProblem(error));
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help === true) {
    out(HELP);
    return 0;
  }
  if (values.version === true) {
    out(packageVersion());
    return 0;
  }
  if (command === undefined) return usage('a command is needed');
  if (command !== 'demo' || rest.length > 0) return usage(`unknown command "${positionals.join(' ')}"`);

  let durationS: number, rate: number, seed: number;
  try {
    durationS = number('duration', values.duration, 60, { min: 10, max: 3600, integer: false });
    rate = number('rate', values.rate, 100, { min: 1, max: 2000, integer: true });
    seed = number('seed', values.seed, 1, { min: 0, max: 2 ** 32 - 1, integer: true });
    if (values.json?.trim() === '') throw new UsageError('--json needs a file name');
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message);
    throw error;
  }
  const serviceScript = findServiceScript();
  if (serviceScript === undefined) {
    process.stderr.write(
      'breakwater: the demo service script is missing; build the package first (npm run build)\n',
    );
    return 1;
  }

  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (!interrupt.signal.aborted) {
      out(`\n${signal}: stopping every service...`);
      interrupt.abort(signal);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await runDemo(
      {
        durationS,
        rate,
        seed,
        json: values.json,
        dashboard: values.dashboard === true,
        serviceScript,
        signal: interrupt.signal,
      },
      out,
    );
    return 0;
  } catch (error) {
    if (interrupt.signal.aborted && error === interrupt.signal.reason) {
      out('every service stopped; interrupted.');
      return error === 'SIGTERM' ? 143 : 130;
    }
    process.stderr.write(
      `breakwater: demo failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.stderr.write('breakwater: every service it started has been stopped.\n');
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

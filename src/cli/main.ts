/**
 * The `breakwater` command. `breakwater demo` shows a breaker at work; `--help` lists commands.
 */
import { parseArgs } from 'node:util';
import { runScriptedDemo } from './scripted-demo.js';

const HELP = `Usage: breakwater <command> [options]

Commands:
  demo        Show a circuit breaker opening on a failing dependency, failing fast,
              probing and closing again.

Options:
  -h, --help  Show this help.
`;

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
      options: { help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    process.stderr.write(`breakwater: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help === true || command === undefined) {
    out(HELP);
    return command === undefined && parsed.values.help !== true ? 2 : 0;
  }
  if (command === 'demo' && rest.length === 0) {
    await runScriptedDemo(out);
    return 0;
  }
  process.stderr.write(`breakwater: unknown command "${[command, ...rest].join(' ')}"\n\n${HELP}`);
  return 2;
}

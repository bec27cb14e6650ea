/**
 * `breakwater demo`: a cascading failure on real local services, and the breaker stopping it.
 *
 * client (this process) → A → B → C → database, each service its own process on loopback. The
 * database turns slow, then hangs, then heals. The schedule runs twice: with timeouts only, then
 * with a breaker at every hop and fallbacks (C: stale cache, A: degraded answer). Every process
 * started here is tracked by PID and ended by it, on success, on a crash and on Ctrl-C.
 */
import { setMaxListeners } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { type Clock, systemClock } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import { createDashboard } from '../dashboard/dashboard.js';
import { runLoad, warmUp } from './load.js';
import { ServiceGroup, type Service } from './processes.js';
import { DASHBOARD_PATH, type Mode, type Role, type ServiceConfig, sharedNow } from './protocol.js';
import { RunRecorder } from './recorder.js';
import { finalReport, liveLine, verdict } from './report.js';
import type { DemoReport, PerService, RunReport } from './run-report.js';
import { CLIENT_TIMEOUT_MS, phaseAt, phasesFor, tuningFor } from './schedule.js';
import { TelemetryMirror } from './telemetry-relay.js';

/** Options of {@link runDemo} (validated by the command line). */
export interface DemoOptions {
  /** Total seconds for both runs. */
  readonly durationS: number;
  /** Client requests per second. */
  readonly rate: number;
  /** Seed of every random choice (item ids, database latency), so a run can be replayed. */
  readonly seed: number;
  /** Where to write the JSON report. */
  readonly json?: string | undefined;
  /** The built service script to fork. */
  readonly serviceScript: string;
  /** Serve the live dashboard of each service's breakers during the protected run. */
  readonly dashboard?: boolean | undefined;
  /** Stops the demo (its reason is thrown once every process has exited). */
  readonly signal?: AbortSignal | undefined;
}

/** Most client requests in flight at once; beyond it requests are shed (counted as errors). */
const MAX_CLIENT_IN_FLIGHT = 2_000;
/** Distinct item ids the client asks for. */
const KEYS = 50;
const BREAKERS = ['A->B', 'B->C', 'C->database'];
/** Unmeasured load at the full rate before each run. */
const WARM_UP_MS = 3_000;

/** Runs both runs, prints the live lines and the report, writes `--json`; returns the report. */
export async function runDemo(options: DemoOptions, out: (line: string) => void): Promise<DemoReport> {
  const runMs = Math.round((options.durationS * 1000) / 2);
  out(
    `breakwater demo: client → A → B → C → database, ${options.rate} requests/s, ` +
      `${runMs / 1000} s per run; the database turns slow, hangs, then heals.`,
  );
  const runs: Partial<Record<Mode, RunReport>> = {};
  for (const mode of ['unprotected', 'protected'] as const) {
    out('');
    out(
      mode === 'unprotected'
        ? 'Run 1 — unprotected: timeouts only (generous, as usually configured).'
        : 'Run 2 — protected: a circuit breaker at every hop; C falls back to a stale cache, A to a degraded answer.',
    );
    runs[mode] = await runOnce(mode, runMs, options, out, systemClock);
  }
  const { unprotected, protected: protectedRun } = runs;
  if (unprotected === undefined || protectedRun === undefined) throw new Error('a run is missing');
  const report: DemoReport = {
    options: { durationS: options.durationS, rate: options.rate, seed: options.seed },
    runs: { unprotected, protected: protectedRun },
    verdict: verdict(unprotected, protectedRun),
  };
  for (const line of finalReport(report)) out(line);
  if (options.json !== undefined) {
    await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
    out(`JSON report written to ${options.json}`);
  }
  return report;
}

async function runOnce(
  mode: Mode,
  runMs: number,
  options: DemoOptions,
  out: (line: string) => void,
  clock: Clock,
): Promise<RunReport> {
  const phases = phasesFor(runMs);
  const recorder = new RunRecorder(mode, phases, mode === 'protected' ? BREAKERS : []);
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // every request in flight listens to it
  const onOuterAbort = (): void => {
    stop.abort(options.signal?.reason);
  };
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (options.signal?.aborted === true) onOuterAbort();
  const withDashboard = options.dashboard === true && mode === 'protected';
  // One dashboard of every service's breakers, fed by the streams the services relay.
  const mirror = withDashboard ? new TelemetryMirror() : undefined;
  const dashboard =
    mirror === undefined
      ? undefined
      : createDashboard({ source: mirror.telemetry, title: 'breakwater demo' });
  const group = new ServiceGroup(
    options.serviceScript,
    (_role, message) => {
      if (message.type === 'stats') recorder.stats(_role, message);
      else if (message.type === 'transition') recorder.transition(message);
      else if (message.type === 'telemetry') mirror?.receive(message);
    },
    (crash) => {
      stop.abort(crash);
    },
  );
  const timers: unknown[] = [];
  try {
    const services = new Map<Role, Service>();
    let downstream: string | undefined;
    for (const role of ['database', 'C', 'B', 'A'] as const) {
      stop.signal.throwIfAborted();
      const config: ServiceConfig = {
        role,
        mode,
        seed: options.seed,
        tuning: tuningFor(runMs, mode, role),
        ...(downstream === undefined ? {} : { downstream }),
        ...(withDashboard && role !== 'database' ? { dashboard: true } : {}),
      };
      const service = await Promise.race([group.start(config), aborted(stop.signal)]);
      services.set(role, service);
      downstream = service.url;
    }
    const get = (role: Role): Service => {
      const service = services.get(role);
      if (service === undefined) throw new Error(`service ${role} is missing`);
      return service;
    };
    const pids: PerService = {
      A: get('A').pid,
      B: get('B').pid,
      C: get('C').pid,
      database: get('database').pid,
    };
    const ports: PerService = {
      A: get('A').port,
      B: get('B').port,
      C: get('C').port,
      database: get('database').port,
    };
    out(
      `  services: ${(['A', 'B', 'C', 'database'] as const).map((r) => `${r} pid ${pids[r]} port ${ports[r]}`).join(', ')}`,
    );
    if (dashboard !== undefined) {
      const { url } = await dashboard.listen(0);
      const urls = (['A', 'B', 'C'] as const).map((r) => `${r} ${get(r).url}${DASHBOARD_PATH}/`);
      out(`  dashboard of every breaker (live until the end of this run): ${url}`);
      out(`  dashboard per service: ${urls.join(', ')}`);
    } else if (options.dashboard === true) {
      out('  dashboard: this run has no breakers; the protected run serves it');
    }

    // Warm up: first a few hundred requests one batch at a time, then the real rate for a few
    // seconds, unmeasured, so that the run starts from services that have been running a while.
    out('  warming up...');
    await warmUp(get('A').url, { requests: 300, concurrency: 10, maxMs: 6_000, clock, signal: stop.signal });
    const load = {
      target: get('A').url,
      rate: options.rate,
      maxInFlight: MAX_CLIENT_IN_FLIGHT,
      timeoutMs: CLIENT_TIMEOUT_MS,
      keys: KEYS,
      clock,
      random: seededRandom(options.seed),
      signal: stop.signal,
    };
    await runLoad({ ...load, durationMs: WARM_UP_MS, onSent: () => undefined, onResult: () => undefined });
    stop.signal.throwIfAborted();
    for (const role of ['A', 'B', 'C'] as const) {
      const child = get(role).child;
      if (child.connected) child.send({ type: 'reset' });
    }

    const database = get('database').child;
    recorder.startShared = sharedNow();
    const start = clock.now();
    for (const phase of phases) {
      timers.push(
        clock.setTimeout(() => {
          if (database.connected) database.send({ type: 'phase', name: phase.name });
          out(
            `  -- ${phase.name}${phase.name === 'healthy' ? '' : ' (database)'} at ${phase.startMs / 1000} s`,
          );
        }, phase.startMs),
      );
    }
    let second = 0;
    const live = (): void => {
      second++;
      const at = clock.now() - start;
      out(liveLine(mode, second, phaseAt(phases, at).name, recorder.takeSecond()));
      timers.push(clock.setTimeout(live, start + (second + 1) * 1000 - clock.now()));
    };
    timers.push(clock.setTimeout(live, 1000));

    await runLoad({
      ...load,
      durationMs: runMs,
      onSent: () => {
        recorder.sent();
      },
      onResult: (r) => {
        recorder.result(r);
      },
    });
    stop.signal.throwIfAborted();
    // One last report from each service covers the end of the run.
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 300));
    return recorder.finish(options.rate, runMs, pids, ports);
  } finally {
    for (const t of timers) clock.clearTimeout(t);
    options.signal?.removeEventListener('abort', onOuterAbort);
    await group.stop();
    mirror?.clear();
    await dashboard?.close();
  }
}

/** A promise that rejects with the signal's reason when it aborts (never resolves). */
function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener(
      'abort',
      () => {
        reject(signal.reason);
      },
      { once: true },
    );
  });
}

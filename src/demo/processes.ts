/**
 * The demo's child processes: started with `fork`, tracked by PID from the first moment, and
 * ended by that PID (SIGTERM, then SIGKILL for any that lingers). A service that exits while
 * the run still needs it is reported as a crash.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { systemClock } from '../core/clock.js';
import type { ChildMessage, Role, ServiceConfig } from './protocol.js';

/** A running service. */
export interface Service {
  readonly role: Role;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
}

const START_TIMEOUT_MS = 15_000;
const KILL_GRACE_MS = 2_000;

/** The services of one run. */
export class ServiceGroup {
  readonly #script: string;
  readonly #children = new Map<number, { role: Role; child: ChildProcess; exited: Promise<void> }>();
  readonly #onMessage: (role: Role, message: ChildMessage) => void;
  readonly #onCrash: (error: Error) => void;
  #stopping = false;

  constructor(
    script: string,
    onMessage: (role: Role, message: ChildMessage) => void,
    onCrash: (error: Error) => void,
  ) {
    this.#script = script;
    this.#onMessage = onMessage;
    this.#onCrash = onCrash;
  }

  /** PIDs of every process this group started, running or not. */
  get pids(): number[] {
    return [...this.#children.keys()];
  }

  /** Forks a service and resolves once it listens. */
  start(config: ServiceConfig): Promise<Service> {
    const child = fork(this.#script, [JSON.stringify(config)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    const pid = child.pid;
    if (pid === undefined) return Promise.reject(new Error(`service ${config.role} could not be started`));
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    this.#children.set(pid, { role: config.role, child, exited });
    return new Promise<Service>((resolve, reject) => {
      let ready = false;
      const timer = systemClock.setTimeout(() => {
        reject(new Error(`service ${config.role} (pid ${pid}) did not start within ${START_TIMEOUT_MS} ms`));
      }, START_TIMEOUT_MS);
      child.on('message', (message: ChildMessage) => {
        if (message.type === 'ready' && !ready) {
          ready = true;
          systemClock.clearTimeout(timer);
          const url = `http://127.0.0.1:${message.port}`;
          resolve({ role: config.role, pid, port: message.port, url, child });
        } else {
          this.#onMessage(config.role, message);
        }
      });
      child.once('exit', (code, signal) => {
        systemClock.clearTimeout(timer);
        if (this.#stopping) return;
        const how = signal === null ? `code ${String(code)}` : `signal ${signal}`;
        const error = new Error(`service ${config.role} (pid ${pid}) exited unexpectedly (${how})`);
        if (ready) this.#onCrash(error);
        else reject(error);
      });
      child.once('error', (error) => {
        if (!ready) reject(error);
      });
    });
  }

  /** Ends every process of the group by its PID and waits until each has exited. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const entries = [...this.#children.entries()];
    for (const [pid] of entries) signal(pid, 'SIGTERM');
    const all = Promise.all(entries.map(([, e]) => e.exited));
    const late = await raceTimeout(all, KILL_GRACE_MS);
    if (late) {
      for (const [pid, e] of entries)
        if (e.child.exitCode === null && e.child.signalCode === null) signal(pid, 'SIGKILL');
      await raceTimeout(all, KILL_GRACE_MS);
    }
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** Waits for `promise` at most `ms`; true when the time ran out first. */
function raceTimeout(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = systemClock.setTimeout(() => {
      resolve(true);
    }, ms);
    void promise.then(() => {
      systemClock.clearTimeout(timer);
      resolve(false);
    });
  });
}

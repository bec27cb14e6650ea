/**
 * The breakwater dashboard on a few breakers driven by made-up traffic: `payments` stays
 * healthy, `inventory` fails hard for 20 s of every minute (its circuit opens, probes, closes),
 * `search` turns slow and times out for a while, `email` fails now and then without tripping,
 * and `recommendations` is isolated by hand. Open the printed address to watch it live.
 *
 * The test suite runs it (`test/dashboard/example.test.ts`) and takes the dashboard screenshot of
 * docs/observability.md from it.
 */
import { pathToFileURL } from 'node:url';
import { CircuitBreaker, type Clock, type Random, seededRandom, systemClock, Telemetry } from 'breakwater';
import { createDashboard, type Dashboard } from 'breakwater/dashboard';

/** Options of {@link main}. */
export interface ExampleOptions {
  /** Port to listen on (0 picks a free one). Default `4000`. */
  readonly port?: number;
  /** Time source for breakers, traffic and dashboard. Default: the system clock. */
  readonly clock?: Clock;
  /** Randomness of the traffic. Default: seeded, so every run looks the same. */
  readonly random?: Random;
  /** Where to print the address. Default: `console.log`. */
  readonly log?: (line: string) => void;
}

/** What {@link main} returns. */
export interface RunningExample {
  readonly url: string;
  readonly telemetry: Telemetry;
  readonly dashboard: Dashboard;
  readonly breakers: Readonly<Record<string, CircuitBreaker>>;
  /** Stops the traffic and the dashboard. */
  close(): Promise<void>;
}

/** How one dependency behaves at time `t` (ms into the run): latency and whether the call fails. */
type Behaviour = (t: number, random: Random) => { latencyMs: number; fails: boolean };

const between = (random: Random, lo: number, hi: number): number => lo + (hi - lo) * random();

const DEPENDENCIES: Record<string, Behaviour> = {
  payments: (_t, r) => ({ latencyMs: between(r, 20, 80), fails: r() < 0.02 }),
  // Down from 20 s to 40 s of every minute.
  inventory: (t, r) => ({
    latencyMs: between(r, 5, 30),
    fails: t % 60_000 >= 20_000 && t % 60_000 < 40_000 && r() < 0.9,
  }),
  // Slow from 35 s to 50 s of every minute: most calls run into the 500 ms timeout.
  search: (t, r) => {
    const slow = t % 60_000 >= 35_000 && t % 60_000 < 50_000;
    return { latencyMs: slow ? between(r, 300, 900) : between(r, 60, 250), fails: false };
  },
  email: (_t, r) => ({ latencyMs: between(r, 30, 120), fails: r() < 0.1 }),
  recommendations: (_t, r) => ({ latencyMs: between(r, 10, 40), fails: false }),
};

/** Starts the breakers, the traffic (10 calls per second per breaker) and the dashboard. */
export async function main(options: ExampleOptions = {}): Promise<RunningExample> {
  const { port = 4000, clock = systemClock, random = seededRandom(7), log = console.log } = options;
  const telemetry = new Telemetry();
  const dashboard = createDashboard({ source: telemetry, clock, title: 'breakwater — example shop' });
  const breakers: Record<string, CircuitBreaker> = {};
  for (const name of Object.keys(DEPENDENCIES)) {
    breakers[name] = new CircuitBreaker({
      name,
      telemetry,
      clock,
      random,
      timeout: 500,
      slowCallDuration: 300,
      failureRateThreshold: 0.5,
      minimumCalls: 10,
      failureThreshold: Infinity,
      recoveryTimeout: 5_000,
    });
  }
  breakers.recommendations?.isolate();

  const started = clock.now();
  let running = true;
  let timer: unknown;
  const tick = (): void => {
    if (!running) return;
    const t = clock.now() - started;
    for (const [name, behave] of Object.entries(DEPENDENCIES)) {
      const { latencyMs, fails } = behave(t, random);
      breakers[name]
        ?.execute(
          () =>
            new Promise<string>((resolve, reject) => {
              clock.setTimeout(
                () => (fails ? reject(new Error(`${name} failed`)) : resolve('ok')),
                latencyMs,
              );
            }),
        )
        .catch(() => undefined);
    }
    timer = clock.setTimeout(tick, 100);
  };
  tick();

  const listening = await dashboard.listen(port);
  log(`breakwater dashboard example: ${listening.url}`);
  return {
    url: listening.url,
    telemetry,
    dashboard,
    breakers,
    close: async () => {
      running = false;
      clock.clearTimeout(timer);
      await dashboard.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const example = await main({ port: Number(process.env.PORT ?? 4000) });
  process.once('SIGINT', () => void example.close());
}

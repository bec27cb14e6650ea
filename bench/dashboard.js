/**
 * The dashboard under 10,000 breakers, in its own process (`{ kind: 'dashboard' }` in worker.js).
 *
 * 10,000 breakers on one telemetry stream, scripted traffic (every 50 ms a burst of calls over a
 * rotating slice of the breakers; a few dependencies fail, so some breakers open and half-open),
 * and the dashboard on a loopback port. Two phases of `seconds` each, same traffic:
 * 1. no page open: the traffic's own CPU and event-loop delay (the baseline);
 * 2. one event-stream client as the page opens it (`events?limit=24`, in trouble first).
 * Reported: the process's CPU share in each phase and the difference (the page's cost, as a share
 * of one core), the longest event-loop block with the page open (perf_hooks
 * monitorEventLoopDelay, max), the bytes per second the client received, the size of one frame
 * and of the default `/api/breakers` answer, and the time of 20 concurrent `/api/breakers`
 * requests.
 */
import { Buffer } from 'node:buffer';
import { request } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import process from 'node:process';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { URL } from 'node:url';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function get(url) {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let bytes = 0;
      res.on('data', (c) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode, bytes }));
    })
      .on('error', reject)
      .end();
  });
}

/** Runs the scripted traffic until `stop()`; returns the stop function. */
function traffic(breakers) {
  const ok = () => Promise.resolve('ok');
  const down = () => Promise.reject(new Error('down'));
  let at = 0;
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    // 400 calls per burst, 8,000 per second, over a slice that walks the whole set.
    for (let k = 0; k < 400; k++) {
      const i = at++ % breakers.length;
      const b = breakers[i];
      // One breaker in 500 is down; one in 200 fails now and then.
      const failing = i % 500 === 0 || (i % 200 === 7 && tick % 5 === 0);
      b.execute(failing ? down : ok).catch(() => undefined);
    }
  }, 50);
  return () => clearInterval(timer);
}

/** One phase: CPU share and event-loop delay over `seconds`. */
async function phase(seconds) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpu0);
  const wallMs = performance.now() - t0;
  delay.disable();
  return {
    cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    maxBlockMs: delay.max / 1e6,
    p99BlockMs: delay.percentile(99) / 1e6,
    wallMs,
  };
}

export async function probeDashboard(libs, { breakers: count, seconds }) {
  const { Telemetry, CircuitBreaker } = libs.bw;
  const { createDashboard } = libs.dashboard;
  const telemetry = new Telemetry();
  const breakers = Array.from(
    { length: count },
    (_, i) =>
      new CircuitBreaker({
        name: `svc-${String(i).padStart(5, '0')}`,
        telemetry,
        timeout: false,
        failureThreshold: 5,
        recoveryTimeout: 5_000,
      }),
  );
  const dashboard = createDashboard({ source: telemetry });
  const { url } = await dashboard.listen(0);
  const stop = traffic(breakers);
  await sleep(2_000); // warm-up: JIT, the first breakers open

  const baseline = await phase(seconds);

  // One page open.
  let bytes = 0;
  let frames = 0;
  let lastFrame = 0;
  let pending = '';
  const stream = await new Promise((resolve, reject) => {
    const req = request(
      new URL('events?limit=24', url),
      { headers: { accept: 'text/event-stream' } },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          bytes += Buffer.byteLength(chunk);
          pending += chunk;
          let end = pending.indexOf('\n\n');
          while (end >= 0) {
            const block = pending.slice(0, end);
            pending = pending.slice(end + 2);
            if (block.includes('event: snapshot')) {
              frames++;
              lastFrame = Buffer.byteLength(block);
            }
            end = pending.indexOf('\n\n');
          }
        });
        resolve(req);
      },
    );
    req.on('error', reject);
    req.end();
  });
  await sleep(1_500); // the first frame and one tick
  const bytes0 = bytes;
  const open = await phase(seconds);
  const bytesPerSecond = ((bytes - bytes0) * 1000) / open.wallMs;
  stream.destroy();

  const api = await get(new URL('api/breakers', url));
  const t0 = performance.now();
  const concurrent = await Promise.all(Array.from({ length: 20 }, () => get(new URL('api/breakers', url))));
  const concurrentMs = performance.now() - t0;

  stop();
  await dashboard.close();
  return {
    breakers: count,
    seconds,
    baseline,
    open,
    pageCpuShare: open.cpuShare - baseline.cpuShare,
    bytesPerSecond,
    frames,
    frameBytes: lastFrame,
    apiBytes: api.bytes,
    concurrent20Ms: concurrentMs,
    concurrentOk: concurrent.every((r) => r.status === 200),
    held: breakers.length,
  };
}

/**
 * The recommended composition — fallback → retry → breaker → timeout (per attempt) — and
 * `protect` to put it around a function (or a method, as a decorator).
 * Run: npx unrun examples/pipeline.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitBreaker, constant, fallback, pipeline, protect, retry, timeout } from 'breakwater';
import { isMain } from './is-main.js';

export async function main(log: (line: string) => void = console.log): Promise<void> {
  const breaker = new CircuitBreaker({ name: 'weather', failureThreshold: 3, timeout: false });
  const resilient = pipeline(
    fallback({ city: '?', celsius: Number.NaN, source: 'fallback' }),
    retry({
      maxAttempts: 3,
      backoff: constant(5),
      onRetry: ({ attempt }) => log(`retry after attempt ${attempt}`),
    }),
    breaker,
    timeout(20, { name: 'weather call' }), // per attempt
  );

  let calls = 0;
  // As a method decorator: `@protect(resilient) async now(city) { ... }`. Here, the function form.
  const now = protect(resilient)(async (city: string) => {
    calls++;
    // The first call hangs past its deadline; the retry gets an answer.
    if (calls === 1) await sleep(200);
    return { city, celsius: 21, source: 'live' };
  });

  const first = await now('Lyon');
  log(`${first.city}: ${first.celsius}°C (${first.source}) after ${calls} calls`);

  breaker.isolate(); // e.g. an operator takes the dependency out
  const second = await now('Lyon');
  log(`${second.city}: ${second.source} [breaker ${breaker.state}]`);
}

if (isMain(import.meta.url)) await main();

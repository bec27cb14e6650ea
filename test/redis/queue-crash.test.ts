// A consumer process killed with SIGKILL mid-drain and started again with a closed breaker (no
// transition): every accepted request reaches the idempotent sink exactly once, none is lost, and
// a poison entry is dead-lettered with its raw text. Real redis-server, real processes.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isQueuedReceipt, queueForLater } from '../../src/index.js';
import { redisStreamQueueStorage, toAdapter } from '../../src/redis/index.js';
import { ensureBuilt } from '../support/build.js';
import { requireRedis, RedisServer } from '../support/redis-server.js';
import { waitFor } from '../support/wait.js';
import { connect, uniqueName } from './helpers.js';

const hasRedis = requireRedis('test/redis/queue-crash.test.ts');
const root = fileURLToPath(new URL('../..', import.meta.url));
const N = 200;
const POISON = '{"payload": {"n": 100}, "attempts": 0'; // truncated JSON

describe.skipIf(!hasRedis)('queueForLater on Redis Streams — crash and restart', () => {
  let server: RedisServer;
  let quit: () => Promise<void>;
  let redis: ReturnType<typeof toAdapter>;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    ensureBuilt();
    server = await RedisServer.start();
    const connection = await connect('ioredis', server.port);
    quit = () => connection.quit();
    redis = toAdapter(connection.client);
  }, 120_000);
  afterAll(async () => {
    for (const child of children)
      if (child.exitCode === null && child.pid !== undefined) child.kill('SIGKILL');
    await quit();
    await server.dispose();
  });

  const consumer = (stream: string, sink: string): ChildProcess => {
    const child = spawn(process.execPath, [join(root, 'test', 'fixtures', 'queue-consumer.js')], {
      cwd: root,
      env: {
        ...process.env,
        REDIS_PORT: String(server.port),
        STREAM: stream,
        SINK: sink,
        CONSUMER: 'worker-1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout.resume();
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) console.error(`consumer exited ${code}: ${stderr}`);
    });
    children.push(child);
    return child;
  };
  const count = async (key: string): Promise<number> => Number(await redis.command(['SCARD', key]));
  const until = (what: string, condition: () => Promise<boolean>) => waitFor(condition, 60_000, what, 20);

  it(`${N} accepted requests, a SIGKILL mid-drain, a restart with a closed breaker: each replayed exactly once, poison dead-lettered`, async () => {
    const stream = uniqueName('crash-q');
    const sink = `${stream}:sink`;
    const producer = queueForLater<{ n: number }>({
      storage: redisStreamQueueStorage({ client: redis, stream }),
      replay: () => undefined, // never drains: no breaker, no interval
      maxQueued: 10_000,
    });
    const receipts: string[] = [];
    for (let n = 0; n < N; n++) {
      if (n === N / 2) await redis.command(['XADD', stream, '*', 'item', POISON]);
      const answer = await producer.execute(() => Promise.reject(new Error('down')), { payload: { n } });
      if (!isQueuedReceipt(answer)) throw new Error(`request ${n} was not accepted`);
      receipts.push(answer.id);
    }
    expect(Number(await redis.command(['XLEN', stream]))).toBe(N + 1);

    const first = consumer(stream, sink);
    await until('the first consumer to replay 40 requests', async () => (await count(sink)) >= 40);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    const beforeRestart = await count(sink);
    expect(beforeRestart).toBeLessThan(N); // killed mid-drain

    consumer(stream, sink); // a fresh process: closed breaker, no transition
    await until(
      'every accepted request in the sink and the stream empty',
      async () => (await count(sink)) === N && Number(await redis.command(['XLEN', stream])) === 0,
    );
    const members = (await redis.command(['SMEMBERS', sink])) as string[];
    expect([...members].sort()).toEqual([...receipts].sort()); // none lost, none invented
    const deliveries = (await redis.command(['LRANGE', `${sink}:deliveries`, '0', '-1'])) as string[];
    // At least once: only requests in flight at the kill (at most one batch) are delivered twice.
    expect(deliveries.length).toBeGreaterThanOrEqual(N);
    expect(deliveries.length - N).toBeLessThanOrEqual(10);
    const dead = (await redis.command(['XRANGE', `${stream}:dead`, '-', '+'])) as [string, string[]][];
    expect(dead).toHaveLength(1);
    const fields = dead[0]![1];
    expect(fields[fields.indexOf('raw') + 1]).toBe(POISON);
    expect(fields[fields.indexOf('error') + 1]).toMatch(/JSON/);
    expect(await redis.command(['LLEN', `${sink}:undecodable`])).toBe(1);
  }, 120_000);
});

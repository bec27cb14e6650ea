/**
 * Queue for later: store emails that cannot be sent now, replay them when the breaker closes.
 * Run: npx unrun examples/queue-for-later.ts
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CircuitBreaker, isQueuedReceipt, queueForLater } from 'breakwater';
import { isMain } from './is-main.js';

interface Mail {
  readonly id: string;
  readonly to: string;
  readonly subject: string;
}

export async function main(log: (line: string) => void = console.log): Promise<void> {
  let smtpUp = false;
  const smtp = async (mail: Mail): Promise<string> => {
    if (!smtpUp) throw new Error('smtp unreachable');
    log(`sent "${mail.subject}" to ${mail.to}`);
    return 'sent';
  };

  const breaker = new CircuitBreaker({
    name: 'smtp',
    failureThreshold: 1,
    recoveryTimeout: 20,
    successThreshold: 1,
  });
  const outbox = queueForLater<Mail>({
    // `receipt` is the id the caller was given: a consumer that may see a request twice dedups on it.
    replay: (mail, { receipt }) => breaker.execute(() => smtp({ ...mail, id: receipt })),
    breaker, // replay by itself when the circuit closes
    maxQueued: 1_000,
    maxAttempts: 5,
    onDeadLetter: (item) => log(`gave up on ${item.payload.to}`),
  });
  const send = (mail: Mail) =>
    outbox.execute(() => breaker.execute(() => smtp(mail)), { payload: mail, receipt: mail.id });

  for (const [n, to] of ['ann@example.com', 'bob@example.com'].entries()) {
    const answer = await send({ id: `mail-${n + 1}`, to, subject: 'Your order' });
    if (isQueuedReceipt(answer)) log(`queued mail to ${to} as ${answer.id}`);
  }
  log(`waiting in the outbox: ${await outbox.size()}`);

  smtpUp = true;
  await sleep(25); // the circuit's recovery timeout passes
  await send({ id: 'mail-3', to: 'cy@example.com', subject: 'Welcome' }); // the probe succeeds: the circuit closes
  await outbox.drain(); // wait for the automatic drain to finish
  log(`waiting in the outbox: ${await outbox.size()}`);
  outbox.dispose();
}

if (isMain(import.meta.url)) await main();

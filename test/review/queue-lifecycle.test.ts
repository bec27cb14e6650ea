import { describe, expect, it } from 'vitest';
import { queueForLater } from '../../src/policies/index.js';

describe('queueForLater lifecycle', () => {
  it('dispose — a running drain ends after the replay in progress; the rest stays stored', async () => {
    let replays = 0;
    let release: () => void = () => undefined;
    let started: () => void = () => undefined;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const queue = queueForLater<number>({
      replay: async () => {
        replays++;
        if (replays === 1) {
          started();
          await new Promise<void>((resolve) => (release = resolve));
        }
      },
    });
    for (let i = 0; i < 25; i++) await queue.execute(() => Promise.reject(new Error('down')), { payload: i });
    const drained = queue.drain();
    await firstStarted;
    queue.dispose();
    release();
    // The first batch is 10: one replayed, nine handed back; nothing more is taken.
    await expect(drained).resolves.toEqual({ replayed: 1, requeued: 0, deadLettered: 0, deferred: 9 });
    expect(replays).toBe(1);
    expect(await queue.size()).toBe(24);
    // An explicit drain after dispose still runs.
    await expect(queue.drain()).resolves.toMatchObject({ replayed: 24 });
  });
});

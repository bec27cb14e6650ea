import { describe, expect, it } from 'vitest';
import { fault, hang, latency, outcome, seededRandom } from '../../src/chaos/index.js';
import { FakeClock, settle } from '../../src/testing/index.js';

const N = 10_000;
/** Four standard deviations of a binomial share: a correct rate stays inside it. */
const bound = (p: number): number => 4 * Math.sqrt((p * (1 - p)) / N) + 1e-9;

async function injectedShare(rate: number, seed: number): Promise<number> {
  const policy = fault({ rate, random: seededRandom(seed) });
  let failed = 0;
  for (let i = 0; i < N; i++) {
    await policy.execute(() => 1).catch(() => failed++);
  }
  expect(policy.stats).toEqual({ calls: N, injected: failed });
  return failed / N;
}

describe('fault', () => {
  it.each([0, 0.01, 0.1, 0.5, 0.9, 1])(
    'execute — rate %f injects within statistical bounds',
    async (rate) => {
      for (const seed of [1, 2, 3]) {
        const share = await injectedShare(rate, seed);
        expect(Math.abs(share - rate)).toBeLessThanOrEqual(bound(rate));
      }
    },
  );

  it('execute — the same seed replays the same injections', async () => {
    const run = async (seed: number): Promise<string> => {
      const policy = fault({ rate: 0.5, random: seededRandom(seed) });
      let trace = '';
      for (let i = 0; i < 64; i++) trace += await policy.execute(() => '.').catch(() => 'x');
      return trace;
    };
    expect(await run(7)).toBe(await run(7));
    expect(await run(7)).not.toBe(await run(8));
  });

  it('enabled — switching off and on at run time', async () => {
    const policy = fault({ rate: 1, error: new Error('down') });
    await expect(policy.execute(() => 'up')).rejects.toThrow('down');
    policy.disable();
    expect(policy.enabled).toBe(false);
    await expect(policy.execute(() => 'up')).resolves.toBe('up');
    policy.enabled = true;
    await expect(policy.execute(() => 'up')).rejects.toThrow('down');
    policy.enabled = false;
    policy.enable();
    await expect(policy.execute(() => 'up')).rejects.toThrow('down');
    expect(policy.stats).toEqual({ calls: 4, injected: 3 });
  });

  it('enabled — starts off when created with enabled: false, and the function runs', async () => {
    let ran = 0;
    const policy = fault({ enabled: false });
    await policy.execute(() => ran++);
    expect(ran).toBe(1);
    expect(policy.stats.injected).toBe(0);
  });

  it('rate — can be changed at run time and is validated', async () => {
    const policy = fault({ rate: 0, random: seededRandom(1) });
    await expect(policy.execute(() => 1)).resolves.toBe(1);
    policy.rate = 1;
    await expect(policy.execute(() => 1)).rejects.toThrow('fault injected');
    expect(() => (policy.rate = 1.5)).toThrow('rate must be a number in [0, 1] (got 1.5)');
    expect(() => (policy.rate = Number.NaN)).toThrow(RangeError);
    expect(policy.rate).toBe(1);
  });

  it('execute — errorFactory builds a fresh error per injection and the function is not called', async () => {
    let made = 0;
    let ran = 0;
    const policy = fault({ errorFactory: () => new Error(`boom ${++made}`) });
    await expect(policy.execute(() => ran++)).rejects.toThrow('boom 1');
    await expect(policy.execute(() => ran++)).rejects.toThrow('boom 2');
    expect(ran).toBe(0);
  });

  it('execute — rejects with a non-Error value as given', async () => {
    await expect(fault({ error: 'plain string' }).execute(() => 1)).rejects.toBe('plain string');
  });

  it('constructor — reports every bad option together', () => {
    const bad = (): unknown =>
      fault({ rate: 2, random: 'x', error: 1, errorFactory: () => 2, extra: true } as never);
    expect(bad).toThrow(TypeError);
    expect(bad).toThrow(/rate must be a finite number >= 0 <= 1 \(got 2\)/);
    expect(bad).toThrow(/random must be a function/);
    expect(bad).toThrow(/error must be left out when errorFactory is given/);
    expect(bad).toThrow(/extra is not a known option/);
    expect(() => fault({ rate: -0.1 })).toThrow(RangeError);
    expect(() => fault(null as never)).toThrow('options must be an object (got null)');
  });

  it('constructor — does not mutate the options', () => {
    const options = Object.freeze({ rate: 0.5 });
    const policy = fault(options);
    policy.rate = 0.1;
    expect(options).toEqual({ rate: 0.5 });
  });
});

describe('latency', () => {
  it('execute — delays by ms on the clock, then runs the function', async () => {
    const clock = new FakeClock();
    const policy = latency({ ms: 500, clock });
    let done = false;
    const p = policy
      .execute(() => 'value')
      .then((v) => {
        done = true;
        return v;
      });
    await clock.advanceAsync(499);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    expect(done).toBe(true);
    await expect(p).resolves.toBe('value');
  });

  it('execute — msFn gives each call its own delay', async () => {
    const clock = new FakeClock();
    const delays = [100, 300];
    const policy = latency({ msFn: () => delays.shift()!, clock });
    const finished: number[] = [];
    const a = policy.execute(() => finished.push(clock.now()));
    const b = policy.execute(() => finished.push(clock.now()));
    await clock.advanceAsync(300);
    await Promise.all([a, b]);
    expect(finished).toEqual([100, 300]);
  });

  it('execute — an abort during the delay rejects at once with the reason and clears the timer', async () => {
    const clock = new FakeClock();
    const policy = latency({ ms: 10_000, clock });
    const controller = new AbortController();
    let ran = false;
    const p = policy.execute(() => (ran = true), { signal: controller.signal });
    const caught = p.catch((e: unknown) => e);
    await clock.advanceAsync(100);
    expect(clock.pendingTimers).toBe(1);
    controller.abort(new Error('caller gave up'));
    await settle();
    expect(await caught).toMatchObject({ message: 'caller gave up' });
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceAsync(20_000);
    expect(ran).toBe(false);
  });

  it('execute — passes the caller signal to the function after the delay', async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const p = latency({ ms: 5, clock }).execute(({ signal }) => signal, { signal: controller.signal });
    await clock.advanceAsync(5);
    expect(await p).toBe(controller.signal);
  });

  it('execute — rate and switch decide which calls are delayed', async () => {
    const clock = new FakeClock();
    const policy = latency({ ms: 1_000, rate: 0.25, random: seededRandom(3), clock });
    const calls = Array.from({ length: 400 }, () => policy.execute(() => clock.now()));
    await clock.advanceAsync(1_000);
    const at = await Promise.all(calls);
    const delayed = at.filter((t) => t === 1_000).length;
    expect(delayed).toBe(policy.stats.injected);
    expect(Math.abs(delayed / 400 - 0.25)).toBeLessThan(4 * Math.sqrt((0.25 * 0.75) / 400));
    policy.disable();
    await expect(policy.execute(() => clock.now())).resolves.toBe(1_000);
    expect(clock.pendingTimers).toBe(0);
  });

  it('execute — msFn returning a bad value rejects naming it', async () => {
    const policy = latency({ msFn: () => -1, clock: new FakeClock() });
    await expect(policy.execute(() => 1)).rejects.toThrow('msFn must return a number');
  });

  it('constructor — needs exactly one of ms and msFn, and a clock', () => {
    expect(() => latency({})).toThrow(/ms must be given, or else msFn/);
    expect(() => latency({ ms: 1, msFn: () => 1 })).toThrow(/but not both/);
    expect(() => latency({ ms: -5, clock: 3 } as never)).toThrow(
      /ms must be .* \(got -5\); clock must be a Clock/,
    );
  });
});

describe('hang', () => {
  it('execute — never settles and never calls the function without an abort', async () => {
    const clock = new FakeClock();
    let settled = false;
    let ran = false;
    void hang()
      .execute(() => (ran = true))
      .finally(() => (settled = true));
    await clock.advanceAsync(3_600_000);
    await settle();
    expect(settled).toBe(false);
    expect(ran).toBe(false);
  });

  it('execute — rejects with the abort reason when the signal aborts', async () => {
    const controller = new AbortController();
    const p = hang().execute(() => 1, { signal: controller.signal });
    const caught = p.catch((e: unknown) => e);
    const reason = new Error('timeout upstream');
    controller.abort(reason);
    expect(await caught).toBe(reason);
  });

  it('execute — an already aborted signal rejects at once', async () => {
    const controller = new AbortController();
    controller.abort('gone');
    await expect(hang().execute(() => 1, { signal: controller.signal })).rejects.toBe('gone');
  });

  it('enabled — a disabled hang passes calls through, enabling it hangs them', async () => {
    const policy = hang({ enabled: false });
    await expect(policy.execute(() => 'through')).resolves.toBe('through');
    policy.enable();
    const controller = new AbortController();
    const p = policy.execute(() => 'through', { signal: controller.signal }).catch((e: unknown) => e);
    controller.abort('stop');
    expect(await p).toBe('stop');
  });

  it('constructor — rejects unknown options and a bad rate', () => {
    expect(() => hang({ rate: 'all' } as never)).toThrow(/rate must be a finite number/);
    expect(() => hang({ ms: 1 } as never)).toThrow(/ms is not a known option/);
  });
});

describe('outcome', () => {
  it('execute — answers with value instead of calling the function', async () => {
    let ran = false;
    const policy = outcome({ value: { status: 503 } });
    await expect(policy.execute(() => ((ran = true), { status: 200 }))).resolves.toEqual({ status: 503 });
    expect(ran).toBe(false);
  });

  it('execute — valueFn is called per injection and may return a promise', async () => {
    let n = 0;
    const policy = outcome({ valueFn: async () => ++n });
    expect(await policy.execute(() => 0)).toBe(1);
    expect(await policy.execute(() => 0)).toBe(2);
  });

  it('execute — rate within statistical bounds with a seeded random', async () => {
    const policy = outcome({ value: 'fake', rate: 0.3, random: seededRandom(11) });
    let fake = 0;
    for (let i = 0; i < N; i++) if ((await policy.execute(() => 'real')) === 'fake') fake++;
    expect(Math.abs(fake / N - 0.3)).toBeLessThanOrEqual(bound(0.3));
  });

  it('constructor — needs exactly one of value and valueFn', () => {
    expect(() => outcome({})).toThrow(/value must be given, or else valueFn/);
    expect(() => outcome({ value: 1, valueFn: () => 2 })).toThrow(/but not both/);
    expect(outcome({ value: undefined }).rate).toBe(1);
  });
});

describe('ChaosPolicy', () => {
  it('wrap — passes arguments and this through', async () => {
    const policy = outcome({ value: 0, enabled: false });
    const addFn = function (this: { base: number }, a: number, b: number): number {
      return this.base + a + b;
    };
    const add = policy.wrap(addFn);
    expect(await add.call({ base: 10 }, 1, 2)).toBe(13);
    expect(() => policy.wrap(5 as never)).toThrow('wrap(fn) needs a function');
  });

  it('execute — a synchronous throw becomes a rejection; a non-function is refused', async () => {
    const policy = fault({ enabled: false });
    await expect(
      policy.execute(() => {
        throw new Error('sync');
      }),
    ).rejects.toThrow('sync');
    await expect(policy.execute(5 as never)).rejects.toThrow('execute(fn) needs a function');
  });

  it('execute — the function gets a signal even when the caller gives none', async () => {
    const signal = await fault({ enabled: false }).execute(({ signal }) => signal);
    expect(signal).toBeInstanceOf(AbortSignal);
    expect(signal.aborted).toBe(false);
  });
});

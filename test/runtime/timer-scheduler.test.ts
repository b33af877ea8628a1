// The scheduler alone, over an in-memory deadline index (its seam to the log is one read,
// dueTimers): a long run of due timers fires in deadline order, 256 at a time, the next batch
// only once the last one is durable (so a timer still in the index is never fired twice), and
// stop() waits for every firing it started.
import { describe, expect, it } from 'vitest';
import { TimerScheduler } from '../../runtime/timer-scheduler.js';
import type { DueTimer } from '../../storage/event-log.js';

const BATCH = 256;

/** Due timers in deadline order, as the log's index lists them; a firing's commit removes its row. */
function indexOf(count: number): DueTimer[] {
  return Array.from({ length: count }, (_, i) => ({ stream: { type: 'order', id: `o-${i}` }, id: 'expiry', dueAt: 1_000 + i }));
}

/** A scheduler over `index` whose firings settle only when the test says so. */
function harness(index: DueTimer[]) {
  /** What makes each unsettled firing durable, oldest first. */
  const unsettled: (() => void)[] = [];
  const fired: string[] = [];
  let peak = 0;
  const scheduler = new TimerScheduler(
    { dueTimers: (before, limit) => index.filter((timer) => timer.dueAt < before).slice(0, limit) },
    { now: () => 10_000, setTimeout: (wake) => (void Promise.resolve().then(wake), 1), clearTimeout: () => undefined },
    (timer) =>
      new Promise<void>((resolve) => {
        fired.push(timer.stream.id);
        unsettled.push(() => {
          index.splice(index.indexOf(timer), 1);
          resolve();
        });
        peak = Math.max(peak, unsettled.length);
      }),
    { fired: () => undefined, failed: () => undefined },
  );
  /** Settles the `n` oldest unsettled firings (durable: their rows leave the index). */
  const settle = (n: number) => {
    for (const done of unsettled.splice(0, n)) done();
  };
  return { scheduler, fired, unsettled, settle, peak: () => peak };
}

/** Lets the scheduler run until it waits on firings (a few turns of the event loop). */
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('TimerScheduler', () => {
  it('fires due timers in deadline order, a batch of 256 at a time, each once', async () => {
    const index = indexOf(1_000);
    const { scheduler, fired, unsettled, settle, peak } = harness(index);
    scheduler.start();
    await turns();
    expect(unsettled.length, 'one batch out').toBe(BATCH);
    settle(BATCH - 1);
    await turns();
    expect(unsettled.length, 'the next batch waits for the last firing of this one').toBe(1);
    while (index.length > 0) {
      settle(unsettled.length);
      await turns();
    }
    expect(fired, 'each timer once, in deadline order').toEqual(indexOf(1_000).map((timer) => timer.stream.id));
    expect(peak()).toBe(BATCH);
    await scheduler.stop();
  });

  it('stop() resolves only once every firing it started has settled', async () => {
    const { scheduler, unsettled, settle } = harness(indexOf(600));
    scheduler.start();
    await turns();
    expect(unsettled.length).toBe(BATCH);
    let stopped = false;
    const stopping = scheduler.stop().then(() => (stopped = true));
    await turns();
    expect(stopped).toBe(false);
    settle(BATCH - 1);
    await turns();
    expect(stopped).toBe(false);
    settle(1);
    await stopping;
    expect(stopped).toBe(true);
    expect(unsettled.length, 'no batch after stop()').toBe(0);
  });
});

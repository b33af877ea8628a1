// Durable timers against the group commit, on a manual clock: a block that fails (each of the four
// faults, written or not) while it fires timers, clears them (a pay) or arms them (a place) never
// loses a timer nor fires one twice: a firing that failed stays pending and fires once later, the
// actor of a failed command reloads its timers from disk. And commands pipelined into one block
// that leave a timed state and enter it again keep its timer.
import { afterEach, describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { PersistenceError } from '../../storage/errors.js';
import { openLmdbEventLog, type LogSeams } from '../../storage/lmdb-event-log.js';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import type { Runtime } from '../../runtime/types.js';
import { ManualClock } from '../../testing/manual-clock.js';
import { createTestRuntime, type TestRuntime } from '../../testing/index.js';
import { order, PAYMENT_WINDOW_MS, REMINDER_MS } from '../../fixtures/order.js';
import { COMMIT_FAULTS, armableFault } from '../fixtures/commit-faults.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const MINUTE = 60_000;
const EXPIRY = 'xstate.after.paymentWindow.order.placed';
const REMINDER = `xstate.after.${REMINDER_MS}.order.placed`;
const ORDERS = ['o-1', 'o-2', 'o-3'];

const harness = new RuntimeHarness();
let test: TestRuntime | undefined;
afterEach(async () => {
  await harness.cleanup();
  await test?.dispose();
  test = undefined;
});

/** A runtime on a manual clock whose log takes `seams`; `restart` reopens the directory without them. */
async function onManualClock(seams: LogSeams) {
  const path = harness.dir();
  const clock = new ManualClock(Date.now());
  const start = async (withSeams: LogSeams) => harness.track(await startRuntime(
    resolveOptions({ path, aggregates: [order] }), openLmdbEventLog({ path, clock: () => clock.now(), ...withSeams }), clock,
  ));
  let runtime = await start(seams);
  return {
    clock,
    get runtime() {
      return runtime;
    },
    async restart() {
      await harness.close(runtime);
      runtime = await start({});
    },
  };
}

/** Each order's stored event types; a timer event must say so in its metadata. */
function streams(runtime: Runtime): Record<string, string[]> {
  return Object.fromEntries(ORDERS.map((id) => [id, [...runtime.readStream('order', id)].map((e) => {
    expect(e.metadata.timer, `${id} v${e.version}`).toBe(e.type.startsWith('xstate.after.') ? true : undefined);
    return e.type;
  })]));
}

const each = (types: string[]) => Object.fromEntries(ORDERS.map((id) => [id, types]));

/** Sends `type` to the three orders in one tick (one block); settles each. */
const toAll = (runtime: Runtime, command: { type: string; windowMs?: number; total?: number }) =>
  Promise.allSettled(ORDERS.map((id) => runtime.send('order', id, command)));

/** The outcome of each: 'ok', or the PersistenceError's `written`. */
const outcomes = (settled: ReadonlyArray<PromiseSettledResult<unknown>>) => settled.map((outcome) => {
  if (outcome.status === 'fulfilled') return 'ok';
  expect(outcome.reason).toBeInstanceOf(PersistenceError);
  return { written: (outcome.reason as PersistenceError).written };
});

/** Nothing is pending; a restart and hours more change nothing; replay equals the live state. */
async function expectSettled(t: Awaited<ReturnType<typeof onManualClock>>, expected: Record<string, string[]>): Promise<void> {
  expect(streams(t.runtime)).toEqual(expected);
  expect(t.runtime.timers()).toEqual([]);
  await t.restart();
  await t.clock.advance(4 * PAYMENT_WINDOW_MS);
  expect(streams(t.runtime)).toEqual(expected);
  for (const id of ORDERS) {
    const live = await t.runtime.state('order', id);
    expect(await t.runtime.state('order', id, { version: live.version })).toEqual(live);
  }
}

describe.each(COMMIT_FAULTS)('a group commit around timers fails: $fault', ({ seam, written }) => {
  it('a firing that fails stays pending and fires once later; one that was written does not fire again', async () => {
    const { seams, arm } = armableFault(seam);
    const t = await onManualClock(seams);
    const t0 = t.clock.now();
    await toAll(t.runtime, { type: 'place', total: 5 });
    arm();
    // The three reminders (targetless) fire in one block, which fails.
    await t.clock.advance(REMINDER_MS);
    expect(t.runtime.metrics()).toMatchObject({ timersFired: 0, timersFailed: 3 });
    expect(streams(t.runtime)).toEqual(each(written ? ['OrderPlaced', REMINDER] : ['OrderPlaced']));
    const expiries = ORDERS.map((id) => ({ aggregateType: 'order', aggregateId: id, dueAt: t0 + PAYMENT_WINDOW_MS }));
    const reminders = ORDERS.map((id) => ({ aggregateType: 'order', aggregateId: id, dueAt: t0 + REMINDER_MS }));
    expect(t.runtime.timers()).toEqual(written ? expiries : [...reminders, ...expiries]);

    // Past the scheduler's pause: what was not written fires now, once.
    await t.clock.advance(MINUTE);
    expect(t.runtime.metrics()).toMatchObject({ timersFired: written ? 0 : 3, timersFailed: 3 });
    expect(streams(t.runtime)).toEqual(each(['OrderPlaced', REMINDER]));
    await t.clock.advance(PAYMENT_WINDOW_MS);
    await expectSettled(t, each(['OrderPlaced', REMINDER, EXPIRY]));
  });

  it('a pay whose commit fails keeps the expiry it would have cleared, unless the pay was written', async () => {
    const { seams, arm } = armableFault(seam);
    const t = await onManualClock(seams);
    await toAll(t.runtime, { type: 'place', total: 5, windowMs: MINUTE });
    arm();
    expect(outcomes(await toAll(t.runtime, { type: 'pay' }))).toEqual(ORDERS.map(() => ({ written })));
    expect(t.runtime.timers()).toHaveLength(written ? 0 : 6);
    await t.clock.advance(MINUTE);
    await expectSettled(t, each(['OrderPlaced', written ? 'OrderPaid' : EXPIRY]));
  });

  it('a place whose commit fails arms nothing unless written; the timers it did store are known to its actor', async () => {
    const { seams, arm } = armableFault(seam);
    const t = await onManualClock(seams);
    const t0 = t.clock.now();
    arm();
    expect(outcomes(await toAll(t.runtime, { type: 'place', total: 5, windowMs: MINUTE }))).toEqual(ORDERS.map(() => ({ written })));
    expect(t.runtime.timers()).toHaveLength(written ? 6 : 0);
    if (!written) expect(outcomes(await toAll(t.runtime, { type: 'place', total: 5, windowMs: MINUTE }))).toEqual(ORDERS.map(() => 'ok'));
    expect(t.runtime.timers().map((timer) => timer.dueAt)).toEqual([...ORDERS.map(() => t0 + MINUTE), ...ORDERS.map(() => t0 + REMINDER_MS)]);
    // The actor rebuilt after the failure clears what its state armed.
    await t.runtime.send('order', 'o-1', { type: 'pay' });
    expect(t.runtime.timers().map((timer) => timer.aggregateId)).toEqual(['o-2', 'o-3', 'o-2', 'o-3']);
    await t.clock.advance(MINUTE);
    await expectSettled(t, { 'o-1': ['OrderPlaced', 'OrderPaid'], 'o-2': ['OrderPlaced', EXPIRY], 'o-3': ['OrderPlaced', EXPIRY] });
  });
});

/** A light that switches itself off a second after it was switched on. */
const light = defineAggregate({
  type: 'light',
  machine: setup({ types: { events: {} as { type: 'SwitchedOn' } | { type: 'SwitchedOff' } } }).createMachine({
    id: 'light',
    initial: 'off',
    states: { off: { on: { SwitchedOn: 'on' } }, on: { after: { 1000: 'off' }, on: { SwitchedOff: 'off' } } },
  }),
  commands: { switchOn: () => ({ type: 'SwitchedOn' as const }), switchOff: () => ({ type: 'SwitchedOff' as const }) },
});

describe('commands pipelined into one commit', () => {
  it('leaving a timed state and entering it again keeps its timer, across a restart, and it fires once', async () => {
    test = await createTestRuntime({ aggregates: [light], manualClock: true });
    const t0 = test.now();
    // One tick: the three appends share a block, which clears the timer and arms it again.
    await Promise.all(['switchOn', 'switchOff', 'switchOn'].map((type) => test!.runtime.send('light', 'l-1', { type })));
    expect(test.runtime.timers()).toEqual([{ aggregateType: 'light', aggregateId: 'l-1', dueAt: t0 + 1000 }]);
    await test.restart();
    await test.advanceTime(1000);
    expect([...test.runtime.readStream('light', 'l-1')].map((e) => [e.type, e.metadata.timer])).toEqual([
      ['SwitchedOn', undefined], ['SwitchedOff', undefined], ['SwitchedOn', undefined], ['xstate.after.1000.light.on', true],
    ]);
    expect(await test.runtime.state('light', 'l-1')).toMatchObject({ value: 'off', version: 4 });
    expect(test.runtime.timers()).toEqual([]);
  });
});

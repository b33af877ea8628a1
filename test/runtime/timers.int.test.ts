// Durable `after` timers through the public API and the testing kit's manual clock: a timer is
// armed in the commit that enters its state, listed by runtime.timers(), fired once through the
// aggregate's mailbox when its deadline passes (its delayed event stored with metadata.timer),
// cancelled by leaving the state, fired at start when it came due while no runtime ran, fired for
// a passivated aggregate and one rehydrated from a snapshot, and replayed to the same state.
import { afterEach, describe, expect, it } from 'vitest';
import { assign, createMachine, setup } from 'xstate';
import { createRuntime, RuntimeClosedError, SizeLimitError } from '../../runtime/index.js';
import { createTestRuntime, type TestRuntime } from '../../testing/index.js';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { order, orderCommands, orderMachine, PAYMENT_WINDOW_MS, REMINDER_MS } from '../../fixtures/order.js';
import { rmSync } from 'node:fs';
import { tempDataDir } from '../fixtures/runtime-kit.js';

const MINUTE = 60_000;
const EXPIRY = 'xstate.after.paymentWindow.order.placed';
const REMINDER = `xstate.after.${REMINDER_MS}.order.placed`;

let test: TestRuntime | undefined;
afterEach(async () => {
  await test?.dispose();
  test = undefined;
});

async function manual(options: Partial<Parameters<typeof createTestRuntime>[0]> = {}): Promise<TestRuntime> {
  test = await createTestRuntime({ aggregates: [order], manualClock: true, ...options });
  return test;
}

/** The same order kept on an XState actor: its timers come from XState's inspection, not from compiled steps. */
const orderOnXState = defineAggregate({ type: 'order', machine: orderMachine, commands: orderCommands, compile: false });

const storedTypes = (t: TestRuntime, id: string) => [...t.runtime.readStream('order', id)].map((e) => [e.type, e.metadata.timer ?? false]);

describe('durable timers', () => {
  it.each([
    ['compiled', order],
    ['on XState', orderOnXState],
  ])('arms both timers of the state in the commit that enters it, fires each once at its deadline, in order (%s)', async (_how, definition) => {
    expect(definition.compilation.compiled).toBe(_how === 'compiled');
    const t = await manual({ aggregates: [definition] });
    const t0 = t.now();
    await t.runtime.send('order', 'o-1', { type: 'place', total: 30 });
    expect(t.runtime.timers()).toEqual([
      { aggregateType: 'order', aggregateId: 'o-1', dueAt: t0 + REMINDER_MS },
      { aggregateType: 'order', aggregateId: 'o-1', dueAt: t0 + PAYMENT_WINDOW_MS },
    ]);
    expect(t.runtime.timers({ before: t0 + REMINDER_MS })).toEqual([]);
    expect(t.runtime.timers({ before: new Date(t0 + REMINDER_MS + 1) })).toHaveLength(1);

    await t.advanceTime(REMINDER_MS - 1);
    expect(storedTypes(t, 'o-1')).toEqual([['OrderPlaced', false]]);
    await t.advanceTime(1);
    expect(storedTypes(t, 'o-1')).toEqual([['OrderPlaced', false], [REMINDER, true]]);
    const reminded = [...t.runtime.readStream('order', 'o-1')][1]!;
    expect(reminded.metadata.timestamp).toBe(t0 + REMINDER_MS);
    expect(await t.runtime.state('order', 'o-1')).toMatchObject({ value: 'placed', context: { reminders: 1 }, version: 2 });
    // The targetless reminder is spent; the expiry still waits.
    expect(t.runtime.timers()).toEqual([{ aggregateType: 'order', aggregateId: 'o-1', dueAt: t0 + PAYMENT_WINDOW_MS }]);

    await t.advanceTime(PAYMENT_WINDOW_MS);
    expect(storedTypes(t, 'o-1')).toEqual([['OrderPlaced', false], [REMINDER, true], [EXPIRY, true]]);
    expect(await t.runtime.state('order', 'o-1')).toMatchObject({ value: 'expired', version: 3 });
    expect(t.runtime.timers()).toEqual([]);
    expect(t.runtime.metrics()).toMatchObject({ timersArmed: 2, timersFired: 2, timersOverdue: 0, timersFailed: 0, timerLateness: { count: 2, maxMs: 0.001 } });
    // Replay takes the same transitions.
    expect(await t.runtime.state('order', 'o-1', { version: 3 })).toMatchObject({ value: 'expired', context: { reminders: 1 } });
  });

  it('computes a named delay from the context the entering events set', async () => {
    const t = await manual();
    const t0 = t.now();
    await t.runtime.send('order', 'o-2', { type: 'place', total: 5, windowMs: 5 * MINUTE });
    expect(t.runtime.timers().map((timer) => timer.dueAt)).toEqual([t0 + 5 * MINUTE, t0 + REMINDER_MS]);
    await t.advanceTime(5 * MINUTE);
    expect((await t.runtime.state('order', 'o-2')).value).toBe('expired');
    // Leaving the state cleared the reminder in the same commit.
    expect(t.runtime.timers()).toEqual([]);
  });

  it('leaving the state first cancels its timers: nothing fires', async () => {
    const t = await manual();
    await t.runtime.send('order', 'o-3', { type: 'place', total: 5 });
    await t.advanceTime(MINUTE);
    await t.runtime.send('order', 'o-3', { type: 'pay' });
    expect(t.runtime.timers()).toEqual([]);
    await t.advanceTime(2 * PAYMENT_WINDOW_MS);
    expect(storedTypes(t, 'o-3')).toEqual([['OrderPlaced', false], ['OrderPaid', false]]);
    expect(t.runtime.metrics().timersFired).toBe(0);
  });

  it('a timer due while no runtime ran fires when the next one starts; one not yet due survives the restart', async () => {
    const t = await manual();
    const t0 = t.now();
    await t.runtime.send('order', 'o-4', { type: 'place', total: 5 });
    await t.runtime.close();
    await t.advanceTime(REMINDER_MS + MINUTE);
    const runtime = await t.restart();
    await t.advanceTime(0);
    expect(storedTypes(t, 'o-4')).toEqual([['OrderPlaced', false], [REMINDER, true]]);
    // Due a minute before this runtime started: overdue, and fired a minute late.
    expect(runtime.metrics()).toMatchObject({ timersFired: 1, timersOverdue: 1, timerLateness: { count: 1 } });
    expect(runtime.metrics().timerLateness.maxMs).toBeCloseTo(MINUTE, -2);
    expect(runtime.timers()).toEqual([{ aggregateType: 'order', aggregateId: 'o-4', dueAt: t0 + PAYMENT_WINDOW_MS }]);
    await t.advanceTime(PAYMENT_WINDOW_MS);
    expect((await runtime.state('order', 'o-4')).value).toBe('expired');
  });

  it('rehydrates a passivated aggregate to fire, and one whose state came from a snapshot', async () => {
    const snapshotted = defineAggregate({ type: 'order', machine: orderMachine, commands: orderCommands, snapshotEvery: 1 });
    const t = await manual({ aggregates: [snapshotted], maxActiveActors: 1 });
    await t.runtime.send('order', 'o-5', { type: 'place', total: 5 });
    // A second aggregate takes the only live slot: o-5 is passivated.
    await t.runtime.send('order', 'o-6', { type: 'place', total: 6, windowMs: 2 * PAYMENT_WINDOW_MS });
    const rehydrations = t.runtime.metrics().rehydrations;
    await t.advanceTime(PAYMENT_WINDOW_MS);
    expect((await t.runtime.state('order', 'o-5')).value).toBe('expired');
    expect(t.runtime.metrics().rehydrations).toBeGreaterThan(rehydrations);
    expect(t.runtime.metrics().snapshotsWritten).toBeGreaterThan(0);
    await t.restart();
    await t.advanceTime(PAYMENT_WINDOW_MS);
    expect((await t.runtime.state('order', 'o-6')).value).toBe('expired');
    expect(storedTypes(t, 'o-6').map(([type]) => type)).toEqual(['OrderPlaced', REMINDER, EXPIRY]);
  });

  it("arms the initial state's timer with a new stream's first events; a guard that says no spends it without an event", async () => {
    // `held` is initial: its timer starts with the stream. It releases only a hold reserved twice.
    const holdMachine = setup({
      types: { context: {} as { holds: number }, events: {} as { type: 'Reserved' } },
      guards: { reservedTwice: ({ context }) => context.holds > 1 },
    }).createMachine({
      id: 'hold',
      initial: 'held',
      context: { holds: 0 },
      states: {
        held: {
          after: { 1_000: { guard: 'reservedTwice', target: 'released' } },
          on: { Reserved: { actions: assign({ holds: ({ context }) => context.holds + 1 }) } },
        },
        released: {},
      },
    });
    const hold = defineAggregate({ type: 'hold', machine: holdMachine, commands: { reserve: () => ({ type: 'Reserved' as const }) } });
    const t = await manual({ aggregates: [hold] });
    const t0 = t.now();
    await t.runtime.send('hold', 'once', { type: 'reserve' });
    await t.runtime.send('hold', 'twice', { type: 'reserve' });
    await t.runtime.send('hold', 'twice', { type: 'reserve' });
    expect(t.runtime.timers()).toEqual([
      { aggregateType: 'hold', aggregateId: 'once', dueAt: t0 + 1_000 },
      { aggregateType: 'hold', aggregateId: 'twice', dueAt: t0 + 1_000 },
    ]);
    await t.advanceTime(1_000);
    expect([...t.runtime.readStream('hold', 'once')].map((e) => e.type)).toEqual(['Reserved']);
    expect([...t.runtime.readStream('hold', 'twice')].map((e) => e.type)).toEqual(['Reserved', 'Reserved', 'xstate.after.1000.hold.held']);
    expect([(await t.runtime.state('hold', 'once')).value, (await t.runtime.state('hold', 'twice')).value]).toEqual(['held', 'released']);
    // Spent either way: nothing is left to fire, as in XState.
    expect(t.runtime.timers()).toEqual([]);
    expect(t.runtime.metrics().timersFired).toBe(2);
  });

  it('refuses, before anything is written, a timer whose key LMDB could not store', async () => {
    const long = 's'.repeat(2_000);
    const machine = createMachine({ id: 'slow', initial: 'idle', states: { idle: { on: { Started: long } }, [long]: { after: { 5: 'idle' } } } });
    const slow = defineAggregate({ type: 'slow', machine, commands: { start: () => ({ type: 'Started' }) } });
    const t = await manual({ aggregates: [slow] });
    await expect(t.runtime.send('slow', 's-1', { type: 'start' })).rejects.toThrow(SizeLimitError);
    expect([...t.runtime.readStream('slow', 's-1')]).toEqual([]);
    expect(t.runtime.timers()).toEqual([]);
    expect((await t.runtime.state('slow', 's-1')).version).toBe(0);
  });

  it('fires on the system clock without a test driving it', async () => {
    const path = tempDataDir();
    const runtime = await createRuntime({ path, aggregates: [order] });
    try {
      await runtime.send('order', 'o-7', { type: 'place', total: 1, windowMs: 30 });
      const deadline = Date.now() + 5_000;
      while ((await runtime.state('order', 'o-7')).value !== 'expired' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(await runtime.state('order', 'o-7')).toMatchObject({ value: 'expired', version: 2 });
      // Leaving `placed` cleared the ten-minute reminder too.
      expect(runtime.timers()).toEqual([]);
    } finally {
      await runtime.close();
      rmSync(path, { recursive: true, force: true });
    }
  });

  it('refuses what is not a time: advanceTime without a manual clock or with negative ms, timers() with a bad before', async () => {
    const real = await createTestRuntime({ aggregates: [order] });
    try {
      await expect(real.advanceTime(1)).rejects.toThrow('advanceTime() needs createTestRuntime({ manualClock: true })');
    } finally {
      await real.dispose();
    }
    const t = await manual();
    await expect(t.advanceTime(-1)).rejects.toThrow(RangeError);
    expect(() => t.runtime.timers({ before: 'soon' as never })).toThrow('options.before of timers() must be a Date or epoch milliseconds (got soon)');
    expect(() => t.runtime.timers(null as never)).toThrow(TypeError);
    await t.runtime.close();
    expect(() => t.runtime.timers()).toThrow(RuntimeClosedError);
  });
});

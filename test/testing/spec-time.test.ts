// The kit's specs with time, on the order: `after(ms)` fires the timers the history or the command
// armed, at their deadlines and in deadline order, storing their delayed events as the runtime
// does; leaving a state clears its timers; a stored timer event in the given history fires its
// timer; a delayed transition whose action throws fails the spec by name. The last test runs the
// same scenario on a runtime with a manual clock and finds what the spec says.
import { AssertionError } from 'node:assert';
import { afterEach, describe, expect, it } from 'vitest';
import { type EventOf } from '../../actors/define-aggregate.js';
import { ApplyError, IllegalEventError } from '../../actors/errors.js';
import { createTestRuntime, given, type TestRuntime } from '../../testing/index.js';
import { order, PAYMENT_WINDOW_MS, REMINDER_MS } from '../../fixtures/order.js';
import { ABANDON, brittle, DAY, note } from '../fixtures/timed-aggregates.js';

const MINUTE = 60_000;
const EXPIRY = 'xstate.after.paymentWindow.order.placed' as const;
const REMINDER = `xstate.after.${REMINDER_MS}.order.placed` as const;

const placed = (windowMs = PAYMENT_WINDOW_MS): EventOf<typeof order> => ({ type: 'OrderPlaced', total: 30, windowMs });

function thrownBy(run: () => void): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return expect.fail('expected a throw');
}

describe('given/when/then with time', () => {
  it('after(ms) fires each timer the history armed at its deadline, in deadline order, and stores its delayed event', () => {
    given(order, [placed()]).after(REMINDER_MS - 1).then([]);
    given(order, [placed()]).after(REMINDER_MS).then([{ type: REMINDER }]);
    given(order, [placed()]).after(PAYMENT_WINDOW_MS).then([{ type: REMINDER }, { type: EXPIRY }]);
    given(order, [placed()]).after(PAYMENT_WINDOW_MS).thenState({ value: 'expired', context: { total: 30, windowMs: PAYMENT_WINDOW_MS, reminders: 1 }, version: 3 });
    // Time adds up across steps.
    given(order, [placed()]).after(20 * MINUTE).after(10 * MINUTE - 1).thenState({ value: 'placed', context: { total: 30, windowMs: PAYMENT_WINDOW_MS, reminders: 1 } });
  });

  it('a delay named from the context: the expiry comes first, and leaving the state clears the reminder', () => {
    given(order, [placed(5 * MINUTE)]).after(2 * PAYMENT_WINDOW_MS).then([{ type: EXPIRY }]);
  });

  it('when after time passed: the delayed events that fired come before the command\'s own', () => {
    given(order, [placed()]).after(5 * MINUTE).when({ type: 'pay' }).then([{ type: 'OrderPaid' }]);
    given(order, [placed()]).after(REMINDER_MS).when({ type: 'pay' }).then([{ type: REMINDER }, { type: 'OrderPaid' }]);
    given(order, [placed()]).after(PAYMENT_WINDOW_MS).when({ type: 'pay' }).thenRejects(IllegalEventError, 'in state "expired"');
  });

  it('after the command: its timers count from it, and leaving the state first means nothing fires', () => {
    given(order).when({ type: 'place', total: 5 }).after(PAYMENT_WINDOW_MS).thenState({ value: 'expired', version: 3 });
    given(order, [placed()]).after(5 * MINUTE).when({ type: 'pay' }).after(2 * PAYMENT_WINDOW_MS).then([{ type: 'OrderPaid' }]);
  });

  it('a stored timer event in the given history fires its timer at its deadline: time goes on from there', () => {
    given(order, [placed(), { type: REMINDER }]).after(PAYMENT_WINDOW_MS - REMINDER_MS - 1).then([]);
    given(order, [placed(), { type: REMINDER }]).after(PAYMENT_WINDOW_MS - REMINDER_MS).then([{ type: EXPIRY }]);
  });

  it('a new stream\'s initial state arms its timers with its first events, as the runtime stores them; without events, nothing', () => {
    given(note, []).after(DAY).thenState({ value: 'draft', version: 0 });
    given(note, [{ type: 'Noted' }]).after(DAY - 1).then([]);
    given(note, [{ type: 'Noted' }]).after(DAY).thenState({ value: 'abandoned', context: { notes: 1 }, version: 2 });
  });

  it('a mismatch names the steps; a failing delayed transition names after(); bad steps are errors', () => {
    const mismatch = thrownBy(() => given(order, [placed()]).after(REMINDER_MS).then([]));
    expect(mismatch).toBeInstanceOf(AssertionError);
    expect(mismatch.message).toContain(`given 1 event(s) of order, after ${REMINDER_MS} ms: produced events differ`);

    const failing = thrownBy(() => given(brittle, [{ type: 'Armed' }]).after(1_000).thenState({ value: 'done' }));
    expect(failing).toBeInstanceOf(AssertionError);
    expect(failing.message).toContain('thenState() expected the timers due within after(1000) to fire, but one failed: ApplyError');
    expect(failing.cause).toBeInstanceOf(ApplyError);

    expect(() => given(order, [placed()]).after(-1)).toThrow(RangeError);
    expect(() => (given(order).when({ type: 'pay' }).after(1) as unknown as { thenRejects(e: string): void }).thenRejects('x')).toThrow('thenRejects() checks the command: call it right after when()');
  });

  describe('against the runtime', () => {
    let test: TestRuntime | undefined;
    afterEach(async () => {
      await test?.dispose();
      test = undefined;
    });

    it('stores the same events and reaches the same state as the spec says', async () => {
      given(order).when({ type: 'place', total: 30 }).after(PAYMENT_WINDOW_MS).then([placed(), { type: REMINDER }, { type: EXPIRY }]);
      test = await createTestRuntime({ aggregates: [order], manualClock: true });
      await test.runtime.send('order', 'o-1', { type: 'place', total: 30 });
      await test.advanceTime(PAYMENT_WINDOW_MS);
      expect([...test.runtime.readStream('order', 'o-1')].map(({ type, data }) => ({ type, ...data }))).toEqual([placed(), { type: REMINDER }, { type: EXPIRY }]);
      expect(await test.runtime.state('order', 'o-1')).toEqual({ value: 'expired', context: { total: 30, windowMs: PAYMENT_WINDOW_MS, reminders: 1 }, version: 3 });
    });

    it('arms an initial state\'s timer with the stream\'s first events, as the spec says', async () => {
      given(note).when({ type: 'note' }).after(DAY).then([{ type: 'Noted' }, { type: ABANDON }]);
      test = await createTestRuntime({ aggregates: [note], manualClock: true });
      await test.runtime.send('note', 'n-1', { type: 'note' });
      await test.advanceTime(DAY);
      expect([...test.runtime.readStream('note', 'n-1')].map(({ type }) => type)).toEqual(['Noted', ABANDON]);
    });
  });
});

// Model-based tests from the chart: modelPaths walks the order (its two timers in both deadline
// orders) and the bank account, giving one path per transition, and every path holds on the real
// runtime across restarts, with and without snapshots, and across its timer skips; so do those of a
// note whose initial state has a timer (stored with the stream's first events). A machine whose
// reminder counts outside its context (a fingerprint-invisible, non-replayable edit) fails exactly
// the paths that fire the reminder, at that step. A chart transition without a mapped command, and a
// mapped command the aggregate refuses, are errors naming the state.
import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { assign, createMachine } from 'xstate';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { modelPaths, type EventCommands } from '../../testing/index.js';
import { account } from '../../fixtures/bank-account.js';
import { order, orderCommands, orderMachine, PAYMENT_WINDOW_MS, REMINDER_MS } from '../../fixtures/order.js';
import { DAY, note } from '../fixtures/timed-aggregates.js';

const SHORT_WINDOW = 300_000;
const orderCommandsByEvent: EventCommands<typeof order> = {
  // Two places: the expiry after the reminder (the default window), and before it.
  OrderPlaced: [{ type: 'place', total: 30 }, { type: 'place', total: 5, windowMs: SHORT_WINDOW }],
  OrderPaid: { type: 'pay' },
  OrderCancelled: { type: 'cancel' },
};
const accountCommandsByEvent: EventCommands<typeof account> = {
  AccountOpened: { type: 'open', owner: 'ann', initial: 100 },
  MoneyDeposited: [{ type: 'deposit', amount: 5 }, { type: 'transferIn', amounts: [1, 2] }],
  MoneyWithdrawn: { type: 'withdraw', amount: 30 },
  AccountClosed: { type: 'close' },
};

const orderPaths = modelPaths(order, { commands: orderCommandsByEvent });
const accountPaths = modelPaths(account, { commands: accountCommandsByEvent });
// A timer in the initial state: a new stream arms it with its first events; noting keeps it armed.
const notePaths = modelPaths(note, { commands: { Noted: { type: 'note' }, Published: { type: 'publish' } } });

describe('modelPaths', () => {
  it('walks every transition of the order, timers firing in deadline order, prefixes left out', () => {
    const place30 = 'place {"total":30} → placed';
    const place5 = `place {"total":5,"windowMs":${SHORT_WINDOW}} → placed`;
    expect(orderPaths.map((path) => path.description)).toEqual([
      `${place30}; pay → paid`,
      `${place30}; cancel → cancelled`,
      `${place5}; pay → paid`,
      `${place5}; cancel → cancelled`,
      `${place5}; after ${SHORT_WINDOW} ms → expired`,
      `${place30}; after ${REMINDER_MS} ms → placed; pay → paid`,
      `${place30}; after ${REMINDER_MS} ms → placed; cancel → cancelled`,
      `${place30}; after ${REMINDER_MS} ms → placed; after ${PAYMENT_WINDOW_MS - REMINDER_MS} ms → expired`,
    ]);
  });

  it('knows what each step stores and leads to, timers as deadlines from the start', () => {
    const expiring = orderPaths[7]!;
    const context = (reminders: number) => ({ total: 30, windowMs: PAYMENT_WINDOW_MS, reminders });
    expect(expiring.steps).toEqual([
      {
        kind: 'command', command: { type: 'place', total: 30 }, events: [{ type: 'OrderPlaced', total: 30, windowMs: PAYMENT_WINDOW_MS }], at: 0,
        state: { value: 'placed', context: context(0), version: 1 }, timers: [REMINDER_MS, PAYMENT_WINDOW_MS],
      },
      {
        kind: 'after', ms: REMINDER_MS, events: [{ type: `xstate.after.${REMINDER_MS}.order.placed` }], at: REMINDER_MS,
        state: { value: 'placed', context: context(1), version: 2 }, timers: [PAYMENT_WINDOW_MS],
      },
      {
        kind: 'after', ms: PAYMENT_WINDOW_MS - REMINDER_MS, events: [{ type: 'xstate.after.paymentWindow.order.placed' }], at: PAYMENT_WINDOW_MS,
        state: { value: 'expired', context: context(1), version: 3 }, timers: [],
      },
    ]);
  });

  it('walks every transition of the bank account, though its balance grows without bound', () => {
    expect(accountPaths.map((path) => path.description)).toEqual([
      'open {"owner":"ann","initial":100} → open; deposit {"amount":5} → open',
      'open {"owner":"ann","initial":100} → open; transferIn {"amounts":[1,2]} → open',
      'open {"owner":"ann","initial":100} → open; withdraw {"amount":30} → open',
      'open {"owner":"ann","initial":100} → open; close → closed',
    ]);
  });

  it('walks a timer in the initial state: stored with the first events, kept by a transition that stays', () => {
    expect(notePaths.map((path) => path.description)).toEqual([
      'publish → published',
      'note → draft; note → draft',
      'note → draft; publish → published',
      `note → draft; after ${DAY} ms → abandoned`,
    ]);
  });

  describe.each([
    ['order', orderPaths],
    ['account', accountPaths],
    ['note', notePaths],
  ] as const)('every path of the %s holds on the runtime, live and after restarts, with and without snapshots', (_, paths) => {
    it.each(paths.map((path) => [path.description, path] as const))('%s', async (_description, path) => {
      await path.run();
    });
  });

  it('catches a reminder that counts outside the context: every path that fires it fails at that step, the others pass', async () => {
    let sent = 0;
    const careless = defineAggregate({ type: 'order', machine: remindedBy(() => ++sent), commands: orderCommands });
    const paths = modelPaths(careless, { commands: orderCommandsByEvent });
    const outcomes = await Promise.all(paths.map((path) => path.run().then(() => undefined, (error: unknown) => error)));
    const failed = paths.filter((_, i) => outcomes[i] !== undefined).map((path) => path.description);
    expect(failed).toEqual(orderPaths.slice(5).map((path) => path.description));
    for (const error of outcomes.filter((outcome) => outcome !== undefined)) {
      expect(error).toBeInstanceOf(AssertionError);
      expect((error as Error).message).toMatch(new RegExp(`^place .* \\(full replay\\), step 2 \\(after ${REMINDER_MS} ms\\): the runtime's state differs from the model's`));
    }
  });

  it('refuses a chart transition no command is mapped to, a refused command, and a command that stores another event', () => {
    const { OrderCancelled: _, ...withoutCancel } = orderCommandsByEvent;
    expect(() => modelPaths(order, { commands: withoutCancel })).toThrow(
      'modelPaths(order): in state placed the chart accepts OrderCancelled, but options.commands maps no command to it',
    );
    expect(() => modelPaths(account, { commands: { ...accountCommandsByEvent, MoneyWithdrawn: { type: 'withdraw', amount: 500 } } })).toThrow(
      'modelPaths(account): in state open, the command {"type":"withdraw","amount":500} (mapped to MoneyWithdrawn) failed: insufficient funds',
    );
    expect(() => modelPaths(account, { commands: { ...accountCommandsByEvent, AccountClosed: { type: 'deposit', amount: 1 } } })).toThrow(
      'modelPaths(account): in state open, the command {"type":"deposit","amount":1} (mapped to AccountClosed) failed: it stored ["MoneyDeposited"], not AccountClosed',
    );
    expect(() => modelPaths(account, undefined as never)).toThrow(TypeError);
  });
});

/** The order's machine with its reminder counted by `count` (over a module variable) instead of from the context. */
function remindedBy(count: () => number): typeof orderMachine {
  const { config } = orderMachine;
  const placed = config.states!.placed!;
  const after = { ...(placed.after as object), [REMINDER_MS]: { actions: assign({ reminders: count }) } };
  return createMachine({ ...config, states: { ...config.states, placed: { ...placed, after } } } as never, orderMachine.implementations as never) as never;
}

// The README's aggregate: a bank account as a statechart of domain events plus command handlers,
// with a schema per command (the example service validates every request body with them).
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate } from 'rehydra';

type AccountEvent =
  | { type: 'AccountOpened'; owner: string; initial: number }
  | { type: 'MoneyDeposited'; amount: number }
  | { type: 'MoneyWithdrawn'; amount: number };

const machine = setup({ types: { context: {} as { balance: number }, events: {} as AccountEvent } }).createMachine({
  initial: 'closed',
  context: { balance: 0 },
  states: {
    closed: { on: { AccountOpened: { target: 'open', actions: assign({ balance: ({ event }) => event.initial }) } } },
    open: {
      on: {
        MoneyDeposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount }) },
        MoneyWithdrawn: { actions: assign({ balance: ({ context, event }) => context.balance - event.amount }) },
      },
    },
  },
});

export const account = defineAggregate({
  type: 'account',
  machine,
  commands: {
    open: (cmd: { owner: string; initial: number }) => ({ type: 'AccountOpened', owner: cmd.owner, initial: cmd.initial }),
    deposit: (cmd: { amount: number }) => ({ type: 'MoneyDeposited', amount: cmd.amount }),
    withdraw: (cmd: { amount: number }, state) => {
      if (state.context.balance < cmd.amount) throw new Error('insufficient funds');
      return { type: 'MoneyWithdrawn', amount: cmd.amount };
    },
  },
  schemas: {
    open: z.object({ owner: z.string().min(1), initial: z.number().int().nonnegative() }),
    deposit: z.object({ amount: z.number().int().positive() }),
    withdraw: z.object({ amount: z.number().int().positive() }),
  },
});

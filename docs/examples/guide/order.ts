// The guide's timed order, shared by its timers and testing sections (timers.ts, testing-time.ts):
// it expires when it is not paid within 30 minutes of being placed.
import { assign, setup } from 'xstate';
import { defineAggregate } from 'rehydra';

export type OrderEvent = { type: 'OrderPlaced'; total: number } | { type: 'OrderPaid' };

const machine = setup({ types: { context: {} as { total: number }, events: {} as OrderEvent } }).createMachine({
  id: 'order',
  initial: 'draft',
  context: { total: 0 },
  states: {
    draft: { on: { OrderPlaced: { target: 'placed', actions: assign({ total: ({ event }) => event.total }) } } },
    placed: {
      after: { 1_800_000: 'expired' }, // 30 minutes, stored in the commit of the OrderPlaced event
      on: { OrderPaid: 'paid' },
    },
    paid: {},
    expired: {},
  },
});

export const order = defineAggregate({
  type: 'order',
  machine,
  commands: {
    place: (cmd: { total: number }): OrderEvent => ({ type: 'OrderPlaced', total: cmd.total }),
    pay: (): OrderEvent => ({ type: 'OrderPaid' }),
  },
});

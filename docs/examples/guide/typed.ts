// The guide's typing section as a program CI builds and runs (test/docs/guide.int.test.ts): a
// whole aggregate, its commands, state and events, with no cast anywhere. It writes to a fresh
// temp directory per run and removes it at the end, so it reruns from anywhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { createRuntime, defineAggregate, IllegalEventError, InvalidCommandError, type EventOf, type StoredEvent } from 'rehydra';

type OrderEvent =
  | { type: 'OrderPlaced'; total: number }
  | { type: 'OrderPaid'; amount: number }
  | { type: 'OrderShipped'; carrier: string };

const machine = setup({
  types: { context: {} as { total: number; paid: number }, events: {} as OrderEvent },
  guards: { paysInFull: ({ context, event }) => event.type === 'OrderPaid' && event.amount >= context.total },
}).createMachine({
  initial: 'open',
  context: { total: 0, paid: 0 },
  states: {
    open: { on: { OrderPlaced: { target: 'placed', actions: assign({ total: ({ event }) => event.total }) } } },
    placed: { on: { OrderPaid: { guard: 'paysInFull', target: 'paid', actions: assign({ paid: ({ event }) => event.amount }) } } },
    paid: { on: { OrderShipped: 'shipped' } },
    shipped: {},
  },
});

export const order = defineAggregate({
  type: 'order',
  machine,
  commands: {
    place: (cmd: { total: number }) => ({ type: 'OrderPlaced', total: cmd.total }),
    pay: (cmd: { amount: number }, state) => {
      if (cmd.amount > state.context.total) throw new Error(`overpaid: the total is ${state.context.total}`);
      return { type: 'OrderPaid', amount: cmd.amount };
    },
    ship: (cmd: { carrier: string }) => ({ type: 'OrderShipped', carrier: cmd.carrier }),
  },
  schemas: {
    place: z.object({ total: z.number().positive() }),
    pay: z.object({ amount: z.number().positive() }),
    ship: z.object({ carrier: z.string().min(1) }),
  },
});

const path = mkdtempSync(join(tmpdir(), 'rehydra-typed-')); // fresh per run; a service passes its own, e.g. './data'
const runtime = await createRuntime({ path, aggregates: [order] });
const orders = runtime.aggregate(order);

await orders.send('o-1', { type: 'place', total: 30 });
const why = await orders.explain('o-1', { type: 'pay', amount: 20 });  // decided now, nothing persisted
if (!why.accepted && why.error instanceof IllegalEventError) console.log('refused by', why.error.guard); // refused by paysInFull
await orders.send('o-1', { type: 'pay', amount: 30 });
const { value, context } = await orders.state('o-1');               // value: 'open' | 'placed' | 'paid' | 'shipped'
console.log(value, context.paid);                                  // paid 30

// A command from JSON is checked by the same schemas at run time, before its handler runs.
const fields: Record<string, unknown> = JSON.parse('{ "carrier": "" }');
await runtime.send('order', 'o-1', { ...fields, type: 'ship' }).catch((error: unknown) => {
  if (error instanceof InvalidCommandError) console.log(error.issues.map((issue) => issue.path.join('.'))); // [ 'carrier' ]
});
await orders.send('o-1', { type: 'ship', carrier: 'post' });

function describe(event: StoredEvent<EventOf<typeof order>>): string {
  switch (event.type) {
    case 'OrderPlaced':
      return `placed for ${event.data.total}`;
    case 'OrderPaid':
      return `paid ${event.data.amount}`;
    case 'OrderShipped':
      return `shipped by ${event.data.carrier}`;
  }
}
console.log([...orders.readStream('o-1')].map(describe).join(', ')); // placed for 30, paid 30, shipped by post
await runtime.close();
rmSync(path, { recursive: true });

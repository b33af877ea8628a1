// Type tests of defineAggregate (run by `npm test` through vitest's typecheck, and by `npm run
// typecheck`): the command union is inferred from the handlers and schemas, and a handler whose
// events the machine does not declare is a compile error on that handler. Every
// `@ts-expect-error` line must fail to compile: one that compiles fails both runs.
import { assign, setup } from 'xstate';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { defineAggregate, type CommandOf, type EventOf } from '../../actors/define-aggregate.js';
import { account, validatedAccount, type AccountEvent } from '../../fixtures/bank-account.js';

type ShopEvent = { type: 'OrderPlaced'; total: number } | { type: 'OrderPaid'; amount: number } | { type: 'OrderShipped' };

const order = setup({ types: { context: {} as { total: number; paid: number }, events: {} as ShopEvent } }).createMachine({
  initial: 'open',
  context: { total: 0, paid: 0 },
  states: {
    open: { on: { OrderPlaced: { target: 'placed', actions: assign({ total: ({ event }) => event.total }) } } },
    placed: { on: { OrderPaid: { target: 'paid', actions: assign({ paid: ({ event }) => event.amount }) } } },
    paid: { on: { OrderShipped: 'shipped' } },
    shipped: {},
  },
});

describe('defineAggregate infers', () => {
  it('the command union from the handlers: key = type, first parameter = fields', () => {
    const orders = defineAggregate({
      type: 'order',
      machine: order,
      commands: {
        place: (cmd: { total: number }) => ({ type: 'OrderPlaced', total: cmd.total }),
        pay: (cmd: { amount: number }, state) => {
          if (cmd.amount < state.context.total) throw new Error('underpaid');
          return { type: 'OrderPaid', amount: cmd.amount };
        },
        ship: () => [{ type: 'OrderShipped' }],
        nothing: () => undefined,
      },
    });
    expectTypeOf<CommandOf<typeof orders>>().toEqualTypeOf<
      | { readonly type: 'place'; total: number }
      | { readonly type: 'pay'; amount: number }
      | { readonly type: 'ship' }
      | { readonly type: 'nothing' }
    >();
    expectTypeOf<EventOf<typeof orders>>().toEqualTypeOf<ShopEvent>();
  });

  it('the fields a caller sends from the schema input where a command has a schema', () => {
    const orders = defineAggregate({
      type: 'order',
      machine: order,
      commands: {
        place: (cmd: { total: number }) => ({ type: 'OrderPlaced', total: cmd.total }),
        // A handler that reads the state (typed in TypeScript's second pass) next to schemas.
        pay: (cmd: { amount: number }, state) => ({ type: 'OrderPaid', amount: Math.min(cmd.amount, state.context.total) }),
      },
      // The caller may send the total as a string; the handler still receives a number.
      schemas: { place: z.object({ total: z.union([z.number(), z.string()]).pipe(z.coerce.number()) }), pay: z.object({ amount: z.number() }) },
    });
    expectTypeOf<CommandOf<typeof orders>>().toEqualTypeOf<{ readonly type: 'place'; total: string | number } | { readonly type: 'pay'; amount: number }>();
  });

  it('the bank account fixtures: the same union with and without schemas', () => {
    expectTypeOf<CommandOf<typeof validatedAccount>>().toEqualTypeOf<CommandOf<typeof account>>();
    expectTypeOf<EventOf<typeof account>>().toEqualTypeOf<AccountEvent>();
    expectTypeOf<Extract<CommandOf<typeof account>, { type: 'transferIn' }>>().toEqualTypeOf<{ readonly type: 'transferIn'; amounts: number[] }>();
  });
});

describe('defineAggregate refuses at compile time', () => {
  it('an event type the machine does not declare', () => {
    defineAggregate({
      type: 'order',
      machine: order,
      commands: {
        // @ts-expect-error: 'Hapened' is not an event of the machine
        place: (cmd: { total: number }) => ({ type: 'Hapened', total: cmd.total }),
      },
    });
  });

  it('an event with a field of the wrong type, or a missing field', () => {
    defineAggregate({
      type: 'order',
      machine: order,
      commands: {
        // @ts-expect-error: OrderPlaced.total is a number
        place: (cmd: { total: number }) => ({ type: 'OrderPlaced', total: String(cmd.total) }),
        // @ts-expect-error: OrderPaid needs its amount
        pay: () => ({ type: 'OrderPaid' }),
      },
    });
  });

  it('a wrong event inside an array, or in a handler that reads the state', () => {
    defineAggregate({
      type: 'order',
      machine: order,
      commands: {
        // @ts-expect-error: 'OrderShiped' is misspelt
        ship: () => [{ type: 'OrderShiped' }],
        // @ts-expect-error: OrderPaid has no field `paid`
        pay: (cmd: { amount: number }, state) => ({ type: 'OrderPaid', paid: cmd.amount + state.context.paid }),
      },
    });
  });

  it('a schema whose output is not what the handler reads, or one for a command that does not exist', () => {
    defineAggregate({
      type: 'order',
      machine: order,
      // @ts-expect-error: the handler reads a number, the schema outputs a string
      commands: { place: (cmd: { total: number }) => ({ type: 'OrderPlaced', total: cmd.total }) },
      schemas: { place: z.object({ total: z.string() }) },
    });
    defineAggregate({
      type: 'order',
      machine: order,
      commands: { place: (cmd: { total: number }) => ({ type: 'OrderPlaced', total: cmd.total }) },
      // @ts-expect-error: there is no command `cancel`
      schemas: { place: z.object({ total: z.number() }), cancel: z.object({}) },
    });
  });
});

// Typed aggregates at run time, on a real runtime over a temp LMDB: command schemas (a failing
// command never reaches its handler and leaves nothing behind; the handler receives the schema's
// output), explain (decides against the current state, in command order, and changes nothing),
// the typed handle, and refusals that name the state's accepted events and the refusing guard.
import { afterEach, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate } from '../../actors/define-aggregate.js';
import { IllegalEventError, InvalidCommandError, UnknownCommandError } from '../../actors/errors.js';
import { UnknownAggregateError } from '../../runtime/errors.js';
import type { Runtime } from '../../runtime/types.js';
import { RuntimeClosedError } from '../../storage/errors.js';
import { account, accountMachine, validatedAccount, type AccountEvent } from '../../fixtures/bank-account.js';
import { quirky } from '../fixtures/runtime-aggregates.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

/** Everything a command could have touched: the aggregate's state, its stream, the whole log. */
async function footprint(runtime: Runtime, type: string, id: string) {
  return { state: await runtime.state(type, id), stream: [...runtime.readStream(type, id)], all: [...runtime.readAll()] };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then((value) => expect.fail(`expected a rejection, got ${JSON.stringify(value)}`), (error: unknown) => error);
}

/** An account whose deposit handler records what it receives, with a schema that coerces and strips. */
function recordingAccount() {
  const received: unknown[] = [];
  const definition = defineAggregate({
    type: 'recorded',
    machine: accountMachine,
    commands: {
      open: (cmd: { owner: string; initial: number }): AccountEvent => ({ type: 'AccountOpened', owner: cmd.owner, initial: cmd.initial }),
      deposit: (cmd: { amount: number }): AccountEvent => {
        received.push(cmd);
        return { type: 'MoneyDeposited', amount: cmd.amount };
      },
    },
    schemas: { deposit: z.object({ amount: z.coerce.number().int().positive() }) },
  });
  return { definition, received };
}

describe('command schemas', () => {
  it('refuse a wrong, missing or misspelt field with InvalidCommandError and its issues; nothing persisted', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [validatedAccount] });
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
    const before = await footprint(runtime, 'account', 'a-1');
    for (const [command, path] of [
      [{ type: 'deposit', amount: 'NaN' }, ['amount']],
      [{ type: 'deposit' }, ['amount']],
      [{ type: 'deposit', amout: 3 }, ['amount']],
      [{ type: 'deposit', amount: -3 }, ['amount']],
      [{ type: 'transferIn', amounts: [1, 'x'] }, ['amounts', 1]],
    ] as const) {
      const error = await rejectionOf(runtime.send('account', 'a-1', command));
      expect(error).toBeInstanceOf(InvalidCommandError);
      const invalid = error as InvalidCommandError;
      expect(invalid.code).toBe('ERR_INVALID_COMMAND');
      expect(invalid.issues.map((issue) => issue.path)).toEqual([path]);
      expect(invalid.issues[0]?.message).toEqual(expect.any(String));
      expect(invalid.message).toContain(`invalid command for account/a-1: command "${command.type}" failed its schema: ${path.join('.')}: `);
    }
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    expect((await runtime.send('account', 'a-1', { type: 'deposit', amount: 3 })).version).toBe(2);
  });

  it('hand the handler the schema output (coerced, unknown fields stripped) and never run it on a failure', async () => {
    const { definition, received } = recordingAccount();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [definition] });
    await runtime.send('recorded', 'r-1', { type: 'open', owner: 'ann', initial: 0 });
    await runtime.send('recorded', 'r-1', { type: 'deposit', amount: '3', note: 'dropped by the schema' });
    expect(received).toEqual([{ amount: 3, type: 'deposit' }]);
    expect([...runtime.readStream('recorded', 'r-1')].map((e) => e.data)).toEqual([{ owner: 'ann', initial: 0 }, { amount: 3 }]);
    expect(await rejectionOf(runtime.send('recorded', 'r-1', { type: 'deposit', amount: 'three' }))).toBeInstanceOf(InvalidCommandError);
    expect(received).toHaveLength(1);
  });

  it('refuse an asynchronous schema at definition time, or when it first answers asynchronously', async () => {
    const asyncSchema = { '~standard': { version: 1, vendor: 'test', validate: async () => ({ value: {} }) } } as const;
    const define = () => defineAggregate({ type: 'slow', machine: accountMachine, commands: { close: (): AccountEvent => ({ type: 'AccountClosed' }) }, schemas: { close: asyncSchema } });
    expect(define).toThrow(TypeError);
    expect(define).toThrow('options.schemas.close of aggregate "slow" validates asynchronously');

    // zod answers synchronously until an async refinement runs, which the probe cannot reach.
    const lazy = defineAggregate({
      type: 'lazy', machine: accountMachine,
      commands: { open: (cmd: { owner: string; initial: number }): AccountEvent => ({ type: 'AccountOpened', owner: cmd.owner, initial: cmd.initial }) },
      schemas: { open: z.object({ owner: z.string(), initial: z.number() }).refine(async () => true) },
    });
    const runtime = await harness.open({ path: harness.dir(), aggregates: [lazy] });
    const error = await rejectionOf(runtime.send('lazy', 'l-1', { type: 'open', owner: 'ann', initial: 1 }));
    expect(error).toBeInstanceOf(InvalidCommandError);
    expect((error as Error).message).toContain('options.schemas.open of aggregate "lazy" validates asynchronously');
    expect([...runtime.readAll()]).toEqual([]);
  });

  it('refuse bad schema options, naming the field', () => {
    const base = { type: 'account', machine: accountMachine, commands: { close: (): AccountEvent => ({ type: 'AccountClosed' }) } };
    for (const [schemas, fragment] of [
      [[], 'options.schemas of aggregate "account" must map command types'],
      [{ cancel: z.object({}) }, 'options.schemas.cancel of aggregate "account" has no command handler (commands: close)'],
      [{ close: {} }, 'options.schemas.close of aggregate "account" must be a Standard Schema v1 validator'],
    ] as const) {
      expect(() => defineAggregate({ ...base, schemas } as never)).toThrow(fragment);
    }
  });
});

describe('explain', () => {
  async function openAccount(): Promise<Runtime> {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
    return runtime;
  }

  it('says what a command would produce or why it would be refused, and persists and changes nothing', async () => {
    const runtime = await openAccount();
    const accounts = runtime.aggregate(account);
    const before = await footprint(runtime, 'account', 'a-1');
    expect(await accounts.explain('a-1', { type: 'transferIn', amounts: [1, 2] })).toEqual({
      accepted: true, events: [{ type: 'MoneyDeposited', amount: 1 }, { type: 'MoneyDeposited', amount: 2 }],
    });
    const refused = await accounts.explain('a-1', { type: 'withdraw', amount: 500 });
    expect(refused).toEqual({ accepted: false, error: new Error('insufficient funds') });
    const illegal = await accounts.explain('a-1', { type: 'open', owner: 'bo', initial: 1 });
    expect(illegal.accepted).toBe(false);
    expect(!illegal.accepted && illegal.error).toBeInstanceOf(IllegalEventError);
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    // The live actor did not move: the next command is decided on the balance of 100.
    expect((await accounts.send('a-1', { type: 'withdraw', amount: 100 })).version).toBe(2);
  });

  it('decides in command order: after the commands sent before it', async () => {
    const runtime = await openAccount();
    const accounts = runtime.aggregate(account);
    const deposit = accounts.send('a-1', { type: 'deposit', amount: 5 });
    const explained = accounts.explain('a-1', { type: 'withdraw', amount: 105 });
    const withdraw = accounts.send('a-1', { type: 'withdraw', amount: 105 });
    expect(await explained).toEqual({ accepted: true, events: [{ type: 'MoneyWithdrawn', amount: 105 }] });
    expect([(await deposit).version, (await withdraw).version]).toEqual([2, 3]);
  });

  it('returns the door refusals (unknown command, failed schema) and rejects only for the call itself', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [validatedAccount] });
    const unknown = await runtime.explain('account', 'a-1', { type: 'teleport' });
    expect(!unknown.accepted && unknown.error).toBeInstanceOf(UnknownCommandError);
    const invalid = await runtime.explain('account', 'a-1', { type: 'deposit', amount: 'x' });
    expect(!invalid.accepted && (invalid.error as InvalidCommandError).issues.map((i) => i.path)).toEqual([['amount']]);
    expect(await rejectionOf(runtime.explain('order', 'o-1', { type: 'pay' }))).toBeInstanceOf(UnknownAggregateError);
    expect(await rejectionOf(runtime.explain('account', '', { type: 'noop' }))).toBeInstanceOf(InvalidCommandError);
    await harness.close(runtime);
    expect(await rejectionOf(runtime.explain('account', 'a-1', { type: 'noop' }))).toBeInstanceOf(RuntimeClosedError);
  });
});

describe('the typed handle', () => {
  it('is the untyped API with the aggregate type bound', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    const accounts = runtime.aggregate(account);
    expect(accounts.type).toBe('account');
    const opened = await accounts.send('a-1', { type: 'open', owner: 'ann', initial: 100 }, { commandId: 'open-1' });
    expect(opened.events.map((e) => [e.type, e.data, e.metadata.commandId])).toEqual([['AccountOpened', { owner: 'ann', initial: 100 }, 'open-1']]);
    expect(await accounts.state('a-1')).toEqual({ value: 'open', context: { balance: 100, owner: 'ann' }, version: 1 });
    expect(await accounts.state('a-1', { version: 0 })).toEqual({ value: 'closed', context: { balance: 0, owner: '' }, version: 0 });
    expect([...accounts.readStream('a-1')]).toEqual([...runtime.readStream('account', 'a-1')]);
  });

  it('is refused for a definition the runtime does not serve', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [account] });
    expect(() => runtime.aggregate(quirky)).toThrow(UnknownAggregateError);
    expect(() => runtime.aggregate(validatedAccount)).toThrow('this runtime serves another definition of aggregate "account"');
  });
});

describe('IllegalEventError explains the refusal', () => {
  type VaultEvent = { type: 'Deposited'; amount: number } | { type: 'Withdrawn'; amount: number } | { type: 'Sealed' };
  const vaultMachine = setup({
    types: { context: {} as { balance: number }, events: {} as VaultEvent },
    guards: { hasFunds: ({ context, event }) => event.type === 'Withdrawn' && context.balance >= event.amount },
  }).createMachine({
    initial: 'open',
    context: { balance: 0 },
    states: {
      open: {
        on: {
          Deposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount }) },
          Withdrawn: { guard: 'hasFunds', actions: assign({ balance: ({ context, event }) => context.balance - event.amount }) },
          Sealed: 'sealed',
        },
      },
      sealed: {},
    },
  });
  const vault = defineAggregate({
    type: 'vault',
    machine: vaultMachine,
    commands: {
      deposit: (cmd: { amount: number }) => ({ type: 'Deposited', amount: cmd.amount }),
      // No check in the handler: the chart's guard refuses an overdraft.
      withdraw: (cmd: { amount: number }) => ({ type: 'Withdrawn', amount: cmd.amount }),
      seal: () => ({ type: 'Sealed' }),
    },
  });

  it('names the guard that returned false and what the state accepts', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [vault] });
    const vaults = runtime.aggregate(vault);
    await vaults.send('v-1', { type: 'deposit', amount: 10 });
    const error = await rejectionOf(vaults.send('v-1', { type: 'withdraw', amount: 50 }));
    expect(error).toBeInstanceOf(IllegalEventError);
    const illegal = error as IllegalEventError;
    expect([illegal.state, illegal.eventType, illegal.accepted, illegal.guard]).toEqual(['open', 'Withdrawn', ['Deposited', 'Withdrawn', 'Sealed'], 'hasFunds']);
    expect(illegal.message).toBe(
      'vault/v-1 does not accept event "Withdrawn" in state "open": guard "hasFunds" returned false (it accepts Deposited, Withdrawn, Sealed); nothing was persisted',
    );
    expect((await vaults.send('v-1', { type: 'withdraw', amount: 10 })).version).toBe(2);
  });

  it('without a guard, and in a state that accepts nothing', async () => {
    const runtime = await harness.open({ path: harness.dir(), aggregates: [vault] });
    const vaults = runtime.aggregate(vault);
    await vaults.send('v-1', { type: 'seal' });
    const error = (await rejectionOf(vaults.send('v-1', { type: 'deposit', amount: 1 }))) as IllegalEventError;
    expect([error.state, error.accepted, error.guard]).toEqual(['sealed', [], undefined]);
    expect(error.message).toBe('vault/v-1 does not accept event "Deposited" in state "sealed" (it accepts no event there); nothing was persisted');
  });
});

// The kit's own specs, on the bank account: accepted, rejected (message and class), illegal
// events, data the codec cannot store, given histories the aggregate refuses, and thenState.
// The kit is imported from sources (a dist import would mix two copies of the error classes);
// the last test proves the public `rehydra/testing` entry resolves from the build.
import { AssertionError } from 'node:assert';
import { describe, expect, it } from 'vitest';
import { defineAggregate, type CommandOf, type EventOf } from '../../actors/define-aggregate.js';
import { EncodingError, RehydraError } from '../../storage/errors.js';
import { IllegalEventError, InvalidCommandError, UnknownCommandError } from '../../actors/errors.js';
import { given } from '../../testing/index.js';
import { account, accountMachine, validatedAccount } from '../../fixtures/bank-account.js';

type Event = EventOf<typeof account>;

const opened = (initial: number): Event => ({ type: 'AccountOpened', owner: 'ann', initial });
const deposited = (amount: number): Event => ({ type: 'MoneyDeposited', amount });
const withdrawn = (amount: number): Event => ({ type: 'MoneyWithdrawn', amount });
const withdraw = (amount: number): CommandOf<typeof account> => ({ type: 'withdraw', amount });

function thrownBy(run: () => void): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return expect.fail('expected a throw');
}

// A handler that decides an event holding a function (or a symbol): legal for the statechart, not storable.
const leaky = defineAggregate({
  type: 'leaky-account',
  machine: accountMachine,
  commands: {
    open: () => ({ type: 'AccountOpened', owner: 'ann', initial: 0 }),
    depositWithCallback: () => ({ type: 'MoneyDeposited', amount: 1, onDone: () => undefined }),
    depositWithSymbol: () => ({ type: 'MoneyDeposited', amount: 1, tag: Symbol('tag') }),
  },
});

describe('given/when/then', () => {
  it('then: the command produces exactly the expected events', () => {
    given(account, [opened(100)]).when(withdraw(30)).then([withdrawn(30)]);
    given(account, [opened(0)]).when({ type: 'transferIn', amounts: [1, 2] }).then([deposited(1), deposited(2)]);
    given(account, [opened(0)]).when({ type: 'noop' }).then([]);
  });

  it('then: different events throw an AssertionError naming the scenario', () => {
    const error = thrownBy(() => given(account, [opened(100)]).when(withdraw(30)).then([withdrawn(31)]));
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as Error).message).toContain('produced events differ');
    expect((error as Error).message).toContain('"withdraw"');
  });

  it('then: a rejected command throws an AssertionError carrying the rejection as cause', () => {
    const error = thrownBy(() => given(account, [opened(100)]).when(withdraw(150)).then([withdrawn(150)]));
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as Error).message).toContain('rejected: InsufficientFundsError: insufficient funds');
    expect((error as Error).cause).toBeInstanceOf(Error);
  });

  it('thenRejects: by message fragment, by class, by class and fragment', () => {
    given(account, [opened(100)]).when(withdraw(150)).thenRejects('insufficient funds');
    given(account, [opened(100)]).when(withdraw(150)).thenRejects(Error, 'insufficient');
    // @ts-expect-error: not a command of the account (a dynamic caller can still send one)
    given(account).when({ type: 'teleport' }).thenRejects(UnknownCommandError, 'no command "teleport"');
  });

  it('thenRejects: an accepted command, another class or another message throw an AssertionError', () => {
    const accepted = thrownBy(() => given(account, [opened(100)]).when(withdraw(30)).thenRejects('insufficient'));
    expect(accepted).toBeInstanceOf(AssertionError);
    expect((accepted as Error).message).toContain('but the command was accepted with [{"type":"MoneyWithdrawn","amount":30}]');
    const wrongClass = thrownBy(() => given(account, [opened(100)]).when(withdraw(150)).thenRejects(RehydraError));
    expect((wrongClass as Error).message).toContain('of class RehydraError, got InsufficientFundsError: insufficient funds');
    const wrongMessage = thrownBy(() => given(account, [opened(100)]).when(withdraw(150)).thenRejects('overdrawn'));
    expect((wrongMessage as Error).message).toContain('contains "overdrawn"');
  });

  it('an event the statechart does not accept is an IllegalEventError, as in the runtime', () => {
    given(account, []).when({ type: 'deposit', amount: 5 }).thenRejects(IllegalEventError, 'does not accept event "MoneyDeposited" in state "closed"');
    const error = thrownBy(() => given(account, []).when({ type: 'deposit', amount: 5 }).then([deposited(5)]));
    expect((error as Error).cause).toBeInstanceOf(IllegalEventError);
    expect(((error as Error).cause as IllegalEventError).code).toBe('ERR_ILLEGAL_EVENT');
  });

  it('a command that fails its schema is an InvalidCommandError with the issues, as in the runtime', () => {
    given(validatedAccount, [opened(100)]).when(withdraw(-5)).thenRejects(InvalidCommandError, 'command "withdraw" failed its schema: amount:');
    const error = thrownBy(() => given(validatedAccount, [opened(100)]).when(withdraw(0)).then([withdrawn(0)]));
    expect(((error as Error).cause as InvalidCommandError).issues.map((issue) => issue.path)).toEqual([['amount']]);
    given(validatedAccount, [opened(100)]).when(withdraw(30)).then([withdrawn(30)]);
  });

  it('an event holding a function or a symbol fails through the real codec with EncodingError', () => {
    given(leaky, [opened(0)]).when({ type: 'depositWithCallback' }).thenRejects(EncodingError, 'data.onDone is a function, which cannot be stored');
    given(leaky, [opened(0)]).when({ type: 'depositWithSymbol' }).thenRejects(EncodingError, 'event "MoneyDeposited" cannot be encoded');
    const error = thrownBy(() => given(leaky, [opened(0)]).when({ type: 'depositWithCallback' }).then([deposited(1)]));
    expect(((error as Error).cause as EncodingError).code).toBe('ERR_ENCODING');
  });

  it('a given event holding a function fails through the codec too', () => {
    const audited = { ...opened(1), audit: () => 'x' };
    const error = thrownBy(() => given(account, [audited]).when(withdraw(1)).then([withdrawn(1)]));
    expect(error).toBeInstanceOf(EncodingError);
  });

  it('a given history the aggregate refuses throws, naming the given event, even under thenRejects', () => {
    const error = thrownBy(() => given(account, [opened(10), opened(20)]).when(withdraw(150)).thenRejects('insufficient funds'));
    expect(error).not.toBeInstanceOf(AssertionError);
    expect((error as Error).message).toBe(
      'given event #2 "AccountOpened" of account/spec is not accepted in state "open": the given history must be one the aggregate accepts',
    );
  });

  it('thenState: value, context and version after the command, through the persisted snapshot', () => {
    given(account, [opened(100), deposited(5)]).when(withdraw(30)).thenState({ value: 'open', context: { balance: 75, owner: 'ann' }, version: 3 });
    given(account, [opened(100)]).when({ type: 'close' }).thenState({ value: 'closed' });
    const error = thrownBy(() => given(account, [opened(100)]).when(withdraw(30)).thenState({ context: { balance: 71, owner: 'ann' } }));
    expect(error).toBeInstanceOf(AssertionError);
    expect((error as Error).message).toContain('state.context differs');
  });

  it('bad arguments are TypeErrors', () => {
    expect(() => given(account, [opened(1)]).when(null as never)).toThrow(TypeError);
    expect(() => given(account, [opened(1)]).when(withdraw(1)).then(withdrawn(1) as never)).toThrow(TypeError);
  });

  it('the public entry rehydra/testing resolves (from dist) and runs a spec', async () => {
    const kit = await import('rehydra/testing');
    expect(Object.keys(kit).sort()).toEqual(['AggregateSpec', 'createTestRuntime', 'given', 'modelPaths']);
    kit.given(account, [opened(100)]).when(withdraw(30)).then([withdrawn(30)]);
  });
});

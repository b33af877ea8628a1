// The guide's testing section as a program CI builds and runs (test/docs/guide.int.test.ts): the
// kit's specs throw on a mismatch, so reaching the last line means every spec held.
import { IllegalEventError, type CommandOf, type EventOf } from 'rehydra';
import { account } from '../quickstart/account.js';

import { given } from 'rehydra/testing';

given(account, [opened(100)]).when(withdraw(150)).thenRejects('insufficient funds');
given(account, [opened(100)]).when(withdraw(30)).then([withdrawn(30)]);
given(account, []).when(deposit(5)).thenRejects(IllegalEventError);
given(account, [opened(100)]).when(withdraw(30)).thenState({ context: { balance: 70 }, version: 2 });

// Typed by the aggregate: a misspelt event or command type, or field, does not compile.
type AccountEvent = EventOf<typeof account>;
type AccountCommand = CommandOf<typeof account>;

function opened(initial: number): AccountEvent {
  return { type: 'AccountOpened', owner: 'ann', initial };
}
function withdrawn(amount: number): AccountEvent {
  return { type: 'MoneyWithdrawn', amount };
}
function withdraw(amount: number): AccountCommand {
  return { type: 'withdraw', amount };
}
function deposit(amount: number): AccountCommand {
  return { type: 'deposit', amount };
}

import { createTestRuntime } from 'rehydra/testing';

const test = await createTestRuntime({ aggregates: [account] });
try {
  await test.runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
  const reopened = await test.restart();
  console.log(await reopened.state('account', 'a-1')); // version 1: acknowledged means durable
} finally {
  await test.dispose();
}
console.log('specs held');

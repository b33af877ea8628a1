// The guide's testing section as a program CI builds and runs (test/docs/guide.int.test.ts): the
// kit's specs throw on a mismatch, so reaching the last line means every spec held.
import { IllegalEventError, type CommandOf, type EventOf } from 'rehydra';
import { given } from 'rehydra/testing';
import { account } from '../quickstart/account.js';

// Helpers that build events and commands, typed by the aggregate: a misspelt type or field does not compile.
const opened = (initial: number): EventOf<typeof account> => ({ type: 'AccountOpened', owner: 'ann', initial });
const withdrawn = (amount: number): EventOf<typeof account> => ({ type: 'MoneyWithdrawn', amount });
const withdraw = (amount: number): CommandOf<typeof account> => ({ type: 'withdraw', amount });
const deposit = (amount: number): CommandOf<typeof account> => ({ type: 'deposit', amount });

given(account, [opened(100)]).when(withdraw(150)).thenRejects('insufficient funds');
given(account, [opened(100)]).when(withdraw(30)).then([withdrawn(30)]);
given(account, []).when(deposit(5)).thenRejects(IllegalEventError);
given(account, [opened(100)]).when(withdraw(30)).thenState({ context: { balance: 70 }, version: 2 });

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

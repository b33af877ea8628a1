// The bank account's behaviour as given/when/then specs: given the stored history, when a
// command is sent through the runtime, then exactly these events are stored (or it is rejected
// and nothing is). The statechart refuses what the handlers do not check themselves.
import { describe, expect, it } from 'vitest';
import { IllegalEventError } from '../../actors/errors.js';
import { account } from '../../fixtures/bank-account.js';
import { InsufficientFundsError } from '../../fixtures/insufficient-funds-error.js';
import { givenFor } from '../support/given-when-then.js';

const given = givenFor(account);

const opened = (initial: number, owner = 'ann') => ({ type: 'AccountOpened', owner, initial });
const deposited = (amount: number) => ({ type: 'MoneyDeposited', amount });
const withdrawn = (amount: number) => ({ type: 'MoneyWithdrawn', amount });
const closed = () => ({ type: 'AccountClosed' });

const open = (initial: number, owner = 'ann') => ({ type: 'open', owner, initial });
const deposit = (amount: number) => ({ type: 'deposit', amount });
const withdraw = (amount: number) => ({ type: 'withdraw', amount });
const close = () => ({ type: 'close' });
const transferIn = (...amounts: number[]) => ({ type: 'transferIn', amounts });
const noop = () => ({ type: 'noop' });

describe('bank account', () => {
  describe('open', () => {
    it('opens a new account with its initial balance', () => given([]).when(open(100)).then([opened(100)]));
    it('reopens a closed account', () => given([opened(100), closed()]).when(open(7, 'bob')).then([opened(7, 'bob')]));
    it('refuses to open an open account', () =>
      given([opened(100)]).when(open(5)).thenRejects('does not accept event "AccountOpened" in state "open"', IllegalEventError));
  });

  describe('deposit', () => {
    it('deposits into an open account', () => given([opened(100)]).when(deposit(50)).then([deposited(50)]));
    it('adds to the balance', () =>
      given([opened(100), deposited(50)]).when(deposit(25)).thenState({ value: 'open', context: { balance: 175, owner: 'ann' }, version: 3 }));
    it('refuses a deposit before the account is opened', () =>
      given([]).when(deposit(5)).thenRejects('does not accept event "MoneyDeposited" in state "closed"', IllegalEventError));
    it('refuses a deposit into a closed account', () =>
      given([opened(100), closed()]).when(deposit(5)).thenRejects('does not accept event "MoneyDeposited"', IllegalEventError));
  });

  describe('withdraw', () => {
    it('withdraws within the balance', () => given([opened(100)]).when(withdraw(30)).then([withdrawn(30)]));
    it('withdraws the whole balance', () => given([opened(100)]).when(withdraw(100)).then([withdrawn(100)]));
    it('rejects an overdraft', () => given([opened(100)]).when(withdraw(150)).thenRejects('insufficient funds', InsufficientFundsError));
    it('refuses without a stack trace, and leaves the stack trace limit as it was', () => {
      const before = Error.stackTraceLimit;
      const refusal = new InsufficientFundsError();
      expect([refusal instanceof Error, refusal.message, refusal.stack, Error.stackTraceLimit]).toEqual([true, 'insufficient funds', 'Error: insufficient funds', before]);
    });
    it('counts earlier withdrawals', () => given([opened(100), withdrawn(60)]).when(withdraw(50)).thenRejects('insufficient funds'));
    it('counts earlier deposits', () => given([opened(100), deposited(50)]).when(withdraw(150)).then([withdrawn(150)]));
    it('leaves the rest of the balance', () =>
      given([opened(100), deposited(50)]).when(withdraw(30)).thenState({ value: 'open', context: { balance: 120, owner: 'ann' }, version: 3 }));
    it('refuses a withdrawal from a closed account even when funds suffice', () =>
      given([opened(100), closed()]).when(withdraw(10)).thenRejects('does not accept event "MoneyWithdrawn" in state "closed"', IllegalEventError));
  });

  describe('close', () => {
    it('closes an open account', () => given([opened(100)]).when(close()).then([closed()]));
    it('ends in the closed state', () => given([opened(100)]).when(close()).thenState({ value: 'closed', version: 2 }));
    it('refuses to close an account that is not open', () =>
      given([]).when(close()).thenRejects('does not accept event "AccountClosed"', IllegalEventError));
  });

  describe('transferIn (several events in one command)', () => {
    it('stores one deposit per amount, in order', () =>
      given([opened(100)]).when(transferIn(10, 20, 30)).then([deposited(10), deposited(20), deposited(30)]));
    it('adds them all up', () =>
      given([opened(100)]).when(transferIn(10, 20, 30)).thenState({ context: { balance: 160, owner: 'ann' }, version: 4 }));
    it('stores nothing for no amounts', () => given([opened(100)]).when(transferIn()).then([]));
    it('refuses the whole transfer into a closed account', () =>
      given([opened(100), closed()]).when(transferIn(1, 2)).thenRejects('does not accept event "MoneyDeposited"', IllegalEventError));
  });

  describe('noop', () => {
    it('stores nothing on an open account', () => given([opened(100)]).when(noop()).then([]));
    it('stores nothing on a new account', () => given([]).when(noop()).then([]));
  });
});

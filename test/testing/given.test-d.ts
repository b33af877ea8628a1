// Type tests of the testing kit: `given(definition, events).when(command)` is typed by the same
// inference as `runtime.aggregate`, so a spec with a misspelt event, command or field does not
// compile. Every `@ts-expect-error` line must fail to compile.
import { describe, it } from 'vitest';
import { given } from '../../testing/index.js';
import { account } from '../../fixtures/bank-account.js';
import { order } from '../../fixtures/order.js';

describe('given/when/then', () => {
  it('takes the definition events, commands and state', () => {
    given(account, [{ type: 'AccountOpened', owner: 'ann', initial: 100 }])
      .when({ type: 'withdraw', amount: 30 })
      .then([{ type: 'MoneyWithdrawn', amount: 30 }]);
    given(account, [{ type: 'AccountOpened', owner: 'ann', initial: 100 }]).when({ type: 'close' }).thenState({ value: 'closed', version: 2 });
  });

  it('refuses a misspelt event, command or field, and a state the machine cannot have', () => {
    // @ts-expect-error: 'AccountOpend' is misspelt
    given(account, [{ type: 'AccountOpend', owner: 'ann', initial: 100 }]);
    // @ts-expect-error: 'amout' is misspelt
    given(account, []).when({ type: 'deposit', amout: 5 });
    // @ts-expect-error: MoneyDeposited.amount is a number
    given(account, []).when({ type: 'deposit', amount: 5 }).then([{ type: 'MoneyDeposited', amount: '5' }]);
    // @ts-expect-error: 'balanse' is misspelt
    given(account, []).when({ type: 'deposit', amount: 5 }).thenState({ context: { balanse: 5, owner: 'ann' } });
    // @ts-expect-error: no state 'opened'
    given(account, []).when({ type: 'deposit', amount: 5 }).thenState({ value: 'opened' });
  });

  it('takes time: after(ms) before or after the command, delayed events in the history and the expected events', () => {
    const placed = { type: 'OrderPlaced', total: 30, windowMs: 60_000 } as const;
    given(order, [placed]).after(60_000).thenState({ value: 'expired' });
    given(order, [placed]).after(60_000).then([{ type: 'xstate.after.paymentWindow.order.placed' }]);
    given(order, [placed, { type: 'xstate.after.600000.order.placed' }]).after(1).when({ type: 'pay' }).thenRejects('expired');
    given(order, [placed]).after(1).after(2).when({ type: 'pay' }).after(3).then([{ type: 'OrderPaid' }]);
    given(order).when({ type: 'place', total: 5 }).after(1).thenState({ context: { total: 5, windowMs: 1, reminders: 0 } });
  });

  it('refuses a second command, a rejection after time passed, and what is not a delayed event', () => {
    // @ts-expect-error: one command per spec
    given(order).when({ type: 'place', total: 5 }).after(1).when({ type: 'pay' });
    // @ts-expect-error: one command per spec
    given(order).after(1).when({ type: 'place', total: 5 }).when({ type: 'pay' });
    // @ts-expect-error: thenRejects checks the command, so it comes right after when()
    given(order).when({ type: 'place', total: 5 }).after(1).thenRejects('x');
    // @ts-expect-error: a delayed event's type starts with 'xstate.after.'
    given(order, [{ type: 'xstate.afterwards' }]);
    // @ts-expect-error: a delayed event holds no data
    given(order, []).after(1).then([{ type: 'xstate.after.1.order.placed', total: 5 }]);
    // @ts-expect-error: no state 'expird'
    given(order).after(1).thenState({ value: 'expird' });
  });
});

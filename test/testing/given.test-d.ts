// Type tests of the testing kit: `given(definition, events).when(command)` is typed by the same
// inference as `runtime.aggregate`, so a spec with a misspelt event, command or field does not
// compile. Every `@ts-expect-error` line must fail to compile.
import { describe, it } from 'vitest';
import { given } from '../../testing/index.js';
import { account } from '../../fixtures/bank-account.js';

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
});

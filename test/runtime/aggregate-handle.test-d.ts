// Type tests of the typed handle (`runtime.aggregate(account)`), StoredEvent<EventOf<…>> and the
// untyped twin: a wrong command type, a missing or misspelt field, or a wrong field type is a
// compile error at every typed call site; state and events are typed from the machine. Every
// `@ts-expect-error` line must fail to compile (vitest typecheck and `npm run typecheck`).
import { describe, expectTypeOf, it } from 'vitest';
import type { EventOf, Runtime, SendResult, StoredEvent } from '../../runtime/index.js';
import { account, type AccountEvent } from '../../fixtures/bank-account.js';

declare const runtime: Runtime;
const accounts = runtime.aggregate(account);

describe('send', () => {
  it('takes the inferred commands, with their fields', () => {
    expectTypeOf(accounts.send('a-1', { type: 'deposit', amount: 5 }, { expectedVersion: 3 })).resolves.toEqualTypeOf<SendResult<AccountEvent>>();
    void accounts.send('a-1', { type: 'open', owner: 'ann', initial: 10 });
    void accounts.send('a-1', { type: 'close' });
  });

  it('refuses a wrong type, a misspelt, missing or mistyped field', () => {
    // @ts-expect-error: no command 'payy'
    void accounts.send('a-1', { type: 'payy' });
    // @ts-expect-error: 'amout' is misspelt
    void accounts.send('a-1', { type: 'deposit', amout: 5 });
    // @ts-expect-error: deposit needs its amount
    void accounts.send('a-1', { type: 'deposit' });
    // @ts-expect-error: amount is a number
    void accounts.send('a-1', { type: 'deposit', amount: '1' });
    // @ts-expect-error: open needs an owner
    void accounts.send('a-1', { type: 'open', initial: 1 });
  });

  it('types the returned events', async () => {
    const { events } = await accounts.send('a-1', { type: 'deposit', amount: 5 });
    const [first] = events;
    if (first?.type === 'MoneyDeposited') expectTypeOf(first.data).toEqualTypeOf<{ readonly amount: number; readonly memo?: string }>();
  });
});

describe('state', () => {
  it('has the machine context and state value', async () => {
    const s = await accounts.state('a-1');
    expectTypeOf(s.context).toEqualTypeOf<{ balance: number; owner: string }>();
    expectTypeOf(s.value).toEqualTypeOf<'closed' | 'open'>();
    expectTypeOf(s.version).toBeNumber();
    // @ts-expect-error: 'balanse' is misspelt
    void s.context.balanse;
    // @ts-expect-error: no state 'opened'
    void (s.value === 'opened');
  });
});

describe('explain', () => {
  it('is accepted with the events, or refused with the error', async () => {
    const why = await accounts.explain('a-1', { type: 'withdraw', amount: 500 });
    // @ts-expect-error: events exist only on an accepted explanation
    void why.events;
    if (why.accepted) expectTypeOf(why.events).toEqualTypeOf<readonly AccountEvent[]>();
    else expectTypeOf(why.error).toBeUnknown();
    // @ts-expect-error: 'amout' is misspelt
    void accounts.explain('a-1', { type: 'withdraw', amout: 500 });
  });
});

describe('events', () => {
  it('readStream narrows data by type', () => {
    for (const event of accounts.readStream('a-1')) {
      if (event.type === 'AccountOpened') expectTypeOf(event.data.initial).toBeNumber();
      // @ts-expect-error: not a field of any account event
      void event.data.total;
    }
  });

  it('StoredEvent<EventOf<typeof account>> types a projection handler without casts', () => {
    function handle(event: StoredEvent<EventOf<typeof account>>): number {
      switch (event.type) {
        case 'AccountOpened':
          return event.data.initial;
        case 'MoneyDeposited':
        case 'MoneyWithdrawn':
          return event.data.amount;
        case 'AccountClosed':
          // @ts-expect-error: AccountClosed has no amount
          return event.data.amount;
      }
    }
    expectTypeOf(handle).parameter(0).toHaveProperty('position').toBeNumber();
  });

  it('subscribe takes a typed handler', () => {
    const stop = runtime.subscribe<EventOf<typeof account>>({ fromPosition: 1 }, (event) => {
      if (event.type === 'MoneyWithdrawn') expectTypeOf(event.data.amount).toBeNumber();
    });
    expectTypeOf(stop).toEqualTypeOf<() => void>();
  });

  it('the untyped StoredEvent keeps data a record', () => {
    expectTypeOf<StoredEvent['data']>().toEqualTypeOf<Record<string, unknown>>();
    expectTypeOf<StoredEvent['type']>().toBeString();
  });
});

describe('the untyped twin', () => {
  it('takes any command, for dynamic callers', () => {
    expectTypeOf(runtime.send('account', 'a-1', { type: 'anything', amount: '1' })).resolves.toEqualTypeOf<SendResult>();
    void runtime.explain('account', 'a-1', { type: 'deposit', amount: 5 });
  });
});

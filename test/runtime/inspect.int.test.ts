// The `inspect` option, compiled and XState-run aggregates alike: each live aggregate is announced
// as an actor (its stream as sessionId) with its start (`xstate.init` and the state it was
// rehydrated to), then every applied event is an `@xstate.event` followed by the `@xstate.snapshot`
// it produced, in command order; a refused event emits nothing.
import { afterEach, describe, expect, it } from 'vitest';
import type { InspectedAggregateRef, RehydraInspectionEvent } from '../../actors/inspection.js';
import { account, accountMachine } from '../../fixtures/bank-account.js';
import { accountWith } from '../fixtures/runtime-aggregates.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const onXState = accountWith({ compile: false });

/** The inspection events as plain values: type, sessionId, event type, and the snapshot's value and context. */
function summary(event: RehydraInspectionEvent): unknown {
  const base = { type: event.type, rootId: event.rootId, sessionId: event.actorRef.sessionId };
  if (event.type === '@xstate.actor') return base;
  if (event.type === '@xstate.event') return { ...base, event: event.event, sourceRef: event.sourceRef };
  const snapshot = event.snapshot as unknown as { value: unknown; context: unknown };
  return { ...base, event: event.event.type, value: snapshot.value, context: snapshot.context };
}

describe.each([
  ['compiled', account],
  ['on XState', onXState],
])('inspect, %s', (_, definition) => {
  it('reports each applied event and the snapshot it produced, and nothing for a refusal', async () => {
    const seen: RehydraInspectionEvent[] = [];
    const runtime = await harness.open({ path: harness.dir(), aggregates: [definition], inspect: (event) => seen.push(event) });
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
    await runtime.send('account', 'a-1', { type: 'transferIn', amounts: [1, 2] });
    await expect(runtime.send('account', 'a-1', { type: 'withdraw', amount: 100 })).rejects.toThrow('insufficient funds');
    expect(definition.compilation.compiled).toBe(definition === account);

    const session = { rootId: 'account/a-1', sessionId: 'account/a-1' };
    expect(seen.map(summary)).toEqual([
      { type: '@xstate.actor', ...session },
      { type: '@xstate.event', ...session, event: { type: 'xstate.init' }, sourceRef: undefined },
      { type: '@xstate.snapshot', ...session, event: 'xstate.init', value: 'closed', context: { balance: 0, owner: '' } },
      { type: '@xstate.event', ...session, event: { type: 'AccountOpened', owner: 'ann', initial: 10 }, sourceRef: undefined },
      { type: '@xstate.snapshot', ...session, event: 'AccountOpened', value: 'open', context: { balance: 10, owner: 'ann' } },
      { type: '@xstate.event', ...session, event: { type: 'MoneyDeposited', amount: 1 }, sourceRef: undefined },
      { type: '@xstate.snapshot', ...session, event: 'MoneyDeposited', value: 'open', context: { balance: 11, owner: 'ann' } },
      { type: '@xstate.event', ...session, event: { type: 'MoneyDeposited', amount: 2 }, sourceRef: undefined },
      { type: '@xstate.snapshot', ...session, event: 'MoneyDeposited', value: 'open', context: { balance: 13, owner: 'ann' } },
    ]);
    // The actor reference reads the live state and carries the machine an inspector draws.
    const actorRef = seen[0]!.actorRef as unknown as InspectedAggregateRef;
    expect(actorRef.logic).toBe(accountMachine);
    expect((actorRef.getSnapshot() as unknown as { context: unknown }).context).toEqual({ balance: 13, owner: 'ann' });
    expect(() => seen[0]!.actorRef.send({ type: 'MoneyDeposited' })).toThrow('send its commands with runtime.send');
  });
});

it('starts a rehydrated aggregate at the state replay arrived at, without reporting the replay', async () => {
  const path = harness.dir();
  const first = await harness.open({ path, aggregates: [account] });
  await first.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
  await first.send('account', 'a-1', { type: 'deposit', amount: 5 });
  await harness.close(first);
  const seen: RehydraInspectionEvent[] = [];
  const runtime = await harness.open({ path, aggregates: [account], inspect: (event) => seen.push(event) });
  expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 2 });
  expect(seen.map(summary)).toEqual([
    { type: '@xstate.actor', rootId: 'account/a-1', sessionId: 'account/a-1' },
    { type: '@xstate.event', rootId: 'account/a-1', sessionId: 'account/a-1', event: { type: 'xstate.init' }, sourceRef: undefined },
    { type: '@xstate.snapshot', rootId: 'account/a-1', sessionId: 'account/a-1', event: 'xstate.init', value: 'open', context: { balance: 15, owner: 'ann' } },
  ]);
});

it('refuses an inspect option that is not a function, naming it', async () => {
  await expect(harness.open({ path: harness.dir(), aggregates: [account], inspect: 'yes' as never })).rejects.toThrow('options.inspect must be a function (got string)');
});

// The guide's "Changing a machine safely" section as one program that CI builds and runs
// (test/docs/guide.int.test.ts): streams written by today's account, an edit that strands one of
// them, checkStreams catching it, and the upcaster that makes the check pass. It writes to a fresh
// temp directory per run and removes it at the end, so it reruns from anywhere.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, setup } from 'xstate';
import { checkStreams, createRuntime, defineAggregate } from 'rehydra';
import { account } from '../quickstart/account.js';

const path = mkdtempSync(join(tmpdir(), 'rehydra-check-')); // fresh per run; in production, the service's data directory
const runtime = await createRuntime({ path, aggregates: [account] });
await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
await runtime.send('account', 'a-1', { type: 'withdraw', amount: 30 });
await runtime.send('account', 'a-2', { type: 'open', owner: 'bob', initial: 5 });
await runtime.close();

// The edit: withdrawals are now called debits.
type AccountEvent =
  | { type: 'AccountOpened'; owner: string; initial: number }
  | { type: 'MoneyDeposited'; amount: number }
  | { type: 'MoneyDebited'; amount: number };

const machine = setup({ types: { context: {} as { balance: number }, events: {} as AccountEvent } }).createMachine({
  initial: 'closed',
  context: { balance: 0 },
  states: {
    closed: { on: { AccountOpened: { target: 'open', actions: assign({ balance: ({ event }) => event.initial }) } } },
    open: {
      on: {
        MoneyDeposited: { actions: assign({ balance: ({ context, event }) => context.balance + event.amount }) },
        MoneyDebited: { actions: assign({ balance: ({ context, event }) => context.balance - event.amount }) },
      },
    },
  },
});

const commands = {
  open: (cmd: { owner: string; initial: number }): AccountEvent => ({ type: 'AccountOpened', owner: cmd.owner, initial: cmd.initial }),
  deposit: (cmd: { amount: number }): AccountEvent => ({ type: 'MoneyDeposited', amount: cmd.amount }),
  withdraw: (cmd: { amount: number }): AccountEvent => ({ type: 'MoneyDebited', amount: cmd.amount }),
};

const edited = defineAggregate({ type: 'account', machine, commands });
const report = await checkStreams({ path, aggregates: [edited] });
// report: { streams: 2, failed: [{ aggregateType, aggregateId, version, eventType, state, error }],
//           staleSnapshots: 0, unknownStates: [], unchecked: [] }
for (const { aggregateType, aggregateId, version, eventType, state } of report.failed) {
  console.log(`stranded: ${aggregateType}/${aggregateId} at version ${version}: ${eventType} in ${JSON.stringify(state)}`);
}

const fixed = defineAggregate({
  type: 'account', machine, commands,
  upcasters: { MoneyWithdrawn: (event) => ({ type: 'MoneyDebited', data: event.data }) }, // stored events keep their old type
});
const again = await checkStreams({ path, aggregates: [fixed] });
console.log(`checked ${again.streams} streams, ${again.failed.length} failed`);
rmSync(path, { recursive: true });

// The peer: the same bank workload through Emmett's decider command handler on its in-memory
// event store (read stream → fold → decide → append with the read version as expected version).
// Concurrent commands on one stream conflict optimistically and are retried at once by Emmett's
// own retry option, as a user would configure it; a conflict-free in-memory store is its best case.
import {
  DeciderCommandHandler, getInMemoryEventStore, isExpectedVersionConflictError, type Command, type Event,
} from '@event-driven-io/emmett';
import { OPENING_BALANCE, createBankWorkload, type BankWorkload } from './bank-workload.js';
import { createLatencyRecorder } from './latency.js';
import { runPipelined } from './pipeline.js';
import type { Scenario } from './scenario.js';

const ACCOUNTS = 10_000;
const INFLIGHT = 1_000;
/** The same seed as commands.10k: these are the first commands of its workload. */
const SEED = 5;

export type AccountEvent =
  | Event<'AccountOpened', { owner: string; initial: number }>
  | Event<'MoneyDeposited', { amount: number }>
  | Event<'MoneyWithdrawn', { amount: number }>;

export type AccountCommand =
  | Command<'OpenAccount', { owner: string; initial: number }>
  | Command<'DepositMoney', { amount: number }>
  | Command<'WithdrawMoney', { amount: number }>;

export interface Account {
  readonly open: boolean;
  readonly balance: number;
}

/** The domain's refusal, told apart from Emmett's own errors by class. */
export class InsufficientFundsError extends Error {}

function decide(command: AccountCommand, state: Account): AccountEvent {
  switch (command.type) {
    case 'OpenAccount':
      if (state.open) throw new Error('account already open');
      return { type: 'AccountOpened', data: command.data };
    case 'DepositMoney':
      if (!state.open) throw new Error('account not open');
      return { type: 'MoneyDeposited', data: command.data };
    case 'WithdrawMoney':
      if (!state.open) throw new Error('account not open');
      if (state.balance < command.data.amount) throw new InsufficientFundsError('insufficient funds');
      return { type: 'MoneyWithdrawn', data: command.data };
  }
}

function evolve(state: Account, event: AccountEvent): Account {
  switch (event.type) {
    case 'AccountOpened':
      return { open: true, balance: event.data.initial };
    case 'MoneyDeposited':
      return { open: state.open, balance: state.balance + event.data.amount };
    case 'MoneyWithdrawn':
      return { open: state.open, balance: state.balance - event.data.amount };
  }
}

/** Conflicts retried and withdrawals refused, for the progress line. */
export interface PeerCounts {
  conflicts: number;
  refused: number;
}

/** Emmett's decider command handler for the account, retrying version conflicts at once. */
export function accountHandler(counts: PeerCounts) {
  return DeciderCommandHandler<Account, AccountCommand, AccountEvent>({
    decide,
    evolve,
    initialState: () => ({ open: false, balance: 0 }),
    retry: {
      // Emmett's default back-off (100 ms and up) would measure the back-off, not the store.
      onVersionConflict: {
        retries: 50,
        minTimeout: 0,
        maxTimeout: 0,
        shouldRetryError: (error) => isExpectedVersionConflictError(error) && ++counts.conflicts > 0,
      },
    },
  });
}

/** Workload command `i` in Emmett's shape (`{ type, data }`). */
export function emmettCommand(workload: BankWorkload, i: number): AccountCommand {
  const amount = workload.amount[i]!;
  return workload.withdrawal[i] === 1 ? { type: 'WithdrawMoney', data: { amount } } : { type: 'DepositMoney', data: { amount } };
}

const peer: Scenario = {
  key: 'peer.emmett.memory',
  title: "the bank workload through Emmett's DeciderCommandHandler on getInMemoryEventStore()",
  settings:
    '@event-driven-io/emmett DeciderCommandHandler + getInMemoryEventStore (no disk); 10,000 accounts opened first, 1,000 in flight, ' +
    'version conflicts retried at once (retries 50, minTimeout 0); the first 20,000 commands of the commands.10k workload',
  rounds: 3,
  run: async (context) => {
    const n = context.quick ? 5_000 : 20_000;
    const workload = createBankWorkload({ accounts: ACCOUNTS, commands: n, seed: SEED });
    const counts: PeerCounts = { conflicts: 0, refused: 0 };
    const handle = accountHandler(counts);
    const store = getInMemoryEventStore();
    await runPipelined({
      n: ACCOUNTS,
      inflight: INFLIGHT,
      issue: (i) => handle(store, workload.ids[i]!, { type: 'OpenAccount', data: { owner: `owner-${i}`, initial: OPENING_BALANCE } }),
    });
    context.progress(`${ACCOUNTS.toLocaleString('en-US')} accounts open; timing ${n.toLocaleString('en-US')} commands, ${INFLIGHT} in flight`);
    counts.conflicts = 0;
    const latency = createLatencyRecorder();
    const issue = (i: number): Promise<void> =>
      handle(store, workload.ids[workload.account[i]!]!, emmettCommand(workload, i)).then(
        () => undefined,
        (error: unknown) => {
          if (!(error instanceof InsufficientFundsError)) throw error;
          counts.refused++;
        },
      );
    const { perSec } = await runPipelined({ n, inflight: INFLIGHT, latency, issue });
    context.progress(
      `${Math.round(perSec).toLocaleString('en-US')}/s; ${counts.refused.toLocaleString('en-US')} refused (insufficient funds), ` +
        `${counts.conflicts.toLocaleString('en-US')} version conflicts retried; p50 ${latency.percentileMs(50).toFixed(2)} ms`,
    );
    return { perSec, p99Ms: latency.percentileMs(99), n };
  },
};

export const scenarios: readonly Scenario[] = [peer];

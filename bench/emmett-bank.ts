// The bank workload through Emmett's decider command handler, on whichever Emmett event store a
// peer scenario hands it (read stream → fold → decide → append with the read version as expected
// version). Concurrent commands on one stream conflict optimistically and are retried at once by
// Emmett's own retry option, as a user would configure it. Counted as rehydra is: accepted
// commands per second, withdrawals refused for insufficient funds reported apart.
import {
  DeciderCommandHandler, isExpectedVersionConflictError, type Command, type Event, type EventStore,
} from '@event-driven-io/emmett';
// The same refusal as rehydra's fixture (no stack trace), told apart from Emmett's own errors by class.
import { InsufficientFundsError } from '../fixtures/insufficient-funds-error.js';
import { OPENING_BALANCE, acceptedPerSec, memoOf, type BankWorkload } from './bank-workload.js';
import { createLatencyRecorder } from './latency.js';
import { runPipelined } from './pipeline.js';

type AccountEvent =
  | Event<'AccountOpened', { owner: string; initial: number }>
  | Event<'MoneyDeposited', { amount: number; memo: string }>
  | Event<'MoneyWithdrawn', { amount: number; memo: string }>;

type AccountCommand =
  | Command<'OpenAccount', { owner: string; initial: number }>
  | Command<'DepositMoney', { amount: number; memo: string }>
  | Command<'WithdrawMoney', { amount: number; memo: string }>;

interface Account {
  readonly open: boolean;
  readonly balance: number;
}

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
      if (state.balance < command.data.amount) throw new InsufficientFundsError();
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

/** Conflicts retried and withdrawals refused, for the figures and the progress line. */
interface PeerCounts {
  accepted: number;
  refused: number;
  conflicts: number;
}

/** Emmett's decider command handler for the account, retrying version conflicts at once. */
function accountHandler(counts: PeerCounts) {
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

/** Workload command `i` in Emmett's shape (`{ type, data }`), with the same memo as rehydra's. */
function emmettCommand(workload: BankWorkload, i: number): AccountCommand {
  const data = { amount: workload.amount[i]!, memo: memoOf(i) };
  return workload.withdrawal[i] === 1 ? { type: 'WithdrawMoney', data } : { type: 'DepositMoney', data };
}

/** How one Emmett run is driven. */
export interface EmmettBankRun {
  readonly store: EventStore;
  readonly workload: BankWorkload;
  /** Commands outstanding at once, for the opens and the timed commands alike. */
  readonly inflight: number;
  progress(message: string): void;
}

/** What one Emmett run measured. */
export interface EmmettBankMeasurement {
  /** Accepted commands per second. */
  readonly perSec: number;
  readonly refused: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** An Emmett bank whose accounts are open: `issue(i)` sends workload command `i`, counted in `counts`. */
export interface EmmettBank {
  readonly counts: PeerCounts;
  issue(i: number): Promise<void>;
}

/**
 * Opens every account of the workload on `store` through Emmett's handler, `inflight` at once, and
 * returns how to send its deposits and withdrawals (a refusal for insufficient funds is counted, not thrown).
 */
export async function openEmmettBank(store: EventStore, workload: BankWorkload, inflight: number): Promise<EmmettBank> {
  const counts: PeerCounts = { accepted: 0, refused: 0, conflicts: 0 };
  const handle = accountHandler(counts);
  await runPipelined({
    n: workload.ids.length,
    inflight,
    issue: (i) => handle(store, workload.ids[i]!, { type: 'OpenAccount', data: { owner: `owner-${i}`, initial: OPENING_BALANCE } }),
  });
  const issue = (i: number): Promise<void> =>
    handle(store, workload.ids[workload.account[i]!]!, emmettCommand(workload, i)).then(
      () => void counts.accepted++,
      (error: unknown) => {
        if (!(error instanceof InsufficientFundsError)) throw error;
        counts.refused++;
      },
    );
  return { counts, issue };
}

/** Opens every account of the workload (untimed), then times all its deposits and withdrawals. */
export async function measureEmmettBank(run: EmmettBankRun): Promise<EmmettBankMeasurement> {
  const { store, workload, inflight } = run;
  const { counts, issue } = await openEmmettBank(store, workload, inflight);
  const accounts = workload.ids.length;
  run.progress(`${accounts.toLocaleString('en-US')} accounts open; timing ${workload.size.toLocaleString('en-US')} commands, ${inflight} in flight`);
  counts.conflicts = 0;
  const latency = createLatencyRecorder();
  const { elapsedMs } = await runPipelined({ n: workload.size, inflight, latency, issue });
  const perSec = acceptedPerSec(counts.accepted, elapsedMs);
  run.progress(
    `${Math.round(perSec).toLocaleString('en-US')} accepted/s; ${counts.accepted.toLocaleString('en-US')} accepted, ` +
      `${counts.refused.toLocaleString('en-US')} refused (insufficient funds), ${counts.conflicts.toLocaleString('en-US')} version conflicts retried; ` +
      `p50 ${latency.percentileMs(50).toFixed(2)} ms`,
  );
  return { perSec, refused: counts.refused, p50Ms: latency.percentileMs(50), p99Ms: latency.percentileMs(99) };
}

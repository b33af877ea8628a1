// The bank workload every command scenario runs, rehydra and peer alike (issue 5): accounts
// opened first, then deposits and withdrawals spread uniformly at random over them, drawn from a
// seeded PRNG so every system and every round sees the same commands in the same order.
import { pick, seededRandom } from '../fixtures/seeded-random.js';

/** Balance each account is opened with. */
export const OPENING_BALANCE = 100;
/** Deposits and withdrawals draw their amount uniformly from 1..MAX_AMOUNT. */
const MAX_AMOUNT = 100;

/** A command of the workload, in rehydra's shape (`{ type, ...args }`). */
export type BankCommand =
  | { readonly type: 'open'; readonly owner: string; readonly initial: number }
  | { readonly type: 'deposit'; readonly amount: number }
  | { readonly type: 'withdraw'; readonly amount: number };

/** The commands after the opens, as columns: account index, amount, and deposit or withdrawal. */
export interface BankWorkload {
  /** Aggregate ids, `<prefix>-<i>`; index i is account i. */
  readonly ids: readonly string[];
  /** Number of deposit/withdraw commands. */
  readonly size: number;
  readonly account: Uint32Array;
  readonly amount: Uint16Array;
  readonly withdrawal: Uint8Array;
}

/** Options of `createBankWorkload`. */
export interface BankWorkloadOptions {
  readonly accounts: number;
  readonly commands: number;
  readonly seed: number;
  /** @default 'a' */
  readonly prefix?: string;
}

/** Draws the whole workload up front, so no random number is drawn inside a timed run. */
export function createBankWorkload(options: BankWorkloadOptions): BankWorkload {
  const { accounts, commands, seed, prefix = 'a' } = options;
  const random = seededRandom(seed);
  const account = new Uint32Array(commands);
  const amount = new Uint16Array(commands);
  const withdrawal = new Uint8Array(commands);
  for (let i = 0; i < commands; i++) {
    account[i] = pick(random, accounts);
    amount[i] = 1 + pick(random, MAX_AMOUNT);
    withdrawal[i] = random() < 0.5 ? 1 : 0;
  }
  const ids = Array.from({ length: accounts }, (_, i) => `${prefix}-${i}`);
  return { ids, size: commands, account, amount, withdrawal };
}

/** The command that opens account `i`. */
export function openCommand(i: number): BankCommand {
  return { type: 'open', owner: `owner-${i}`, initial: OPENING_BALANCE };
}

/** Command `i` of the workload (built when issued, as a server would parse a request). */
export function bankCommand(workload: BankWorkload, i: number): BankCommand {
  const amount = workload.amount[i]!;
  return workload.withdrawal[i] === 1 ? { type: 'withdraw', amount } : { type: 'deposit', amount };
}

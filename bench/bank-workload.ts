// The bank workload every command scenario runs, rehydra and peer alike (issue 5): accounts
// opened first, then deposits and withdrawals spread uniformly at random over them, drawn from a
// seeded PRNG so every system and every round sees the same commands in the same order. Each
// deposit and withdrawal carries a payment memo so that its event is ~100 bytes once encoded, the
// event size every target of DESIGN.md assumes; throughput counts accepted commands only.
import { randomUUID } from 'node:crypto';
import { pick, seededRandom } from '../fixtures/seeded-random.js';
import { createEventCodec } from '../storage/codec.js';

/** Commands commands.10k times per round, and so does Emmett's in-memory peer (a tenth in --quick). */
export const BANK_COMMANDS = 200_000;

/** Balance each account is opened with. */
export const OPENING_BALANCE = 100;
/** Deposits and withdrawals draw their amount uniformly from 1..MAX_AMOUNT. */
const MAX_AMOUNT = 100;

/** A command of the workload, in rehydra's shape (`{ type, ...args }`). */
export type BankCommand =
  | { readonly type: 'open'; readonly owner: string; readonly initial: number }
  | { readonly type: 'deposit'; readonly amount: number; readonly memo: string }
  | { readonly type: 'withdraw'; readonly amount: number; readonly memo: string };

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

/**
 * The payment memo of command `i`: 42 characters, which bring a deposit's or withdrawal's event to
 * ~100 bytes as stored (see eventBytes), varied per command as real references are.
 */
export function memoOf(i: number): string {
  return `transfer ${String(i).padStart(9, '0')} monthly invoice settled`;
}

/** Command `i` of the workload (built when issued, as a server would parse a request). */
export function bankCommand(workload: BankWorkload, i: number): BankCommand {
  const amount = workload.amount[i]!;
  const memo = memoOf(i);
  return workload.withdrawal[i] === 1 ? { type: 'withdraw', amount, memo } : { type: 'deposit', amount, memo };
}

/** Characters of a UUID's text: every commandId of the workload is one. */
const UUID_CHARS = 36;

/**
 * `count` random UUIDs, drawn up front like the rest of the workload, as the bytes a request
 * carries them in (one after the other, latin1): the commandIds a run sends, in order.
 */
export function createCommandIds(count: number): Buffer {
  const bytes = Buffer.allocUnsafe(count * UUID_CHARS);
  for (let i = 0; i < count; i++) bytes.write(randomUUID(), i * UUID_CHARS, 'latin1');
  return bytes;
}

/**
 * CommandId `i` of `ids`: a new string each call, read from the bytes as a server reads the id
 * from a request. Not randomUUID() at send time: generating ids is the client's work, and Node's
 * randomUUID builds its text from 20 concatenated pieces, which cost the runtime a flattening and
 * the collector 20 objects per id (~9% of the rate in issue 10's measurement, docs/benchmarks.md).
 */
export function commandIdOf(ids: Buffer, i: number): string {
  return ids.toString('latin1', i * UUID_CHARS, (i + 1) * UUID_CHARS);
}

/**
 * Throughput as DESIGN.md "Honest counting" defines it: accepted commands per second of the whole
 * run. A refusal persists nothing, so it is reported beside the rate (`refused`), never in it.
 */
export function acceptedPerSec(accepted: number, elapsedMs: number): number {
  return (accepted * 1000) / elapsedMs;
}

/** Events sampled by eventBytes. */
const SAMPLED = 1_000;

/**
 * The mean stored size in bytes of the workload's deposit and withdrawal events (the first 1,000),
 * encoded as the event log stores them (storage/codec.ts: header, checksum, msgpackr record),
 * at a version typical of the run.
 */
export function eventBytes(workload: BankWorkload): number {
  let structures: unknown[] = [];
  const codec = createEventCodec({ load: () => structures, save: (saved) => void (structures = saved) }, false);
  const sampled = Math.min(SAMPLED, workload.size);
  let bytes = 0;
  for (let i = 0; i < sampled; i++) {
    const { type, ...data } = bankCommand(workload, i);
    const event = { type: type === 'deposit' ? 'MoneyDeposited' : 'MoneyWithdrawn', data, metadata: { timestamp: Date.now() } };
    bytes += codec.encode({ aggregateType: 'account', aggregateId: workload.ids[workload.account[i]!]!, version: 21, ...event }, 200_000 + i).length;
  }
  return bytes / Math.max(1, sampled);
}

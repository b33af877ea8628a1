// The bank workload through rehydra's public API. A withdrawal refused for insufficient funds is
// a handled command (the handler decided; nothing is persisted), so it completes the operation;
// any rehydra error (mailbox full, persistence, concurrency...) fails the run instead.
import { RehydraError, type Runtime, type SendOptions } from '../runtime/index.js';
import { bankCommand, openCommand, type BankWorkload } from './bank-workload.js';
import type { LatencyRecorder } from './latency.js';
import { runPipelined, type PipelineResult } from './pipeline.js';

/** What the aggregates decided: commands accepted (one event each) and withdrawals refused. */
export interface BankTally {
  accepted: number;
  refused: number;
}

export function createTally(): BankTally {
  return { accepted: 0, refused: 0 };
}

/** The send options of each command: none, or a fresh commandId per command (as a client's retry key). */
export type BankSendOptions = () => SendOptions | undefined;

/** No options: commands without a commandId. */
export const NO_OPTIONS: BankSendOptions = () => undefined;

/** Sends workload command `i`; resolves once it is durable or refused by its handler. */
export function sendBankCommand(
  runtime: Runtime, type: string, workload: BankWorkload, i: number, tally: BankTally, options: BankSendOptions = NO_OPTIONS,
): Promise<void> {
  const command = bankCommand(workload, i);
  return runtime.send(type, workload.ids[workload.account[i]!]!, command, options()).then(
    () => void tally.accepted++,
    (error: unknown) => {
      // Only a withdrawal can be refused by the domain; anything else is a broken run.
      if (error instanceof RehydraError || command.type !== 'withdraw') throw error;
      tally.refused++;
    },
  );
}

/** Opens every account of the workload, `inflight` at a time (set-up, or timed by commands.open). */
export function openAccounts(
  runtime: Runtime, type: string, workload: BankWorkload, inflight: number, options: BankSendOptions = NO_OPTIONS, latency?: LatencyRecorder,
): Promise<PipelineResult> {
  return runPipelined({
    n: workload.ids.length,
    inflight,
    latency,
    issue: (i) => runtime.send(type, workload.ids[i]!, openCommand(i), options()),
  });
}

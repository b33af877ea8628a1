// A command ledger that has lived a while: `entries` retained commandIds of the workload's accounts
// already in the ledger's journal, as the default retention (the newest 1,000,000 ids) holds once
// a service has taken that many. The runtime then reads their fingerprints on open, trims one
// entry for each it adds, and probes a table of that size on every command: users count all that.
import { open } from 'lmdb';
import { randomUUID } from 'node:crypto';
import { encodeJournalValue, ledgerKey } from '../storage/ledger-keys.js';
import { eventsPath } from '../storage/lmdb-event-log.js';
import { createRuntime } from '../runtime/index.js';
import { account } from '../fixtures/bank-account.js';

/** Entries written per write transaction while filling. */
const CHUNK = 100_000;

/**
 * Makes `dir` a data directory (the runtime creates its layout) whose ledger journal holds
 * `entries` entries stamped now, spread over `ids` (filled fast; the runtime then finds them as if
 * written over time). The runtime is closed again: the scenario opens its own.
 */
export async function fillLedger(dir: string, ids: readonly string[], entries: number): Promise<void> {
  await (await createRuntime({ path: dir, aggregates: [account] })).close();
  const entry = { version: 1, position: 1, count: 1, time: Date.now() };
  const env = open({ path: eventsPath(dir), separateFlushed: true, maxDbs: 8, eventTurnBatching: false });
  try {
    const journal = env.openDB<Buffer, number>('ledger-journal', { encoding: 'binary' });
    for (let start = 0; start < entries; start += CHUNK) {
      env.transactionSync(() => {
        for (let i = start; i < Math.min(entries, start + CHUNK); i++) {
          void journal.put(i + 1, encodeJournalValue(entry, ledgerKey({ type: account.type, id: ids[i % ids.length]! }, randomUUID())));
        }
      });
    }
  } finally {
    await env.close();
  }
}

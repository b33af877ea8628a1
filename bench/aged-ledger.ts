// A command ledger that has lived a while: `entries` retained commandIds of the workload's accounts
// already in the ledger's journal, as the default retention (the newest 1,000,000 ids) holds once
// a service has taken that many. The runtime then reads their fingerprints on open, trims as many
// as it adds, and probes a table of that size on every command: users count all that. They are
// keyed entries (22 to a group), the larger kind: those of commands that appended no event, and
// those an earlier version wrote. A carried entry (23 bytes, the runtime's for a command with
// events) points at its command's last event, which a filled journal would have to write too.
import { open } from 'lmdb';
import { randomUUID } from 'node:crypto';
import { markGroupedJournal } from '../storage/ledger-index.js';
import { decodeJournalGroup, encodeJournalGroup, ledgerKeyBytes } from '../storage/ledger-keys.js';
import { eventsPath } from '../storage/lmdb-event-log.js';
import { createRuntime } from '../runtime/index.js';
import { account } from '../fixtures/bank-account.js';

/** Entries written per write transaction while filling. */
const CHUNK = 100_000;
/** Entries per journal group: as many as the runtime puts in one (a group fits in a page). */
const GROUP = 22;

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
    await env.transaction(() => markGroupedJournal(env.openDB('meta', { useVersions: true })));
    for (let start = 0; start < entries; start += CHUNK) {
      // A group ends with its chunk: a group crossing into the next chunk would share sequences with its first.
      const end = Math.min(entries, start + CHUNK);
      env.transactionSync(() => {
        for (let from = start; from < end; from += GROUP) {
          const group = Array.from({ length: Math.min(GROUP, end - from) }, (_, i) => ({
            entry, keyBytes: ledgerKeyBytes({ type: account.type, id: ids[(from + i) % ids.length]! }, randomUUID()),
          }));
          void journal.put(from + 1, encodeJournalGroup(group));
        }
      });
    }
  } finally {
    await env.close();
  }
  // A runtime's open must keep what was filled (once, it took a fill without the layout marker
  // for an earlier version's journal and migrated it away, and the scenario timed an empty ledger).
  await (await createRuntime({ path: dir, aggregates: [account] })).close();
  const kept = await journalEntries(dir);
  if (kept !== entries) throw new Error(`the aged ledger holds ${kept} of the ${entries} entries filled after a runtime opened it`);
}

/** How many entries the ledger journal of a closed data directory holds. */
async function journalEntries(dir: string): Promise<number> {
  const env = open({ path: eventsPath(dir), readOnly: true, maxDbs: 8 });
  try {
    let count = 0;
    for (const { value } of env.openDB<Buffer, number>('ledger-journal', { encoding: 'binary' }).getRange()) count += decodeJournalGroup(value)?.length ?? 0;
    return count;
  } finally {
    await env.close();
  }
}

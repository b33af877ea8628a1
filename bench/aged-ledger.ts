// A command ledger that has lived a while: `rows` retained commandIds of the workload's accounts
// already in the ledger table, as a service taking 23 ids a second has after a day (2,000,000).
// A young ledger (the one commands.10k.idempotent grows from empty) is cheap to write behind;
// what a round costs grows with the table it sorts its entries into, and users count that.
import { open } from 'lmdb';
import { randomUUID } from 'node:crypto';
import { encodeLedgerValue, ledgerKey } from '../storage/ledger-keys.js';
import { eventsPath } from '../storage/lmdb-event-log.js';
import { createRuntime } from '../runtime/index.js';
import { account } from '../fixtures/bank-account.js';

/** Rows written per write transaction while filling. */
const CHUNK = 100_000;

/**
 * Makes `dir` a data directory (the runtime creates its layout) whose ledger table holds `rows`
 * entries stamped now, spread over `ids`, in key order (filled fast; the runtime then finds
 * them as if written over time). The runtime is closed again: the scenario opens its own.
 */
export async function fillLedger(dir: string, ids: readonly string[], rows: number): Promise<void> {
  await (await createRuntime({ path: dir, aggregates: [account] })).close();
  const now = Date.now();
  const value = encodeLedgerValue({ version: 1, position: 1, count: 1, time: now });
  const keys = Array.from({ length: rows }, (_, i) => ledgerKey({ type: account.type, id: ids[i % ids.length]! }, randomUUID()));
  keys.sort(Buffer.compare);
  const env = open({ path: eventsPath(dir), separateFlushed: true, maxDbs: 8, eventTurnBatching: false });
  try {
    const table = env.openDB<Buffer, Buffer>('ledger', { encoding: 'binary', keyEncoding: 'binary' });
    for (let start = 0; start < rows; start += CHUNK) {
      env.transactionSync(() => {
        for (let i = start; i < Math.min(rows, start + CHUNK); i++) table.putSync(keys[i]!, value);
      });
    }
  } finally {
    await env.close();
  }
}

// How fast do projection workers catch up on the log? The bank workload is written first with
// the storage API (one event per append, 10,000 accounts); then a host whose workers are up is
// told the head and timed until `waitFor(head)` resolves, with 1 and with 2 workers (partitions).
import { defineProjection } from '../projections/define-projection.js';
import { startProjections } from '../projections/projection-pool.js';
import { openLmdbEventLog, type LmdbEventLog } from '../storage/lmdb-event-log.js';
import { balancesProjectionUrl, deposited, opened, withdrawn } from '../fixtures/bank-events.js';
import { OPENING_BALANCE, createBankWorkload } from './bank-workload.js';
import type { Figures, Scenario, ScenarioContext } from './scenario.js';

const ACCOUNTS = 10_000;
const SEED = 4;
/** Appends staged per tick while writing the log (set-up, untimed). */
const CHUNK = 10_000;

/** Writes `events` bank events: every account opened, then seeded deposits and withdrawals. */
async function writeBankLog(log: LmdbEventLog, events: number): Promise<void> {
  const workload = createBankWorkload({ accounts: ACCOUNTS, commands: events - ACCOUNTS, seed: SEED });
  const eventAt = (i: number) => {
    if (i < ACCOUNTS) return { id: workload.ids[i]!, event: opened(`owner-${i}`, OPENING_BALANCE) };
    const c = i - ACCOUNTS;
    const amount = workload.amount[c]!;
    return { id: workload.ids[workload.account[c]!]!, event: workload.withdrawal[c] === 1 ? withdrawn(amount) : deposited(amount) };
  };
  for (let start = 0; start < events; start += CHUNK) {
    const durable: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(events, start + CHUNK); i++) {
      const { id, event } = eventAt(i);
      const stream = { type: 'account', id };
      durable.push(log.stage({ stream, expectedVersion: log.streamVersion(stream), events: [event] }).durable);
    }
    await Promise.all(durable);
  }
}

/** Catch-up throughput of the balances projection with `workers` workers and as many partitions. */
export async function measureProjectionCatchUp(dir: string, events: number, workers: number): Promise<Figures> {
  const log = openLmdbEventLog({ path: dir });
  try {
    await writeBankLog(log, events);
    const head = log.headPosition();
    // The host is told head 1 first and warms up on it (threads, handler module, environments),
    // so that only the catch-up over the rest of the log is timed.
    let published = 1;
    const host = await startProjections({
      path: dir,
      workers,
      projections: [defineProjection({ name: 'balances', module: balancesProjectionUrl(), partitions: workers })],
      headPosition: () => published,
    });
    try {
      const balances = host.projection('balances');
      await balances.waitFor(1, { timeoutMs: Infinity });
      const started = performance.now();
      published = head;
      host.notify(head);
      await balances.waitFor(head, { timeoutMs: Infinity });
      return { perSec: ((head - 1) * 1_000) / (performance.now() - started), n: head - 1 };
    } finally {
      await host.close();
    }
  } finally {
    await log.close();
  }
}

function catchUp(workers: number): Scenario {
  return {
    key: `projections.${workers}w`,
    title: `balances projection catching up on the log with ${workers} worker${workers > 1 ? 's' : ''} (events/s)`,
    rounds: 3,
    settings: `${workers} worker thread(s), partitions: ${workers}; ${ACCOUNTS.toLocaleString('en-US')} accounts; log written first, workers warmed on event 1, then timed from notify(head) to waitFor(head); views env noMetaSync (one fsync per batch)`,
    figures: { perSec: workers === 2 ? { targets: [{ op: '>=', value: 300_000 }] } : {} },
    run: (context: ScenarioContext) => measureProjectionCatchUp(context.dir, context.quick ? 20_000 : 200_000, workers),
  };
}

/** One worker, then two. */
export const scenarios: readonly Scenario[] = [catchUp(1), catchUp(2)];

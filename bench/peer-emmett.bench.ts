// The peers: the same bank workload through Emmett's DeciderCommandHandler (bench/emmett-bank.ts),
// on its in-memory event store and, where a PostgreSQL server is reachable, on its PostgreSQL
// event store in a throw-away database. commands.10k's ratios to both are DESIGN.md's peer
// targets (≥ 10× in memory, ≥ 50× on PostgreSQL).
import { getInMemoryEventStore } from '@event-driven-io/emmett';
import { getPostgreSQLEventStore } from '@event-driven-io/emmett-postgresql';
import { BANK_COMMANDS, createBankWorkload } from './bank-workload.js';
import { measureEmmettBank, type EmmettBankMeasurement } from './emmett-bank.js';
import { createTempDatabase } from './postgres-database.js';
import type { Figures, Scenario } from './scenario.js';

const ACCOUNTS = 10_000;
const INFLIGHT = 1_000;
/** The same seed as commands.10k: the same commands in the same order. */
const SEED = 5;
/** Commands the PostgreSQL peer times: ~1k/s allows no more in a bench run (a tenth in --quick). */
const POSTGRES_COMMANDS = 20_000;
/** Accounts of the PostgreSQL peer under --quick: opening 10,000 alone takes ~15 s there. */
const POSTGRES_QUICK_ACCOUNTS = 1_000;
const POSTGRES = 'peer.emmett.postgresql';

function figuresOf(measured: EmmettBankMeasurement, n: number): Figures {
  const { perSec, refused, p50Ms, p99Ms } = measured;
  return { perSec, refused, p50Ms, p99Ms, n };
}

const memory: Scenario = {
  key: 'peer.emmett.memory',
  title: "the bank workload through Emmett's DeciderCommandHandler on getInMemoryEventStore()",
  settings:
    '@event-driven-io/emmett 0.42 DeciderCommandHandler + getInMemoryEventStore (no disk); 10,000 accounts opened first, 1,000 in flight, ' +
    'version conflicts retried at once (retries 50, minTimeout 0); the same commands as commands.10k. Its store recounts every stream ' +
    'on each append (the global position is the sum of all 10,000 streams\' lengths) and copies the stream\'s array: a per-append cost ' +
    'that grows with the number of streams, which its PostgreSQL store does not pay (a sequence gives the position)',
  rounds: 3,
  run: async (context) => {
    const n = context.quick ? BANK_COMMANDS / 10 : BANK_COMMANDS;
    const workload = createBankWorkload({ accounts: ACCOUNTS, commands: n, seed: SEED });
    return figuresOf(await measureEmmettBank({ store: getInMemoryEventStore(), workload, inflight: INFLIGHT, progress: context.progress }), n);
  },
};

const postgresql: Scenario = {
  key: POSTGRES,
  title: "the bank workload through Emmett's DeciderCommandHandler on getPostgreSQLEventStore() (skipped without a server)",
  settings:
    '@event-driven-io/emmett-postgresql 0.42 with its default pooled connections, schema migrated before the run, in a database created for ' +
    'the run and dropped after it (PostgreSQL at 127.0.0.1:5432, or REHYDRA_BENCH_PG); 10,000 accounts opened first, 1,000 in flight, ' +
    'conflicts retried at once; the first 20,000 commands of commands.10k (--quick: 2,000 commands on 1,000 accounts): shorter streams ' +
    'than commands.10k, which favours Emmett (it reads the whole stream on every command)',
  run: async (context) => {
    const n = context.quick ? POSTGRES_COMMANDS / 10 : POSTGRES_COMMANDS;
    const accounts = context.quick ? POSTGRES_QUICK_ACCOUNTS : ACCOUNTS;
    const workload = createBankWorkload({ accounts, commands: n, seed: SEED });
    const database = await createTempDatabase(POSTGRES);
    try {
      const store = getPostgreSQLEventStore(database.connectionString);
      try {
        // Untimed, and first: left to the first appends, 1,000 concurrent migrations exhaust the
        // pool and wait on each other for good.
        await store.schema.migrate();
        return figuresOf(await measureEmmettBank({ store, workload, inflight: INFLIGHT, progress: context.progress }), n);
      } finally {
        await store.close();
      }
    } finally {
      await database.drop();
    }
  },
};

export const scenarios: readonly Scenario[] = [memory, postgresql];

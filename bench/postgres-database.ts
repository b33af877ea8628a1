// A throw-away PostgreSQL database for a peer scenario: created on the local server (the project's
// machines run one at 127.0.0.1:5432, trust auth, user postgres) and dropped after the run, so no
// run sees another's streams. Where no server answers within a second the scenario is skipped
// (ScenarioSkipped), never failed: CI and laptops need not run PostgreSQL.
import pg from 'pg';
import { ScenarioSkipped } from './scenario.js';

/** The server the PostgreSQL peer uses; REHYDRA_BENCH_PG (a connection string to its admin database) overrides it. */
const SERVER = process.env.REHYDRA_BENCH_PG ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const CONNECT_TIMEOUT_MS = 1_000;
/** How long a drop waits for the peer's idle pooled connections to close (pg closes them after 10 s). */
const DROP_WAIT_MS = 30_000;
/** PostgreSQL's object_in_use: the database still has sessions. */
const OBJECT_IN_USE = '55006';

/** A fresh database and how to remove it. */
export interface TempDatabase {
  /** Connection string of the new database. */
  readonly connectionString: string;
  /** Drops the database, closing whatever connections are still open on it. */
  drop(): Promise<void>;
}

async function adminClient(scenario: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: SERVER, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
  } catch (error) {
    const server = new URL(SERVER).host;
    throw new ScenarioSkipped(scenario, `no PostgreSQL server at ${server} (${(error as Error).message}); set REHYDRA_BENCH_PG to use another`);
  }
  return client;
}

/** Creates a database named after the scenario and this process, or skips the scenario when no server answers. */
export async function createTempDatabase(scenario: string): Promise<TempDatabase> {
  const name = `rehydra_bench_${scenario.replace(/\W/g, '_')}_${process.pid}_${Date.now()}`;
  const admin = await adminClient(scenario);
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(SERVER);
  url.pathname = `/${name}`;
  return {
    connectionString: url.toString(),
    drop: async () => {
      const client = await adminClient(scenario);
      try {
        // Not WITH (FORCE): terminating a connection that a pool of the peer still holds (idle,
        // after its store closed) makes that pool emit 'error' with no listener, which ends the
        // process. Idle pooled connections close by themselves (pg's idleTimeoutMillis, 10 s).
        const until = Date.now() + DROP_WAIT_MS;
        for (;;) {
          try {
            await client.query(`DROP DATABASE IF EXISTS ${name}`);
            return;
          } catch (error) {
            if ((error as { code?: unknown }).code !== OBJECT_IN_USE || Date.now() > until) throw error;
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}

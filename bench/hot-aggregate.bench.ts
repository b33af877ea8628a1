// Does pipelining lift one aggregate above one command per fsync? Every command goes to the same
// account, 1,000 in flight, durable: the actor must decide and apply the next commands while
// earlier batches are being flushed, or it is capped at one command per fsync (a few thousand/s).
// The rate counts accepted commands; the withdrawals refused for insufficient funds are reported apart.
import { createRuntime } from '../runtime/index.js';
import { account } from '../fixtures/bank-account.js';
import { acceptedPerSec, createBankWorkload } from './bank-workload.js';
import { createLatencyRecorder } from './latency.js';
import { runPipelined } from './pipeline.js';
import { createTally, openAccounts, sendBankCommand } from './rehydra-bank.js';
import type { Scenario } from './scenario.js';

const INFLIGHT = 1_000;
const SEED = 11;

const hot: Scenario = {
  key: 'commands.hot',
  title: 'one aggregate, bank commands pipelined 1,000 in flight, durable',
  rounds: 3,
  settings: "durability 'sync', runtime defaults (mailboxCapacity 1,024 > 1,000 in flight; snapshotEvery 100); one account opened first (untimed)",
  // Issue 13's target (DESIGN's floor is 30,000/s).
  figures: { perSec: { targets: [{ op: '>=', value: 100_000 }] } },
  run: async (context) => {
    const n = context.quick ? 5_000 : 20_000;
    const workload = createBankWorkload({ accounts: 1, commands: n, seed: SEED, prefix: 'hot' });
    const runtime = await createRuntime({ path: context.dir, aggregates: [account] });
    try {
      await openAccounts(runtime, account.type, workload, 1);
      const tally = createTally();
      const latency = createLatencyRecorder();
      const before = runtime.metrics();
      const { elapsedMs } = await runPipelined({
        n, inflight: INFLIGHT, latency, issue: (i) => sendBankCommand(runtime, account.type, workload, i, tally),
      });
      const after = runtime.metrics();
      const commits = after.commits - before.commits;
      const perSec = acceptedPerSec(tally.accepted, elapsedMs);
      context.progress(
        `${Math.round(perSec).toLocaleString('en-US')} accepted/s; ${tally.accepted.toLocaleString('en-US')} accepted, ${tally.refused.toLocaleString('en-US')} refused; ` +
          `${commits} commits (${(n / Math.max(1, commits)).toFixed(0)} commands per fsync)`,
      );
      return { perSec, refused: tally.refused, p50Ms: latency.percentileMs(50), p99Ms: latency.percentileMs(99), n };
    } finally {
      await runtime.close();
    }
  },
};

export const scenarios: readonly Scenario[] = [hot];

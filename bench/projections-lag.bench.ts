// How far behind do live projections fall under a steady load, and how long after the load stops
// are they caught up? Two projections (2 partitions each, on the default 2 workers) follow the
// runtime while bank commands arrive at a fixed rate; the figure is the time from the last
// command's durable ack to both projections having applied the head.
import { defineProjection } from '../projections/define-projection.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { account } from '../fixtures/bank-account.js';
import { balancesProjectionUrl } from '../fixtures/bank-events.js';
import { createBankWorkload } from './bank-workload.js';
import { runPaced } from './paced.js';
import { createTally, openAccounts, sendBankCommand } from './rehydra-bank.js';
import type { Figures, Scenario, ScenarioContext } from './scenario.js';

const ACCOUNTS = 10_000;
const SEED = 6;
const RATE = 20_000;
const DURATION_MS = 5_000;
const QUICK_DURATION_MS = 1_000;
const OPEN_INFLIGHT = 1_000;
const PROJECTIONS = ['balances', 'balances-copy'];

/** Resolves once every projection of the runtime has applied the durable head; the time it took (ms). */
async function timeToZeroLag(runtime: Runtime): Promise<number> {
  const started = performance.now();
  const head = runtime.metrics().headPosition;
  await Promise.all(PROJECTIONS.map((name) => runtime.projection(name).waitFor(head, { timeoutMs: Infinity })));
  return performance.now() - started;
}

async function measureLag(context: ScenarioContext): Promise<Figures> {
  const durationMs = context.quick ? QUICK_DURATION_MS : DURATION_MS;
  const workload = createBankWorkload({ accounts: ACCOUNTS, commands: (RATE * durationMs) / 1_000, seed: SEED });
  const projections = PROJECTIONS.map((name) => defineProjection({ name, module: balancesProjectionUrl(), partitions: 2 }));
  const runtime = await createRuntime({ path: context.dir, aggregates: [account], projections });
  try {
    await openAccounts(runtime, account.type, workload, OPEN_INFLIGHT);
    // The opens are set-up: the load starts with both projections caught up.
    await timeToZeroLag(runtime);
    const tally = createTally();
    const paced = await runPaced({
      rate: RATE,
      durationMs,
      issue: (i) => sendBankCommand(runtime, account.type, workload, i, tally),
    });
    const ms = await timeToZeroLag(runtime);
    context.progress(`${paced.n.toLocaleString('en-US')} commands issued at ${Math.round(paced.issuedPerSec).toLocaleString('en-US')}/s (${tally.refused.toLocaleString('en-US')} refused); lag 0 after ${ms.toFixed(0)} ms`);
    return { ms, n: paced.n };
  } finally {
    await runtime.close();
  }
}

const lag: Scenario = {
  key: 'projections.lag',
  title: `time from the last command of a ${RATE.toLocaleString('en-US')} commands/s load to both projections at lag 0 (ms)`,
  settings: `${RATE.toLocaleString('en-US')} commands/s paced for ${DURATION_MS / 1_000} s (${QUICK_DURATION_MS / 1_000} s in --quick) over ${ACCOUNTS.toLocaleString('en-US')} accounts; 2 balances projections × 2 partitions on the default 2 workers; durability sync; timed from the last command's ack to waitFor(head) on both`,
  figures: { ms: { targets: [{ op: '<=', value: 1_000 }] } },
  run: measureLag,
};

export const scenarios: readonly Scenario[] = [lag];

// How fast does a cold aggregate come back? `replay`: a 10,000-event stream with no snapshot,
// replayed through a started actor (against bare XState sends on one hot actor, same run);
// `rehydrate.full10k`: the same rehydration as a time, in --quick too.
// `rehydrate.snapshot`: a snapshot plus a 50-event tail, per aggregate. Both timed as the first
// `state()` of an aggregate after the runtime was closed and reopened (the OS page cache is warm).
import { createRuntime, defineAggregate, type Runtime } from '../runtime/index.js';
import { account, accountMachine, type AccountEvent } from '../fixtures/bank-account.js';
import { openCommand } from './bank-workload.js';
import { runPipelined } from './pipeline.js';
import { figureOf, type Scenario, type ScenarioContext } from './scenario.js';

/** Events per command when building streams: building is set-up, so it goes in large batches. */
const BATCH = 500;

/** The bank account without snapshots, so that a rehydration replays the whole stream. */
const unsnapshotted = defineAggregate({
  type: account.type,
  machine: accountMachine,
  commands: {
    open: (cmd: { owner: string; initial: number }) => ({ type: 'AccountOpened', owner: cmd.owner, initial: cmd.initial }),
    transferIn: (cmd: { amounts: number[] }) => cmd.amounts.map((amount): AccountEvent => ({ type: 'MoneyDeposited', amount })),
  },
  snapshotEvery: 0,
});

/** Opens account `id`, then deposits until it has `events` events; `cuts` end a command early. */
function buildStream(runtime: Runtime, id: string, events: number, cuts: readonly number[] = []): Promise<unknown> {
  const sends: Promise<unknown>[] = [runtime.send(account.type, id, openCommand(0))];
  for (let version = 1; version < events; ) {
    const stop = Math.min(events, version + BATCH, ...cuts.filter((cut) => cut > version));
    sends.push(runtime.send(account.type, id, { type: 'transferIn', amounts: new Array<number>(stop - version).fill(1) }));
    version = stop;
  }
  return Promise.all(sends);
}

/** Times the first `state()` of each aggregate on a freshly reopened runtime; checks the version. */
async function timeColdStates(runtime: Runtime, ids: readonly string[], version: number): Promise<number[]> {
  const times: number[] = [];
  for (const id of ids) {
    const start = performance.now();
    const state = await runtime.state(account.type, id);
    times.push(performance.now() - start);
    if (state.version !== version) throw new Error(`${account.type}/${id} rehydrated at version ${state.version}, expected ${version}`);
  }
  return times;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
}

/**
 * Builds `count` aggregates of `events` events with snapshots off, reopens the runtime, and times
 * the first state() of each: a cold rehydration that replays every event.
 */
async function coldFullReplays(context: ScenarioContext, count: number, events: number): Promise<number[]> {
  const ids = Array.from({ length: count }, (_, i) => `replay-${i}`);
  const writer = await createRuntime({ path: context.dir, aggregates: [unsnapshotted] });
  try {
    await Promise.all(ids.map((id) => buildStream(writer, id, events)));
  } finally {
    await writer.close();
  }
  const runtime = await createRuntime({ path: context.dir, aggregates: [unsnapshotted] });
  try {
    const times = await timeColdStates(runtime, ids, events);
    context.progress(`${ids.length} cold replays of ${events.toLocaleString('en-US')} events: ${times.map((t) => t.toFixed(1)).join(', ')} ms`);
    return times;
  } finally {
    await runtime.close();
  }
}

const replay: Scenario = {
  key: 'replay',
  title: 'cold rehydration of a 10,000-event aggregate without snapshots (events/s)',
  rounds: 3,
  settings: 'snapshotEvery: 0; 5 aggregates of 10,000 events (--quick: 3 of 2,000), 1 AccountOpened + MoneyDeposited; runtime reopened, first state() of each timed, median kept',
  figures: {
    perSec: {
      against: figureOf('raw.xstate.hot', 'perSec'),
      targets: [{ op: '>=', value: 0.8, of: figureOf('raw.xstate.hot', 'perSec') }],
    },
  },
  run: async (context) => {
    const events = context.quick ? 2_000 : 10_000;
    const ms = median(await coldFullReplays(context, context.quick ? 3 : 5, events));
    return { perSec: (events * 1_000) / ms, n: events };
  },
};

const full10k: Scenario = {
  key: 'rehydrate.full10k',
  title: 'cold rehydration of one 10,000-event aggregate without snapshots (ms)',
  rounds: 3,
  settings: 'snapshotEvery: 0; 5 aggregates of 10,000 events (--quick: 3, still of 10,000), 1 AccountOpened + MoneyDeposited; runtime reopened, first state() of each timed, median kept',
  figures: { ms: { targets: [{ op: '<=', value: 20 }] } },
  run: async (context) => ({ ms: median(await coldFullReplays(context, context.quick ? 3 : 5, 10_000)), n: 10_000 }),
};

/** Waits (polling metrics) until the runtime has written `count` snapshots; they are written behind the acks. */
async function snapshotsWritten(runtime: Runtime, count: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (runtime.metrics().snapshotsWritten < count) {
    if (performance.now() > deadline) throw new Error(`only ${runtime.metrics().snapshotsWritten} of ${count} snapshots written after 30 s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const fromSnapshot: Scenario = {
  key: 'rehydrate.snapshot',
  title: 'cold rehydration from a snapshot plus a 50-event tail (ms per aggregate)',
  rounds: 3,
  settings: 'bank account, snapshotEvery 100; 1,000 aggregates (--quick: 200) of 150 events, snapshot at 100; runtime reopened, first state() of each timed in turn, mean kept',
  figures: { ms: { targets: [{ op: '<=', value: 0.25 }] } },
  run: async (context) => {
    const ids = Array.from({ length: context.quick ? 200 : 1_000 }, (_, i) => `snap-${i}`);
    const writer = await createRuntime({ path: context.dir, aggregates: [account] });
    try {
      await runPipelined({ n: ids.length, inflight: 100, issue: (i) => buildStream(writer, ids[i]!, 150, [account.snapshotEvery]) });
      await snapshotsWritten(writer, ids.length);
    } finally {
      await writer.close();
    }
    const runtime = await createRuntime({ path: context.dir, aggregates: [account] });
    try {
      const times = await timeColdStates(runtime, ids, 150);
      const ms = times.reduce((sum, t) => sum + t, 0) / times.length;
      context.progress(`${ids.length} cold rehydrations: mean ${ms.toFixed(3)} ms, median ${median(times).toFixed(3)} ms, max ${Math.max(...times).toFixed(2)} ms`);
      return { ms, n: ids.length };
    } finally {
      await runtime.close();
    }
  },
};

export const scenarios: readonly Scenario[] = [replay, full10k, fromSnapshot];

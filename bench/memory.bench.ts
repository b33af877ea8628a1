// What does an idle live actor cost in heap? 100,000 opened accounts are brought back to life by
// one state() each on a freshly opened runtime, and the heap (after a full GC) is read before and
// after. The ids are built inside the measured span: a live actor retains its id, so that counts.
import { createRuntime } from '../runtime/index.js';
import { account } from '../fixtures/bank-account.js';
import { openCommand } from './bank-workload.js';
import { readHeap, type HeapReading } from './heap.js';
import { runPipelined } from './pipeline.js';
import type { Scenario } from './scenario.js';

const INFLIGHT = 1_000;

function perActor(before: HeapReading, after: HeapReading, actors: number): number {
  return (after.used - before.used) / actors;
}

const memory: Scenario = {
  key: 'memory.actor',
  title: 'heap bytes per idle live actor (100,000 rehydrated accounts)',
  settings: 'maxActiveActors 200,000, idleTimeoutMs 0 (no passivation); each account opened (1 event), runtime reopened, one state() each; heapUsed after full GC',
  // Issue 13's target: a compiled aggregate needs no XState actor while idle (DESIGN's floor is 4 KiB).
  figures: { bytes: { targets: [{ op: '<=', value: 2_048 }] } },
  run: async (context) => {
    const actors = context.quick ? 10_000 : 100_000;
    const options = { path: context.dir, aggregates: [account], maxActiveActors: 2 * actors, idleTimeoutMs: 0 };
    const writer = await createRuntime(options);
    try {
      const empty = readHeap();
      await runPipelined({ n: actors, inflight: INFLIGHT, issue: (i) => writer.send(account.type, `m-${i}`, openCommand(i)) });
      const afterCommands = readHeap();
      // Not the figure: actors that just handled a command also hold on to that command's result.
      context.progress(`${actors.toLocaleString('en-US')} accounts opened; ${Math.round(perActor(empty, afterCommands, actors)).toLocaleString('en-US')} B per actor right after its command`);
    } finally {
      await writer.close();
    }
    const runtime = await createRuntime(options);
    try {
      const before = readHeap();
      await runPipelined({ n: actors, inflight: INFLIGHT, issue: (i) => runtime.state(account.type, `m-${i}`) });
      const after = readHeap();
      const live = runtime.metrics().liveActors;
      if (live !== actors) throw new Error(`${live} live actors after ${actors} state() calls: passivation ran during the measurement`);
      const bytes = perActor(before, after, actors);
      context.progress(`${Math.round(bytes).toLocaleString('en-US')} B per idle rehydrated actor${after.exact ? '' : ' (no GC available: approximate)'}`);
      return { bytes, n: actors };
    } finally {
      await runtime.close();
    }
  },
};

export const scenarios: readonly Scenario[] = [memory];

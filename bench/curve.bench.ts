// How do rate and latency trade off as more commands are in flight? The bank workload at 1, 4, 16,
// 64, 256 and 1,000 in flight, through rehydra (durable) and through the in-memory Emmett peer,
// the two systems alternating level by level so that the machine's noise lands on both.
import { getInMemoryEventStore } from '@event-driven-io/emmett';
import { account } from '../fixtures/bank-account.js';
import { createRuntime, type Runtime } from '../runtime/index.js';
import { acceptedPerSec, createBankWorkload, type BankWorkload } from './bank-workload.js';
import { openEmmettBank } from './emmett-bank.js';
import { createLatencyRecorder } from './latency.js';
import { runPipelined } from './pipeline.js';
import { createTally, openAccounts, sendBankCommand, type BankTally } from './rehydra-bank.js';
import type { CurvePoint, Scenario } from './scenario.js';

/** The in-flight levels of the curve, the same under --quick (only the sizes shrink). */
export const INFLIGHT_LEVELS: readonly number[] = [1, 4, 16, 64, 256, 1_000];
const SEED = 13;
const OPEN_INFLIGHT = 1_000;

/** Commands timed at one level: enough to fill the window many times, bounded for the deep ones. */
function commandsAt(inflight: number, quick: boolean): number {
  return quick ? Math.min(2_000, Math.max(100, inflight * 4)) : Math.min(20_000, Math.max(1_000, inflight * 20));
}

/** One system as the curve drives it: command `i` of the workload, resolved once handled; refusals counted apart. */
interface CurveSystem {
  readonly name: string;
  readonly tally: Pick<BankTally, 'accepted'>;
  issue(i: number): Promise<void>;
}

function rehydraSystem(runtime: Runtime, workload: BankWorkload): CurveSystem {
  const tally = createTally();
  return { name: 'rehydra', tally, issue: (i) => sendBankCommand(runtime, account.type, workload, i, tally) };
}

async function openEmmett(workload: BankWorkload): Promise<CurveSystem> {
  const { counts, issue } = await openEmmettBank(getInMemoryEventStore(), workload, OPEN_INFLIGHT);
  return { name: 'emmett (in-memory)', tally: counts, issue };
}

/** Times commands `offset .. offset + n` of the workload through `system` with `inflight` outstanding; accepted ones counted. */
async function measurePoint(system: CurveSystem, inflight: number, offset: number, n: number): Promise<CurvePoint> {
  const latency = createLatencyRecorder();
  const before = system.tally.accepted;
  const { elapsedMs } = await runPipelined({ n, inflight, latency, issue: (i) => system.issue(offset + i) });
  const perSec = acceptedPerSec(system.tally.accepted - before, elapsedMs);
  return { system: system.name, inflight, perSec, p50Ms: latency.percentileMs(50), p99Ms: latency.percentileMs(99) };
}

const curve: Scenario = {
  key: 'curve.inflight',
  title: 'latency against throughput at 1 to 1,000 commands in flight, rehydra and the in-memory Emmett peer',
  settings:
    "bank workload (commands.10k's shape); rehydra with createRuntime defaults (durability 'sync'), Emmett's DeciderCommandHandler on " +
    'getInMemoryEventStore as peer.emmett.memory; accounts opened first (untimed), then per level 20 commands per slot in flight ' +
    '(1,000 to 20,000), each level on fresh commands, levels in rising order on the same runtime and store',
  expectedSeconds: 25,
  run: async (context) => {
    const accounts = context.quick ? 1_000 : 10_000;
    const sizes = INFLIGHT_LEVELS.map((inflight) => commandsAt(inflight, context.quick));
    const workload = createBankWorkload({ accounts, commands: sizes.reduce((a, b) => a + b, 0), seed: SEED });
    const runtime = await createRuntime({ path: context.dir, aggregates: [account] });
    try {
      await openAccounts(runtime, account.type, workload, OPEN_INFLIGHT);
      const systems = [rehydraSystem(runtime, workload), await openEmmett(workload)];
      const points: CurvePoint[] = [];
      let offset = 0;
      for (const [level, inflight] of INFLIGHT_LEVELS.entries()) {
        const n = sizes[level]!;
        for (const system of systems) {
          const point = await measurePoint(system, inflight, offset, n);
          context.progress(`${system.name}, ${inflight} in flight: ${Math.round(point.perSec).toLocaleString('en-US')}/s, p50 ${point.p50Ms.toFixed(2)} ms, p99 ${point.p99Ms.toFixed(2)} ms`);
          points.push(point);
        }
        offset += n;
      }
      return { n: offset, curve: points };
    } finally {
      await runtime.close();
    }
  },
};

export const scenarios: readonly Scenario[] = [curve];

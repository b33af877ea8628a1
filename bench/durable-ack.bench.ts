// Which lmdb-js promise means durable? With `separateFlushed: true` a put's promise resolves at
// commit (visible to readers) and its `.flushed` after fsync. Measured alone (each put its own
// transaction) and under load (1,000 in flight): the gap is what an ack on the put promise skips.
import { open, type Database } from 'lmdb';
import { encodedDeposit } from './deposit-event.js';
import { createLatencyRecorder, type LatencyRecorder } from './latency.js';
import { flushedOf } from './lmdb-probes.js';
import { runPipelined } from './pipeline.js';
import type { Scenario, ScenarioContext } from './scenario.js';

const SETTINGS = 'separateFlushed: true, overlappingSync default (on), 100-byte values, ascending integer keys';

/** Per put: when its promise resolved (commit) and when its `.flushed` did (fsync). */
interface AckTimes {
  readonly gap: LatencyRecorder;
  readonly toFlushed: LatencyRecorder;
  flushedFirst: number;
}

/** Puts `key` and records both resolution times; resolves after `.flushed` and the commit promise. */
async function timedPut(db: Database<Buffer, number>, key: number, value: Buffer, times: AckTimes): Promise<void> {
  const start = performance.now();
  let committedAt: number | undefined;
  const write = db.put(key, value);
  void write.then(() => (committedAt = performance.now()));
  await flushedOf(write);
  const flushedAt = performance.now();
  if (committedAt === undefined) {
    times.flushedFirst++;
    await write;
  }
  times.gap.record(Math.max(0, flushedAt - committedAt!));
  times.toFlushed.record(flushedAt - start);
}

async function withDb<T>(context: ScenarioContext, body: (db: Database<Buffer, number>, times: AckTimes) => Promise<T>): Promise<T> {
  const env = open({ path: context.dir, separateFlushed: true });
  const times: AckTimes = { gap: createLatencyRecorder(), toFlushed: createLatencyRecorder(), flushedFirst: 0 };
  try {
    const result = await body(env.openDB<Buffer, number>('log', { encoding: 'binary' }), times);
    context.progress(
      `commit→flushed gap p50 ${times.gap.percentileMs(50).toFixed(3)} ms, p99 ${times.gap.percentileMs(99).toFixed(3)} ms; ` +
        `put→flushed p50 ${times.toFlushed.percentileMs(50).toFixed(3)} ms; flushed resolved before commit ${times.flushedFirst} times`,
    );
    return result;
  } finally {
    await env.close();
  }
}

const single: Scenario = {
  key: 'lmdb.durable-ack.single',
  title: 'lone lmdb-js puts, one at a time: put() (commit) vs put().flushed (fsync)',
  settings: `${SETTINGS}; one put in flight`,
  figures: { ms: { label: 'commit→flushed gap, p50' }, p50Ms: { label: 'put→flushed, p50' } },
  run: (context) =>
    withDb(context, async (db, times) => {
      const value = encodedDeposit();
      const n = context.quick ? 50 : 300;
      for (let key = 1; key <= n; key++) await timedPut(db, key, value, times);
      return { ms: times.gap.percentileMs(50), p50Ms: times.toFlushed.percentileMs(50), n };
    }),
};

const pipelined: Scenario = {
  key: 'lmdb.durable-ack.pipelined',
  title: 'lmdb-js puts with 1,000 in flight: put() (commit) vs put().flushed (fsync)',
  settings: `${SETTINGS}; 1,000 in flight`,
  figures: { ms: { label: 'commit→flushed gap, p50' }, p99Ms: { label: 'commit→flushed gap, p99' } },
  run: (context) =>
    withDb(context, async (db, times) => {
      const value = encodedDeposit();
      const n = context.quick ? 20_000 : 100_000;
      await runPipelined({ n, inflight: 1_000, issue: (i) => timedPut(db, i + 1, value, times) });
      return { ms: times.gap.percentileMs(50), p99Ms: times.gap.percentileMs(99), n };
    }),
};

export const scenarios: readonly Scenario[] = [single, pipelined];

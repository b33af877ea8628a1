// How close does the event log's group-committed append come to raw lmdb-js, and what does each
// layout write to disk per event? All durable (acked after fsync), 10,000 streams, one ~100-byte
// event per append, 1,000 in flight; the same seeded stream sequence and event bytes for each.
import { open, type Key, type RootDatabase } from 'lmdb';
import { eventsPath, openLmdbEventLog } from '../storage/lmdb-event-log.js';
import type { StreamRef } from '../storage/event-log.js';
import { depositEvent, encodedDeposit, streamRef } from './deposit-event.js';
import { startDiskWrites } from './disk-io.js';
import { flushedOf, lastTxnId } from './lmdb-probes.js';
import { runPipelined } from './pipeline.js';
import { figureOf, type Figures, type Scenario, type ScenarioContext } from './scenario.js';
import { pick, seededRandom } from '../fixtures/seeded-random.js';

const STREAMS = 10_000;
const INFLIGHT = 1_000;
const SEED = 2;

/** Writes one event (durably) to stream `stream`; resolves after fsync. */
type WriteOne = (stream: number, i: number) => PromiseLike<unknown>;

/** What one scenario measures: its write and its environment. */
interface Subject {
  write: WriteOne;
  /** The environment, to count the transactions of the timed run. */
  env: RootDatabase;
  close(): Promise<void>;
}

/** Untimed warm-up (one event per stream, so every stream exists), then the timed, measured run. */
async function measure(context: ScenarioContext, subject: Subject): Promise<Figures> {
  const n = context.quick ? 20_000 : 200_000;
  try {
    await runPipelined({ n: STREAMS, inflight: INFLIGHT, issue: (i) => subject.write(i, i) });
    context.progress(`warm-up done (${STREAMS.toLocaleString('en-US')} streams); timing ${n.toLocaleString('en-US')} appends`);
    const random = seededRandom(SEED);
    const txnsBefore = lastTxnId(subject.env);
    const diskWrites = startDiskWrites();
    const { perSec } = await runPipelined({ n, inflight: INFLIGHT, issue: (i) => subject.write(pick(random, STREAMS), STREAMS + i) });
    const written = diskWrites();
    const txns = lastTxnId(subject.env) - txnsBefore;
    const perEvent = (bytes: number | undefined) => (bytes === undefined ? '?' : Math.round(bytes / n).toLocaleString('en-US'));
    context.progress(
      `${Math.round(perSec).toLocaleString('en-US')}/s; per event ${perEvent(written?.storage)} B to storage ` +
        `(${perEvent(written?.syscalls)} B through write syscalls); ${txns} transactions of ${Math.round(n / txns)} events`,
    );
    return { perSec, n, ...(written === undefined ? {} : { diskBytesPerEvent: written.storage / n }) };
  } finally {
    await subject.close();
  }
}

/** An environment opened as the event log opens its own, so only layout and code path differ. */
function openRaw(dir: string) {
  const env = open({ path: dir, separateFlushed: true, maxDbs: 8 });
  return { env, close: () => env.close() };
}

const rawPut: Scenario = {
  key: 'raw.lmdb.put',
  title: 'raw lmdb-js pipelined durable puts, ascending integer keys (the storage limit)',
  rounds: 5,
  settings: 'lmdb-js separateFlushed: true, overlappingSync default (on); acked on put().flushed (fsync); pre-encoded 100-byte value, binary encoding',
  figures: { perSec: { label: 'perSec (storage limit)' } },
  run: (context) => {
    const { env, close } = openRaw(context.dir);
    const db = env.openDB<Buffer, number>('log', { encoding: 'binary' });
    const value = encodedDeposit();
    let key = 0;
    return measure(context, { write: () => flushedOf(db.put(++key, value)), env, close });
  },
};

const streamKeyed: Scenario = {
  key: 'storage.stream-keyed',
  title: 'raw lmdb-js durable puts keyed by [streamId, version]: the naive layout, for its write amplification',
  // Its disk bytes are the same every round (seeded workload) and a round writes ~4.5 GB.
  rounds: 1,
  settings: 'as raw.lmdb.put, keys [streamId, version] across 10,000 streams (random inserts)',
  figures: {
    perSec: { against: figureOf('raw.lmdb.put', 'perSec') },
    diskBytesPerEvent: { against: figureOf('storage.append', 'diskBytesPerEvent') },
  },
  run: (context) => {
    const { env, close } = openRaw(context.dir);
    const db = env.openDB<Buffer, Key>('events', { encoding: 'binary' });
    const value = encodedDeposit();
    const versions = new Uint32Array(STREAMS);
    const ids = Array.from({ length: STREAMS }, (_, i) => streamRef(i).id);
    return measure(context, { write: (stream) => flushedOf(db.put([ids[stream]!, ++versions[stream]!], value)), env, close });
  },
};

const append: Scenario = {
  key: 'storage.append',
  title: 'openLmdbEventLog: stage({ stream, expectedVersion, events: [event] }).durable, group-committed',
  rounds: 5,
  settings: "openLmdbEventLog defaults: durability 'sync' (ack on the guarded block's .flushed), separateFlushed: true",
  figures: {
    perSec: { against: figureOf('raw.lmdb.put', 'perSec'), targets: [{ op: '>=', value: 0.5, of: figureOf('raw.lmdb.put', 'perSec') }] },
    diskBytesPerEvent: { targets: [{ op: '<=', value: 2_500 }] },
  },
  run: (context) => {
    const log = openLmdbEventLog({ path: context.dir });
    const streams: StreamRef[] = Array.from({ length: STREAMS }, (_, i) => streamRef(i));
    const write: WriteOne = (i, n) => {
      const stream = streams[i]!;
      return log.stage({ stream, expectedVersion: log.streamVersion(stream), events: [depositEvent(1 + (n % 500))] }).durable;
    };
    // A second handle on the log's environment (lmdb-js shares it in-process), only to read stats.
    const env = open({ path: eventsPath(context.dir), readOnly: true });
    const close = async () => {
      await env.close();
      await log.close();
    };
    return measure(context, { write, env, close });
  },
};

/** Baseline first, then the candidate, then the layout it is compared with. */
export const scenarios: readonly Scenario[] = [rawPut, append, streamKeyed];

// The safety net under placement: two nodes that both believe they own the same streams (leases
// say yes to both, as after a pause past a lease) write them at once, pipelined, in any
// interleaving. JetStream's expected-sequence check must leave one history per stream: versions
// gapless, every acknowledged append in it exactly once, every refused one absent, and every
// replica, a fresh one too, reading the same log with the same positions.
import fc from 'fast-check';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClusterEventLog } from '../../runtime/cluster/cluster-event-log.js';
import { ClusterNames } from '../../runtime/cluster/cluster-names.js';
import { ensureLogStream } from '../../runtime/cluster/cluster-node.js';
import { PersistenceError } from '../../storage/errors.js';
import type { StagedAppend, StoredEvent, StreamRef } from '../../storage/event-log.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';
import { startNatsCluster, type NatsCluster } from '../../fixtures/nats-servers.js';

let nats: NatsCluster;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let runs = 0;

beforeAll(async () => {
  nats = await startNatsCluster({ nodes: 1 });
  nc = await connect({ servers: nats.urls });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await nats?.stop();
});

const STREAMS: readonly StreamRef[] = [{ type: 't', id: 'a' }, { type: 't', id: 'b' }, { type: 't', id: 'c' }];
const ALWAYS = { serves: () => true };

interface Step {
  readonly writer: 0 | 1;
  readonly stream: number;
  readonly events: number;
  /** Sync the writer's view of the stream first (what a reloaded actor does). */
  readonly sync: boolean;
  /** Wait for this append's outcome before the next step (otherwise it is pipelined). */
  readonly wait: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  writer: fc.constantFrom(0 as const, 1 as const),
  stream: fc.integer({ min: 0, max: STREAMS.length - 1 }),
  events: fc.integer({ min: 1, max: 3 }),
  sync: fc.boolean(),
  wait: fc.boolean(),
});

async function openWriter(names: ClusterNames, nodeId: string, dirs: string[]): Promise<ClusterEventLog> {
  const path = tempDataDir();
  dirs.push(path);
  const log = new ClusterEventLog(openLmdbEventLog({ path }), js, jsm, names, nodeId, ALWAYS, 1024 * 1024, 1024 * 1024, 5_000);
  await log.start();
  return log;
}

/** Per stream, the (version, tag) pairs in log order. */
function histories(events: Iterable<StoredEvent>): Map<string, Array<[number, string]>> {
  const byStream = new Map<string, Array<[number, string]>>();
  for (const event of events) {
    const list = byStream.get(event.aggregateId) ?? [];
    list.push([event.version, event.data.tag as string]);
    byStream.set(event.aggregateId, list);
  }
  return byStream;
}

describe('two writers on one stream (a stale owner)', () => {
  it('never fork it: one gapless history, acknowledged appends once, refused ones absent, same log on every replica', async () => {
    await fc.assert(fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 24 }), async (steps) => {
      const names = new ClusterNames(`prop${process.pid}x${++runs}`, 4);
      await ensureLogStream(jsm, names, 1, nats.urls);
      const dirs: string[] = [];
      const writers = [await openWriter(names, 'w0', dirs), await openWriter(names, 'w1', dirs)];
      try {
        /** What each writer believes each stream's version is; undefined: it must sync first. */
        const believed = writers.map(() => new Map<number, number>());
        const outcomes: Array<{ tag: string; settled: Promise<boolean> }> = [];
        for (const [index, { writer, stream, events, sync, wait }] of steps.entries()) {
          const log = writers[writer]!;
          const ref = STREAMS[stream]!;
          if (sync || !believed[writer]!.has(stream)) {
            await log.sync(ref);
            believed[writer]!.set(stream, log.streamHead(ref)?.version ?? 0);
          }
          const tag = `s${index}`;
          let staged: StagedAppend;
          try {
            staged = log.stage({
              stream: ref, expectedVersion: believed[writer]!.get(stream)!, commandId: tag,
              events: Array.from({ length: events }, (_, n) => ({ type: 'Ticked', data: { tag, n }, metadata: { timestamp: 1, commandId: tag } })),
            });
          } catch (error) {
            // A chain broken by an earlier refusal refuses at once, until the writer syncs again.
            expect(error).toBeInstanceOf(PersistenceError);
            believed[writer]!.delete(stream);
            continue;
          }
          believed[writer]!.set(stream, believed[writer]!.get(stream)! + events);
          const settled = staged.commit.then(() => true, (error: unknown) => {
            expect(error).toBeInstanceOf(PersistenceError);
            believed[writer]!.delete(stream);
            return false;
          });
          outcomes.push({ tag, settled });
          if (wait) await settled;
        }
        const acknowledged = new Set<string>();
        const refused = new Set<string>();
        for (const { tag, settled } of outcomes) ((await settled) ? acknowledged : refused).add(tag);

        const reader = await openWriter(names, 'reader', dirs);
        const log = [...reader.readAll()];
        expect(log.map((event) => event.position)).toEqual(log.map((_, i) => i + 1));
        for (const history of histories(log).values()) {
          expect(history.map(([version]) => version)).toEqual(history.map((_, i) => i + 1));
        }
        const stored = log.filter((event) => event.data.n === 0).map((event) => event.data.tag as string);
        expect(new Set(stored).size).toBe(stored.length);
        expect(new Set(stored)).toEqual(acknowledged);
        for (const tag of refused) expect(stored).not.toContain(tag);
        for (const writer of writers) {
          await writer.replicatedTo(log.at(-1)?.metadata.streamSequence as number ?? 0);
          expect([...writer.readAll()]).toEqual(log);
        }
        await reader.close();
      } finally {
        for (const writer of writers) await writer.close().catch(() => undefined);
        for (const dir of dirs) removeDir(dir);
        await jsm.streams.delete(names.stream);
      }
    }), { numRuns: 25 });
  }, 120_000);
});

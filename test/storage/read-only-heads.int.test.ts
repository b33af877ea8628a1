// A read-only log (the CLI, a long-lived inspector) keeps in memory only the stream heads the
// writer has not yet written to its heads table: once the writer flushes them (every second or
// so, and on close) the reader forgets its copies, so its memory is bounded by the writer's
// unflushed window, not by every stream it ever saw. Its answers stay exact throughout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import type { StreamRef } from '../../storage/event-log.js';
import { newEvent, removeDir, tempDataDir } from '../fixtures/storage-kit.js';

let dir: string;
const open: LmdbEventLog[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(open.splice(0).map((log) => log.close()));
  removeDir(dir);
});

function track(log: LmdbEventLog): LmdbEventLog {
  open.push(log);
  return log;
}

/** Appends `events` events to each stream in one group commit. */
async function appendTo(log: LmdbEventLog, streams: StreamRef[], events: number): Promise<void> {
  const from = log.streamVersion(streams[0]!);
  await Promise.all(log.append(streams.map((stream) => ({
    stream, expectedVersion: from, events: Array.from({ length: events }, (_, i) => newEvent('Touched', { n: from + i })),
  }))));
}

describe('read-only heads cache', () => {
  it("forgets the heads the writer has flushed, and reads every stream's head exactly before and after", async () => {
    dir = tempDataDir();
    // Frozen clock: the writer's heads come due only when it closes, not on its one-second timer.
    vi.useFakeTimers({ toFake: ['performance'] });
    let writer = track(openLmdbEventLog({ path: dir }));
    const reader = track(openLmdbEventLog({ path: dir, readOnly: true }));
    const streams = Array.from({ length: 300 }, (_, i): StreamRef => ({ type: 'account', id: `s-${i}` }));
    expect(reader.streamHead(streams[0]!)).toBeUndefined();

    await appendTo(writer, streams, 2);
    reader.headPosition();
    expect(streams.map((stream) => reader.streamHead(stream)?.version)).toEqual(streams.map(() => 2));
    expect(reader.cachedHeads, 'the table has none of them yet').toBe(300);

    await writer.close();
    open.splice(open.indexOf(writer), 1);
    reader.headPosition();
    expect(reader.streamHead(streams[299]!)).toEqual({ version: 2, position: 600 });
    expect(reader.cachedHeads, 'the table has all of them now').toBe(0);
    expect(streams.map((stream) => reader.streamHead(stream)?.version)).toEqual(streams.map(() => 2));

    // A new writer's unflushed appends are the only heads the reader holds again.
    writer = track(openLmdbEventLog({ path: dir }));
    await appendTo(writer, streams.slice(0, 10), 1);
    reader.headPosition();
    expect(streams.map((stream) => reader.streamHead(stream)?.version)).toEqual(streams.map((_, i) => (i < 10 ? 3 : 2)));
    expect(reader.cachedHeads).toBe(10);
    expect([...reader.readStream(streams[0]!)].map((event) => event.data.n)).toEqual([0, 1, 2]);
  });
});

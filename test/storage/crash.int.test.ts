// Crash safety: a child appends with hundreds of appends in flight and prints each append only
// once it is durable; it is SIGKILLed at random points over several rounds on one data directory.
// After every kill, every acknowledged append is on disk where it was acknowledged, the log is
// gapless, and each stream's prev chain, heads entry and ledger agree with the log.
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJournalGroup } from '../../storage/ledger-keys.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import type { StoredEvent } from '../../storage/event-log.js';
import type { CrashAck } from '../fixtures/storage-crash-appender.js';
import { compiledFixture, runFixture } from '../fixtures/child-fixture.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const ROUNDS = 5;

function verify(log: LmdbEventLog, acks: readonly CrashAck[], context: string): { events: number; streams: number } {
  const all = [...log.readAll()];
  const head = log.headPosition();
  expect(all.length, `${context}: readAll returns 1..head`).toBe(head);
  all.forEach((event, i) => expect(event.position, `${context}: gapless log`).toBe(i + 1));

  for (const ack of acks) {
    ack.positions.forEach((position, i) => {
      const event = log.eventAt(position);
      expect(event && [event.aggregateType, event.aggregateId, event.version, event.type, event.data], `${context}: acknowledged ${ack.type}/${ack.id}@${ack.version + i}`)
        .toEqual([ack.type, ack.id, ack.version + i, ack.types[i], ack.data[i]]);
    });
    if (ack.commandId !== undefined) {
      const ledgered = log.commandResult({ type: ack.type, id: ack.id }, ack.commandId);
      expect(ledgered?.result.position, `${context}: ledger of ${ack.commandId}`).toBe(ack.positions.at(-1));
      expect(ledgered?.result.events.map((e) => e.position)).toEqual(ack.positions);
    }
  }

  const byStream = new Map<string, StoredEvent[]>();
  for (const event of all) {
    const key = `${event.aggregateType}/${event.aggregateId}`;
    let events = byStream.get(key);
    if (!events) byStream.set(key, (events = []));
    events.push(event);
  }
  for (const [key, events] of byStream) {
    const [type, id] = key.split('/') as [string, string];
    const stream = { type, id };
    events.forEach((event, i) => expect(event.version, `${context}: versions of ${key}`).toBe(i + 1));
    expect([...log.readStream(stream)], `${context}: prev chain of ${key} equals the log`).toEqual(events);
    expect(log.streamVersion(stream)).toBe(events.length);
    expect(log.streamHead(stream)).toEqual({ version: events.length, position: events.at(-1)!.position });
  }
  expect([...log.streams()].map((s) => `${s.type}/${s.id}@${s.version}:${s.position}`).sort())
    .toEqual([...byStream].map(([key, events]) => `${key}@${events.length}:${events.at(-1)!.position}`).sort());
  return { events: all.length, streams: byStream.size };
}

describe('event log after SIGKILL', () => {
  let path: string;
  let script: string;
  beforeAll(() => {
    script = compiledFixture('storage-crash-appender');
    path = tempDataDir();
  });
  afterAll(() => path && removeDir(path));

  it(`keeps every acknowledged append, gapless, with consistent streams (${ROUNDS} rounds)`, async () => {
    const seed = Date.now() % 1_000_000;
    const acks: CrashAck[] = [];
    let streams = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const context = `seed ${seed}, round ${round}`;
      const child = runFixture(script, [path, String(seed + round), String(round)]);
      // Kill after a random number of acknowledgements: with hundreds in flight, mid-commit.
      const killAfter = 150 + ((seed * round * 7919) % 1200);
      try {
        await child.waitForLines(killAfter);
      } finally {
        await child.kill();
      }
      const printed = child.lines.map((line) => JSON.parse(line) as CrashAck);
      expect(printed.length, context).toBeGreaterThanOrEqual(killAfter);
      acks.push(...printed);

      const log = openLmdbEventLog({ path });
      try {
        const seen = verify(log, acks, context);
        expect(seen.events, context).toBeGreaterThanOrEqual(acks.reduce((sum, ack) => sum + ack.positions.length, 0));
        streams = seen.streams;
      } finally {
        await log.close();
      }
    }
    expect(streams, `seed ${seed}: appends reached every stream`).toBe(50);
  });

  it('keeps the newest commandIds by count when killed while every commit trims the ledger', async () => {
    const dir = tempDataDir();
    const retained = 2_000;
    try {
      const child = runFixture(script, [dir, '11', '1', '500', '1', String(retained)]);
      try {
        await child.waitForLines(12_000);
      } finally {
        await child.kill();
      }
      const acks = child.lines.map((line) => JSON.parse(line) as CrashAck);
      const env = open({ path: join(dir, 'events'), readOnly: true });
      let journal = 0;
      for (const value of env.openDB<Buffer, number>('ledger-journal', { encoding: 'binary' }).getRange().map(({ value }) => value)) {
        journal += decodeJournalGroup(value)!.length;
      }
      await env.close();
      // A group goes once none of its entries is kept: a commit's worth (at most 400 appends) may linger.
      expect(journal, 'trimmed as it went').toBeLessThanOrEqual(retained + 800);
      expect(journal).toBeGreaterThanOrEqual(retained);
      const log = openLmdbEventLog({ path: dir, commandIdRetentionCount: retained });
      try {
        // Up to 400 appends were in flight at the kill, committed but not acknowledged: they count as newer ids too.
        const newest = acks.slice(-(retained - 400));
        const older = acks.slice(0, -newest.length).map(({ commandId: _, ...ack }) => ack);
        verify(log, [...older, ...newest], 'retained by count');
        // Each of these has at least 2,000 acknowledged ids after it.
        const forgotten = acks.slice(0, -retained);
        expect(forgotten.length).toBeGreaterThan(5_000);
        expect(forgotten.filter((ack) => log.commandResult({ type: ack.type, id: ack.id }, ack.commandId!) !== undefined), 'older than the newest 2,000').toEqual([]);
      } finally {
        await log.close();
      }
    } finally {
      removeDir(dir);
    }
  });

  it('keeps every head and ledger entry when killed after head writes behind began (more than a round waits for)', async () => {
    const dir = tempDataDir();
    try {
      // 40,000 streams: the dirty heads pass the 32,768 that start a round of head writes mid-run;
      // a commandId on every append, each ledger entry committed with its events.
      const child = runFixture(script, [dir, '7', '1', '40000', '1']);
      try {
        await child.waitForLines(100_000);
      } finally {
        await child.kill();
      }
      const acks = child.lines.map((line) => JSON.parse(line) as CrashAck);
      // The writer opens first: lmdb-js keeps the flags of the first open of a path in a process.
      const log = openLmdbEventLog({ path: dir });
      try {
        const env = open({ path: join(dir, 'events'), readOnly: true });
        const written = env.openDB('heads', {}).getKeysCount();
        await env.close();
        // Killed during or after a round: some heads are in the table, the rest only in the log's tail.
        expect(written, 'head writes committed before the kill').toBeGreaterThan(0);
        verify(log, acks, 'heads and ledger written behind');
      } finally {
        await log.close();
      }
    } finally {
      removeDir(dir);
    }
  });
});

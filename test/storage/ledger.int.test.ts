// The command ledger on a real LMDB environment, with the log's clock seam: a commandId's entry is
// found while its commit is pending, once committed and after a reopen (read back from the
// journal), exactly while it is within retention by age and by count; trimming removes the
// entries retention no longer keeps, in the commits of later appends, and a trim whose commit
// fails is done by a later one. Two streams whose (type, id, commandId) join to one string stay
// apart, and a directory an earlier version wrote (a ledger table written behind) keeps its ids.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendResult, StreamRef } from '../../storage/event-log.js';
import { PersistenceError } from '../../storage/errors.js';
import { encodeLedgerValue, ledgerKey, ledgerKeyBytes } from '../../storage/ledger-keys.js';
import { eventsPath, openLmdbEventLog, type EventLogOptions, type LmdbEventLog, type LogSeams } from '../../storage/lmdb-event-log.js';
import { armableFault } from '../fixtures/commit-faults.js';
import { newEvent, rejectionOf, removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const RETENTION = 60_000;
const T0 = 1_800_000_000_000;
// Joined as `type\0id\0commandId`, these two commands were one key: 'account\0b\0c\0d'.
const left: StreamRef = { type: 'account', id: 'b\u0000c' };
const right: StreamRef = { type: 'account', id: 'b' };
const LEFT_ID = 'd';
const RIGHT_ID = 'c\u0000d';

/** The journal's sequences and its groups' sizes in bytes, and the rows of the earlier table, read from the closed environment. */
async function stored(path: string): Promise<{ journal: number[]; table: number; bytes: number[] }> {
  const env = open({ path: eventsPath(path), readOnly: true, maxDbs: 8 });
  try {
    const journal = env.openDB<Buffer, number>('ledger-journal', { encoding: 'binary' });
    const table = env.openDB('ledger', { encoding: 'binary', keyEncoding: 'binary' });
    return { journal: [...journal.getKeys()], table: table.getKeysCount(), bytes: [...journal.getRange()].map(({ value }) => value.length) };
  } finally {
    await env.close();
  }
}

// Each test runs on both kinds of entry: keyed (the key written with the entry) and carried (the
// command's last event carries its commandId, as every event the runtime appends does).
describe.each([['keyed', false], ['carried', true]] as const)('command ledger (%s entries)', (_kind, carried) => {
  let path: string;
  let now: number;
  const logs: LmdbEventLog[] = [];
  const openLog = (options: Partial<EventLogOptions> & LogSeams = {}): LmdbEventLog => {
    const log = openLmdbEventLog({ path, commandIdRetentionMs: RETENTION, clock: () => now, ...options });
    logs.push(log);
    return log;
  };
  /** An event of the command `commandId`: carrying it in its metadata or not, as the suite's kind says. */
  const eventOf = (commandId: string, type: string, data: Record<string, unknown>) => newEvent(type, data, carried ? { commandId } : {});
  const append = async (log: LmdbEventLog, stream: StreamRef, commandId: string, events = 1): Promise<AppendResult> => {
    const list = Array.from({ length: events }, (_, i) => eventOf(commandId, 'Deposited', { amount: i + 1 }));
    return log.append([{ stream, expectedVersion: log.streamVersion(stream), events: list, commandId }])[0]!;
  };
  const found = (log: LmdbEventLog, stream: StreamRef, ids: readonly string[]) => ids.map((id) => log.commandResult(stream, id)?.result.version);

  beforeEach(() => {
    path = tempDataDir();
    now = T0;
  });
  afterEach(async () => {
    try {
      for (const log of logs.splice(0)) await log.close();
    } finally {
      removeDir(path);
    }
  });

  it('keeps apart two commands whose stream and commandId join to the same string: pending, committed and read back', async () => {
    let log = openLog({ closeWithoutWriteBehind: true });
    const first = log.append([
      { stream: left, expectedVersion: 0, events: [eventOf(LEFT_ID, 'Opened', { side: 'left' })], commandId: LEFT_ID },
      { stream: right, expectedVersion: 0, events: [eventOf(RIGHT_ID, 'Opened', { side: 'right' })], commandId: RIGHT_ID },
    ]);
    const sides = (current: LmdbEventLog) => [
      current.commandResult(left, LEFT_ID)?.result.events.map((e) => [e.aggregateId, e.data.side]),
      current.commandResult(right, RIGHT_ID)?.result.events.map((e) => [e.aggregateId, e.data.side]),
      current.commandResult(left, RIGHT_ID), current.commandResult(right, LEFT_ID),
    ];
    const expected = [[['b\u0000c', 'left']], [['b', 'right']], undefined, undefined];
    expect(sides(log), 'pending').toEqual(expected);
    await Promise.all(first);
    expect(sides(log), 'committed').toEqual(expected);
    await log.close();
    expect(await stored(path), 'one commit, one group').toMatchObject({ journal: [1], table: 0 });
    log = openLog({ closeWithoutWriteBehind: true });
    expect(sides(log), 'read back after a crash-like close').toEqual(expected);
  });

  it('returns the first result exactly while the command is within retention: pending, committed, and after a reopen', async () => {
    let log = openLog();
    const pending = log.append([{ stream: left, expectedVersion: 0, events: [eventOf('c-p', 'Opened', {})], commandId: 'c-p' }])[0]!;
    now = T0 + RETENTION - 1;
    expect(await log.commandResult(left, 'c-p')?.durable, 'pending, within').toEqual(await pending);
    now = T0;
    const deposited = await append(log, left, 'c-1', 2);
    const nothing = await append(log, left, 'c-0', 0);
    expect(nothing).toEqual({ version: 3, position: 3, events: [] });
    const check = (current: LmdbEventLog, phase: string) => {
      now = T0 + RETENTION - 1;
      expect(current.commandResult(left, 'c-1')?.result, `${phase}: within`).toEqual(deposited);
      expect(current.commandResult(left, 'c-0')?.result, `${phase}: within`).toEqual(nothing);
      now = T0 + RETENTION;
      expect(current.commandResult(left, 'c-1'), `${phase}: expired`).toBeUndefined();
      expect(current.commandResult(left, 'c-0'), `${phase}: expired`).toBeUndefined();
      now = T0;
    };
    check(log, 'committed');
    await log.close();
    check((log = openLog({ closeWithoutWriteBehind: true })), 'after a crash-like close');
    await log.close();
    check(openLog(), 'after a close');
  });

  it('keeps the newest commandIds by count: an id is forgotten once that many newer ones were recorded, and its entry trimmed', async () => {
    let log = openLog({ commandIdRetentionCount: 3 });
    await append(log, left, 'c-1');
    await append(log, left, 'c-2');
    await append(log, left, 'c-3');
    expect(found(log, left, ['c-1', 'c-2', 'c-3'])).toEqual([1, 2, 3]);
    await append(log, right, 'c-4');
    expect(found(log, left, ['c-1', 'c-2', 'c-3']), 'c-1 has three newer ids').toEqual([undefined, 2, 3]);
    await append(log, right, 'c-5');
    await log.close();
    expect((await stored(path)).journal, 'the commits of c-4 and c-5 trimmed c-1 and c-2').toEqual([3, 4, 5]);
    log = openLog({ commandIdRetentionCount: 3 });
    expect([...found(log, left, ['c-1', 'c-2', 'c-3']), ...found(log, right, ['c-4', 'c-5'])]).toEqual([undefined, undefined, 3, 1, 2]);
    // A smaller count on a later open applies at once.
    await log.close();
    log = openLog({ commandIdRetentionCount: 1 });
    expect([...found(log, left, ['c-3']), ...found(log, right, ['c-4', 'c-5'])]).toEqual([undefined, undefined, 2]);
  });

  it('returns exactly the result of the id asked for when every key has the same fingerprint', async () => {
    const collide = (): number => 7;
    let log = openLog({ ledgerFingerprint: collide, commandIdRetentionCount: 4 });
    const results = [];
    for (const id of ['c-1', 'c-2', 'c-3']) results.push(await append(log, left, id));
    const pending = append(log, right, 'c-4');
    const ask = (current: LmdbEventLog) => [
      ...['c-1', 'c-2', 'c-3'].map((id) => current.commandResult(left, id)?.result), current.commandResult(right, 'c-4')?.result.version,
      current.commandResult(left, 'c-4'), current.commandResult(right, 'c-1'), current.commandResult(left, 'new'),
    ];
    expect(ask(log), 'one pending among them').toEqual([...results, 1, undefined, undefined, undefined]);
    await pending;
    await log.close();
    log = openLog({ ledgerFingerprint: collide, commandIdRetentionCount: 4 });
    expect(ask(log), 'read back').toEqual([...results, 1, undefined, undefined, undefined]);
    await append(log, right, 'c-5');
    expect(ask(log), 'c-1 now has four newer ids').toEqual([undefined, ...results.slice(1), 1, undefined, undefined, undefined]);
  });

  it('writes a carried entry in 23 bytes, a keyed one with its key, and a keyed one when the last event carries another id', async () => {
    const log = openLog();
    await append(log, left, 'c-1');
    await log.append([{ stream: left, expectedVersion: 1, events: [newEvent('Noted', {}, { commandId: 'not-c-2' })], commandId: 'c-2' }])[0];
    expect(found(log, left, ['c-1', 'c-2', 'not-c-2'])).toEqual([1, 2, undefined]);
    await log.close();
    // A group's tag, then per entry its kind and either 22 bytes or the 24-byte entry, the key's length and the key.
    const keyed = (id: string): number => 1 + 24 + 4 + ledgerKeyBytes(left, id).length;
    expect((await stored(path)).bytes).toEqual([1 + (carried ? 23 : keyed('c-1')), 1 + keyed('c-2')]);
    expect(found(openLog(), left, ['c-1', 'c-2', 'not-c-2']), 'read back').toEqual([1, 2, undefined]);
  });

  it('after it expires, a commandId records the command that ran again', async () => {
    const log = openLog();
    await append(log, left, 'c-1');
    now = T0 + RETENTION;
    expect(log.commandResult(left, 'c-1')).toBeUndefined();
    const again = await append(log, left, 'c-1', 2);
    expect(log.commandResult(left, 'c-1')?.result).toEqual(again);
    await log.close();
    expect(openLog({ closeWithoutWriteBehind: true }).commandResult(left, 'c-1')?.result).toEqual(again);
  });

  it('trims expired entries in the commits of later appends, and only those', async () => {
    let log = openLog();
    for (const id of ['c-1', 'c-2', 'c-3']) await append(log, left, id);
    now = T0 + RETENTION / 2;
    await append(log, right, 'c-4');
    await log.close();
    expect((await stored(path)).journal, 'nothing expired: nothing trimmed').toEqual([1, 2, 3, 4]);
    log = openLog();
    now = T0 + RETENTION;
    await append(log, right, 'c-5');
    await log.close();
    expect((await stored(path)).journal, 'c-1..c-3 expired').toEqual([4, 5]);
    log = openLog();
    expect(found(log, right, ['c-4', 'c-5'])).toEqual([1, 2]);
    now = T0 + RETENTION + RETENTION / 2;
    await append(log, left, 'c-6');
    await log.close();
    expect((await stored(path)).journal, 'c-4 expired').toEqual([5, 6]);
  });

  it('trims a group only once none of its entries is kept, the newest group too, by appends without ids as well', async () => {
    let log = openLog();
    // One commit, one group: c-a handled at T0, c-b half a retention later.
    const a = log.stage({ stream: left, expectedVersion: 0, events: [eventOf('c-a', 'Opened', {})], commandId: 'c-a' });
    now = T0 + RETENTION / 2;
    const b = log.stage({ stream: right, expectedVersion: 0, events: [eventOf('c-b', 'Opened', {})], commandId: 'c-b' });
    await Promise.all([a.durable, b.durable]);
    now = T0 + RETENTION;
    await log.append([{ stream: left, expectedVersion: 1, events: [newEvent('Noted', {})] }])[0];
    await log.close();
    expect((await stored(path)).journal, 'c-b is kept, so its group stays').toEqual([1]);
    log = openLog();
    expect([log.commandResult(left, 'c-a'), log.commandResult(right, 'c-b')?.result.version]).toEqual([undefined, 1]);
    now = T0 + RETENTION + RETENTION / 2;
    await log.append([{ stream: left, expectedVersion: 2, events: [newEvent('Noted', {})] }])[0];
    await log.close();
    expect((await stored(path)).journal, 'both expired: the last group goes too').toEqual([]);
  });

  it('a trim whose commit failed removes nothing, and a later commit trims', async () => {
    const fault = armableFault('injectCommitFailure');
    const log = openLog({ ...fault.seams, commandIdRetentionCount: 2 });
    const first = await append(log, left, 'c-1');
    const second = await append(log, left, 'c-2');
    fault.arm();
    expect(await rejectionOf(append(log, left, 'c-3')), 'the commit carrying the trim of c-1 failed').toBeInstanceOf(PersistenceError);
    expect([log.commandResult(left, 'c-1')?.result, log.commandResult(left, 'c-2')?.result, log.commandResult(left, 'c-3')])
      .toEqual([first, second, undefined]);
    const fourth = await append(log, left, 'c-4');
    expect([log.commandResult(left, 'c-1'), log.commandResult(left, 'c-2')?.result, log.commandResult(left, 'c-4')?.result])
      .toEqual([undefined, second, fourth]);
    await log.close();
    expect((await stored(path)).journal, 'c-1 trimmed with c-4, which took the sequence c-3 never committed').toEqual([2, 3]);
  });

  it('after a commit written and then reported failed, keeps its entry and every later one (groups are appended past it)', async () => {
    const fault = armableFault('injectCommitRejection');
    let log = openLog(fault.seams);
    const first = await append(log, left, 'c-1');
    fault.arm();
    expect(await rejectionOf(append(log, left, 'c-2'))).toMatchObject({ code: 'ERR_PERSISTENCE', written: true });
    const third = await append(log, right, 'c-3');
    const results = (current: LmdbEventLog) => [current.commandResult(left, 'c-1')?.result, current.commandResult(left, 'c-2')?.result.version, current.commandResult(right, 'c-3')?.result];
    expect(results(log)).toEqual([first, 2, third]);
    await log.close();
    log = openLog();
    expect(results(log), 'after a reopen').toEqual([first, 2, third]);
  });

  it('marks the journal of a new directory with its first group, writing nothing for it at open', async () => {
    const marker = async (): Promise<unknown> => {
      const env = open({ path: eventsPath(path), readOnly: true, maxDbs: 8 });
      try {
        return env.openDB('meta', { useVersions: true }).get('ledgerJournal');
      } finally {
        await env.close();
      }
    };
    let log = openLog();
    await log.append([{ stream: left, expectedVersion: 0, events: [newEvent('Opened', {})] }])[0];
    await log.close();
    expect(await marker(), 'no commandId yet').toBeUndefined();
    log = openLog();
    await append(log, left, 'c-1');
    await log.close();
    expect(await marker()).toBe(2);
    expect(found(openLog(), left, ['c-1'])).toEqual([2]);
  });

  it('moves the ledger table of an earlier version into the journal, keeping what is within retention', async () => {
    await openLog().close();
    // As an earlier version left it: rows written behind up to journal sequence 7, two entries after.
    const rowOf = (version: number, time: number) => encodeLedgerValue({ version, position: version, count: 1, time });
    const env = open({ path: eventsPath(path), maxDbs: 8 });
    const table = env.openDB<Buffer, Buffer>('ledger', { encoding: 'binary', keyEncoding: 'binary' });
    const journal = env.openDB<Buffer, number>('ledger-journal', { encoding: 'binary' });
    const meta = env.openDB('meta', { useVersions: true });
    await env.transaction(() => {
      void table.put(ledgerKey(left, 'old-expired'), rowOf(1, T0 - RETENTION));
      void table.put(ledgerKey(left, 'old-kept'), rowOf(2, T0 - 1));
      void table.put(Buffer.from('not a ledger key'), rowOf(1, T0));
      // One entry per journal value, its key right after it.
      void journal.put(8, Buffer.concat([rowOf(3, T0), Buffer.from(ledgerKeyBytes(left, 'journal-kept'), 'latin1')]));
      void meta.put('ledgerAt', 7);
      void meta.remove('ledgerJournal');
    });
    await env.close();
    // The log must hold the events the entries name: append them as the earlier version had.
    let log = openLog();
    for (const id of ['e-1', 'e-2', 'e-3']) await append(log, left, id);
    expect(found(log, left, ['old-expired', 'old-kept', 'journal-kept'])).toEqual([undefined, 2, 3]);
    await log.close();
    expect((await stored(path)).table, 'the table is emptied').toBe(0);
    log = openLog();
    expect(found(log, left, ['old-kept', 'journal-kept', 'e-1', 'e-3'])).toEqual([2, 3, 1, 3]);
  });

  it('refuses a retention that is not a positive integer (of milliseconds or commands) or Infinity, before creating anything', () => {
    for (const value of [0, -1, 1.5, Number.NaN, '60000', null]) {
      const dir = join(path, `never-${String(value)}`);
      expect(() => openLmdbEventLog({ path: dir, commandIdRetentionMs: value as number })).toThrow(
        new RangeError(`options.commandIdRetentionMs must be a positive integer of milliseconds or Infinity (got ${String(value)})`),
      );
      expect(() => openLmdbEventLog({ path: dir, commandIdRetentionCount: value as number })).toThrow(
        new RangeError(`options.commandIdRetentionCount must be a positive integer of commands or Infinity (got ${String(value)})`),
      );
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('keeps every entry with a retention of Infinity (the default of openEventLog)', async () => {
    for (const log of [openLmdbEventLog({ path, clock: () => now }), openLmdbEventLog({ path: join(path, 'forever'), clock: () => now, commandIdRetentionMs: Number.POSITIVE_INFINITY })]) {
      logs.push(log);
      now = T0;
      const result = await append(log, left, 'c-1');
      for (let i = 0; i < 50; i++) await append(log, right, `c-${i}`);
      now = T0 + 100 * 365 * 86_400_000;
      expect(log.commandResult(left, 'c-1')?.result).toEqual(result);
      await log.close();
    }
  });
});

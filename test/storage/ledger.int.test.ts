// The command ledger on a real LMDB environment, with the log's clock seam: a commandId's entry is
// found while staged, once committed (in memory), once written behind (in the table) and after a
// crash (rebuilt from the journal), exactly while it is within retention; rounds write entries and
// drop the journal they came from, the sweep removes expired rows, and a round whose commit fails
// is written by a later one. Two streams whose (type, id, commandId) join to one string stay apart.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AppendResult, StreamRef } from '../../storage/event-log.js';
import { eventsPath, openLmdbEventLog, type LmdbEventLog, type LogSeams } from '../../storage/lmdb-event-log.js';
import { PersistenceError } from '../../storage/errors.js';
import { newEvent, rejectionOf, removeDir, tempDataDir } from '../fixtures/storage-kit.js';

const RETENTION = 60_000;
const ROUND_DUE = 5_000;
const T0 = 1_800_000_000_000;
// Joined as `type\0id\0commandId`, these two commands were one key: 'account\0b\0c\0d'.
const left: StreamRef = { type: 'account', id: 'b\u0000c' };
const right: StreamRef = { type: 'account', id: 'b' };
const LEFT_ID = 'd';
const RIGHT_ID = 'c\u0000d';

/** Rows in the ledger table and entries in its journal, read from the closed environment. */
async function stored(path: string): Promise<{ rows: number; journal: number }> {
  const env = open({ path: eventsPath(path), readOnly: true, maxDbs: 8 });
  try {
    const count = (name: string) => env.openDB(name, { encoding: 'binary', keyEncoding: 'binary' }).getKeysCount();
    return { rows: count('ledger'), journal: count('ledger-journal') };
  } finally {
    await env.close();
  }
}

describe('command ledger', () => {
  let path: string;
  let now: number;
  const logs: LmdbEventLog[] = [];
  const openLog = (seams: LogSeams = {}): LmdbEventLog => {
    const log = openLmdbEventLog({ path, commandIdRetentionMs: RETENTION, clock: () => now, ...seams });
    logs.push(log);
    return log;
  };
  const append = async (log: LmdbEventLog, stream: StreamRef, commandId: string, events = 1): Promise<AppendResult> => {
    const list = Array.from({ length: events }, (_, i) => newEvent('Deposited', { amount: i + 1 }));
    return log.append([{ stream, expectedVersion: log.streamVersion(stream), events: list, commandId }])[0]!;
  };

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

  it('keeps apart two commands whose stream and commandId join to the same string: staged, committed, rebuilt and written', async () => {
    let log = openLog({ closeWithoutWriteBehind: true });
    const first = log.append([
      { stream: left, expectedVersion: 0, events: [newEvent('Opened', { side: 'left' })], commandId: LEFT_ID },
      { stream: right, expectedVersion: 0, events: [newEvent('Opened', { side: 'right' })], commandId: RIGHT_ID },
    ]);
    const sides = (current: LmdbEventLog) => [
      current.commandResult(left, LEFT_ID)?.result.events.map((e) => [e.aggregateId, e.data.side]),
      current.commandResult(right, RIGHT_ID)?.result.events.map((e) => [e.aggregateId, e.data.side]),
      current.commandResult(left, RIGHT_ID), current.commandResult(right, LEFT_ID),
    ];
    const expected = [[['b\u0000c', 'left']], [['b', 'right']], undefined, undefined];
    expect(sides(log), 'staged').toEqual(expected);
    await Promise.all(first);
    expect(sides(log), 'committed').toEqual(expected);

    await log.close();
    log = openLog({ closeWithoutWriteBehind: true });
    expect(sides(log), 'rebuilt from the journal').toEqual(expected);
    await log.close();
    expect(await stored(path), 'a crash-like close left them in the journal only').toEqual({ rows: 0, journal: 2 });

    log = openLog();
    await log.close();
    expect(await stored(path), 'written behind, journal dropped').toEqual({ rows: 2, journal: 0 });
    expect(sides(openLog()), 'read from the table').toEqual(expected);
  });

  it('returns the first result exactly while the command is within retention: in memory, rebuilt, and from the table', async () => {
    let log = openLog();
    const deposited = await append(log, left, 'c-1', 2);
    const nothing = await append(log, left, 'c-0', 0);
    expect(nothing).toEqual({ version: 2, position: 2, events: [] });
    const check = (current: LmdbEventLog, phase: string) => {
      now = T0 + RETENTION - 1;
      expect(current.commandResult(left, 'c-1')?.result, `${phase}: within`).toEqual(deposited);
      expect(current.commandResult(left, 'c-0')?.result, `${phase}: within`).toEqual(nothing);
      now = T0 + RETENTION;
      expect(current.commandResult(left, 'c-1'), `${phase}: expired`).toBeUndefined();
      expect(current.commandResult(left, 'c-0'), `${phase}: expired`).toBeUndefined();
      now = T0;
    };
    check(log, 'committed, in memory');
    await log.close();
    check((log = openLog({ closeWithoutWriteBehind: true })), 'rebuilt from the journal');
    await log.close();
    check((log = openLog()), 'rebuilt again');
    await log.close();
    expect((await stored(path)).rows).toBe(2);
    check(openLog(), 'read from the table');
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

  it('writes entries in rounds once due, dropping their journal entries, and sweeps expired rows', async () => {
    let log = openLog({ closeWithoutWriteBehind: true });
    for (const id of ['c-1', 'c-2', 'c-3']) await append(log, left, id);
    now = T0 + ROUND_DUE;
    await append(log, right, 'c-4'); // its commit starts a round of c-1..c-4
    await append(log, right, 'c-5'); // its commit carries the round's chunk
    await log.close();
    expect(await stored(path), 'the round wrote four rows; c-5 is still in the journal').toEqual({ rows: 4, journal: 1 });

    now = T0 + RETENTION + 10_000;
    log = openLog();
    expect(log.commandResult(left, 'c-1')).toBeUndefined();
    await append(log, left, 'c-6');
    now += ROUND_DUE;
    await append(log, left, 'c-7');
    await append(log, left, 'c-8'); // the round's chunk, after a sweep
    await log.close();
    expect(await stored(path), 'c-1..c-4 swept, c-5 expired before it was written').toEqual({ rows: 3, journal: 0 });
    log = openLog();
    expect(['c-6', 'c-7', 'c-8'].map((id) => log.commandResult(left, id)?.result.version)).toEqual([4, 5, 6]);
  });

  it('serves the entries of a round whose commit failed, and a later round writes them', async () => {
    let failNext = false;
    const injectCommitFailure = (): boolean => {
      const fail = failNext;
      failNext = false;
      return fail;
    };
    const log = openLog({ injectCommitFailure, closeWithoutWriteBehind: true });
    const first = await append(log, left, 'c-1');
    now = T0 + ROUND_DUE;
    const second = await append(log, left, 'c-2'); // its commit starts a round
    failNext = true;
    expect(await rejectionOf(append(log, left, 'c-3')), 'the commit carrying the chunk failed').toBeInstanceOf(PersistenceError);
    expect([log.commandResult(left, 'c-1')?.result, log.commandResult(left, 'c-2')?.result, log.commandResult(left, 'c-3')])
      .toEqual([first, second, undefined]);

    now += ROUND_DUE;
    await append(log, right, 'c-4'); // a new round: c-1, c-2 and c-4
    await append(log, right, 'c-5');
    await log.close();
    expect(await stored(path)).toEqual({ rows: 3, journal: 1 });
    const reopened = openLog();
    expect([reopened.commandResult(left, 'c-1')?.result, reopened.commandResult(left, 'c-2')?.result]).toEqual([first, second]);
  });

  it('refuses a retention that is not a positive integer of milliseconds or Infinity, before creating anything', () => {
    for (const value of [0, -1, 1.5, Number.NaN, '60000', null]) {
      const dir = join(path, `never-${String(value)}`);
      expect(() => openLmdbEventLog({ path: dir, commandIdRetentionMs: value as number })).toThrow(
        new RangeError(`options.commandIdRetentionMs must be a positive integer of milliseconds or Infinity (got ${String(value)})`),
      );
      expect(existsSync(dir)).toBe(false);
    }
  });

  it('keeps every entry with a retention of Infinity (the default of openEventLog)', async () => {
    for (const log of [openLmdbEventLog({ path, clock: () => now }), openLmdbEventLog({ path: join(path, 'forever'), clock: () => now, commandIdRetentionMs: Number.POSITIVE_INFINITY })]) {
      logs.push(log);
      now = T0;
      const result = await append(log, left, 'c-1');
      now = T0 + 100 * 365 * 86_400_000;
      expect(log.commandResult(left, 'c-1')?.result).toEqual(result);
      await log.close();
    }
  });
});

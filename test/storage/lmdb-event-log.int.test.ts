// The event log's contract on a real LMDB environment in a temp folder: what is appended reads
// back by stream and by position; appends of one tick share one commit; an append is checked
// and written all-or-nothing; the ledger, snapshots and numbering survive a reopen; read-only
// opens read everything and write nothing.
import { open } from 'lmdb';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConcurrencyError, EncodingError, NotADataDirectoryError, PersistenceError, ReadOnlyStorageError, SizeLimitError,
} from '../../storage/errors.js';
import type { AppendResult, NewEvent, StoredEvent, StreamRef } from '../../storage/event-log.js';
import { openLmdbEventLog, type EventLogOptions, type LmdbEventLog, type LogSeams } from '../../storage/lmdb-event-log.js';
import { newEvent, rejectionOf, removeDir, storedEvent, tempDataDir, thrownBy } from '../fixtures/storage-kit.js';
import { partitionOf } from '../../projections/partition.js';

const a1: StreamRef = { type: 'account', id: 'a-1' };
const a2: StreamRef = { type: 'account', id: 'a-2' };
const u1: StreamRef = { type: 'user', id: 'u-1' };

describe('LMDB event log', () => {
  let path: string;
  const logs: LmdbEventLog[] = [];

  const openLog = (options: Partial<EventLogOptions & LogSeams> = {}): LmdbEventLog => {
    const log = openLmdbEventLog({ path, ...options });
    logs.push(log);
    return log;
  };
  const reopen = async (log: LmdbEventLog, options: Partial<EventLogOptions & LogSeams> = {}): Promise<LmdbEventLog> => {
    await log.close();
    return openLog(options);
  };

  beforeEach(() => {
    path = tempDataDir();
  });
  afterEach(async () => {
    try {
      for (const log of logs.splice(0)) await log.close();
    } finally {
      removeDir(path);
    }
  });

  describe('append and read back', () => {
    // Positions: a-1@1=1, a-1@2=2, u-1@1=3, a-2@1=4, a-1@3=5.
    const opened = newEvent('Opened', { owner: 'ann', initial: 10 }, { commandId: 'c-1', correlationId: 'k-1', causationId: 'c-0', userId: 'u-7' });
    const deposited = newEvent('Deposited', { amount: 5 }, { commandId: 'c-1' });
    const registered = newEvent('Registered', { name: 'Zoë 🙂 日本', tags: ['a', 'b'], address: { city: 'Gent', zip: null } });
    const openedB = newEvent('Opened', { owner: 'bob', initial: 0 });
    const withdrawn = newEvent('Withdrawn', { amount: 3.25 });
    const e = [
      storedEvent(a1, 1, 1, opened), storedEvent(a1, 2, 2, deposited), storedEvent(u1, 1, 3, registered),
      storedEvent(a2, 1, 4, openedB), storedEvent(a1, 3, 5, withdrawn),
    ] as const;

    async function seed(log: LmdbEventLog): Promise<AppendResult[]> {
      const first = await Promise.all(log.append([
        { stream: a1, expectedVersion: 0, events: [opened, deposited], commandId: 'c-1' },
        { stream: u1, expectedVersion: 0, events: [registered] },
      ]));
      const second = await Promise.all(log.append([
        { stream: a2, expectedVersion: 0, events: [openedB] },
        { stream: a1, expectedVersion: 2, events: [withdrawn] },
      ]));
      return [...first, ...second];
    }

    it('resolves each append with its version, last position and stored events', async () => {
      const log = openLog();
      expect(await seed(log)).toEqual([
        { version: 2, position: 2, events: [e[0], e[1]] },
        { version: 1, position: 3, events: [e[2]] },
        { version: 1, position: 4, events: [e[3]] },
        { version: 3, position: 5, events: [e[4]] },
      ]);
    });

    it('reads a stream by version range', async () => {
      const log = openLog();
      await seed(log);
      expect([...log.readStream(a1)]).toEqual([e[0], e[1], e[4]]);
      expect([...log.readStream(a1, { fromVersion: 2 })]).toEqual([e[1], e[4]]);
      expect([...log.readStream(a1, { toVersion: 2 })]).toEqual([e[0], e[1]]);
      expect([...log.readStream(a1, { fromVersion: 2, toVersion: 2 })]).toEqual([e[1]]);
      expect([...log.readStream(a1, { fromVersion: 0, toVersion: 99 })]).toEqual([e[0], e[1], e[4]]);
      expect([...log.readStream(a1, { fromVersion: 4 })]).toEqual([]);
      expect([...log.readStream(a1, { fromVersion: 3, toVersion: 2 })]).toEqual([]);
      expect([...log.readStream(u1)]).toEqual([e[2]]);
      expect([...log.readStream({ type: 'account', id: 'nobody' })]).toEqual([]);
    });

    it('reads a stream the same when its walk keeps no value, or only some, for the way forward', async () => {
      const write = openLog();
      await seed(write);
      const deposits = Array.from({ length: 40 }, (_, i) => newEvent('Deposited', { amount: i }));
      await Promise.all(interleaved(write, deposits));
      const expected = [...write.readStream(a1)];
      expect(expected.map((event) => event.version)).toEqual(Array.from({ length: 43 }, (_, i) => i + 1));
      for (const streamWalkBytes of [0, 100, 1_000]) {
        const log = await reopen(logs.pop()!, { streamWalkBytes });
        expect([...log.readStream(a1)], `${streamWalkBytes} bytes`).toEqual(expected);
        expect([...log.readStream(a1, { fromVersion: 3, toVersion: 30 })], `${streamWalkBytes} bytes`).toEqual(expected.slice(2, 30));
      }

      /** a-1's deposits, one by one and interleaved with u-1's, so the stream's positions have gaps. */
      function interleaved(log: LmdbEventLog, events: NewEvent[]): Array<Promise<AppendResult>> {
        return events.flatMap((event, i) => log.append([
          { stream: a1, expectedVersion: 3 + i, events: [event] },
          { stream: u1, expectedVersion: 1 + i, events: [event] },
        ]));
      }
    });

    it('reads the global log by position with a limit, and one event at a position', async () => {
      const log = openLog();
      await seed(log);
      expect([...log.readAll()]).toEqual(e);
      expect([...log.readAll({ fromPosition: 3 })]).toEqual([e[2], e[3], e[4]]);
      expect([...log.readAll({ limit: 2 })]).toEqual([e[0], e[1]]);
      expect([...log.readAll({ fromPosition: 2, limit: 3 })]).toEqual([e[1], e[2], e[3]]);
      expect([...log.readAll({ fromPosition: 6 })]).toEqual([]);
      expect(log.eventAt(3)).toEqual(e[2]);
      expect(log.eventAt(5)).toEqual(e[4]);
      expect(log.eventAt(0)).toBeUndefined();
      expect(log.eventAt(6)).toBeUndefined();
    });

    it('reports the head position, stream versions and heads, and lists streams by type', async () => {
      const log = openLog();
      expect(log.headPosition()).toBe(0);
      expect(log.streamVersion(a1)).toBe(0);
      await seed(log);
      expect(log.headPosition()).toBe(5);
      expect(log.streamVersion(a1)).toBe(3);
      expect(log.streamVersion(a2)).toBe(1);
      expect(log.streamVersion({ type: 'account', id: 'nobody' })).toBe(0);
      expect(log.streamHead(a1)).toEqual({ version: 3, position: 5 });
      expect(log.streamHead({ type: 'account', id: 'nobody' })).toBeUndefined();
      expect([...log.streams('account')]).toEqual([
        { type: 'account', id: 'a-1', version: 3, position: 5 },
        { type: 'account', id: 'a-2', version: 1, position: 4 },
      ]);
      expect([...log.streams('user')]).toEqual([{ type: 'user', id: 'u-1', version: 1, position: 3 }]);
      expect([...log.streams()].map((s) => `${s.type}/${s.id}`)).toEqual(['account/a-1', 'account/a-2', 'user/u-1']);
      // A type is matched whole, not as a prefix.
      expect([...log.streams('acc')]).toEqual([]);
      expect([...log.streams('accounts')]).toEqual([]);
    });
  });

  describe('group commit', () => {
    it('puts the appends of one tick in one commit, each resolving with its own result', async () => {
      const log = openLog();
      const commits: number[] = [];
      log.onDurable((head) => commits.push(head));
      const streams = Array.from({ length: 6 }, (_, i) => ({ type: 'account', id: `g-${i}` }));
      const first = log.append(streams.slice(0, 3).map((stream) => ({ stream, expectedVersion: 0, events: [newEvent('Opened', { n: 1 })] })));
      const staged = log.stage({ stream: streams[3]!, expectedVersion: 0, events: [newEvent('Opened', { n: 2 }), newEvent('Deposited', { n: 3 })] });
      // A second append to a stream staged in this tick sees the staged version.
      const pipelined = log.append([{ stream: streams[0]!, expectedVersion: 1, events: [newEvent('Deposited', { n: 4 })] }]);
      expect(log.streamVersion(streams[0]!)).toBe(2);
      expect(staged.result.position).toBe(5);

      const results = await Promise.all([...first, staged.durable, ...pipelined]);
      expect(results.map((r) => [r.version, r.position])).toEqual([[1, 1], [1, 2], [1, 3], [2, 5], [2, 6]]);
      expect(await staged.durable).toEqual(staged.result);
      expect(commits).toEqual([6]);

      await Promise.all(log.append(streams.slice(4).map((stream) => ({ stream, expectedVersion: 0, events: [newEvent('Opened', {})] }))));
      expect(commits).toEqual([6, 8]);
      expect([...log.readAll()].map((event) => event.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('with durability "async" acknowledges at commit and keeps the data', async () => {
      let log = openLog({ durability: 'async' });
      const commits: number[] = [];
      log.onDurable((head) => commits.push(head));
      const first = await log.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', { n: 1 })] }])[0];
      const second = await log.append([{ stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { n: 2 })] }])[0];
      expect([first?.position, second?.position, second?.version]).toEqual([1, 2, 2]);
      expect(commits).toEqual([1, 2]);
      expect(log.headPosition()).toBe(2);
      log = await reopen(log);
      expect([...log.readStream(a1)].map((event) => event.data)).toEqual([{ n: 1 }, { n: 2 }]);
    });

    it('close() settles every staged append before closing', async () => {
      let log = openLog();
      const pending = log.append([1, 2, 3].map((n) => ({ stream: { type: 'account', id: `c-${n}` }, expectedVersion: 0, events: [newEvent('Opened', { n })] })));
      await log.close();
      expect((await Promise.all(pending)).map((r) => r.position)).toEqual([1, 2, 3]);
      log = openLog();
      expect(log.headPosition()).toBe(3);
    });

    it('fails every append not yet durable with PersistenceError when a commit fails, then writes on gapless', async () => {
      let fail = false;
      let log = openLog({ injectCommitFailure: () => fail });
      await log.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', {})] }])[0];
      fail = true;
      const failed = log.append([
        { stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 1 })], commandId: 'c-lost' },
        { stream: a2, expectedVersion: 0, events: [newEvent('Opened', {})] },
      ]);
      await Promise.resolve(); // that commit is issued (and fails); the next one is pipelined behind it
      fail = false;
      const behind = log.append([{ stream: a1, expectedVersion: 2, events: [newEvent('Deposited', { amount: 2 })] }]);
      for (const outcome of await Promise.allSettled([...failed, ...behind])) {
        const error = (outcome as PromiseRejectedResult).reason as PersistenceError;
        expect(error).toBeInstanceOf(PersistenceError);
        expect(error.code).toBe('ERR_PERSISTENCE');
        expect(error.message).toMatch(/^account\/a-[12]: events were not made durable/);
      }
      // Recovered from what is on disk: nothing of the failed appends is seen, numbering goes on.
      expect(log.streamVersion(a1)).toBe(1);
      expect(log.streamVersion(a2)).toBe(0);
      expect(log.commandResult(a1, 'c-lost')).toBeUndefined();
      const next = await log.append([{ stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 3 })] }])[0];
      expect([next?.version, next?.position]).toEqual([2, 2]);
      log = await reopen(log);
      expect([...log.readAll()].map((event) => [event.position, event.aggregateId, event.version, event.data])).toEqual([
        [1, 'a-1', 1, {}],
        [2, 'a-1', 2, { amount: 3 }],
      ]);
    });

    it('refuses appends after close with PersistenceError', async () => {
      const log = openLog();
      await log.close();
      const error = thrownBy(() => log.stage({ stream: a1, expectedVersion: 0, events: [newEvent('Opened', {})] }));
      expect(error).toBeInstanceOf(PersistenceError);
      expect((error as PersistenceError).code).toBe('ERR_PERSISTENCE');
      expect((error as Error).message).toContain('the event log is closed');
      await log.close();
    });
  });

  describe('expected versions', () => {
    it('rejects a stale append alone with ConcurrencyError; the others of the call land', async () => {
      const log = openLog();
      await Promise.all(log.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', {}), newEvent('Deposited', { amount: 1 })] }]));
      const outcomes = await Promise.allSettled(log.append([
        { stream: a2, expectedVersion: 0, events: [newEvent('Opened', {})] },
        { stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 2 })], commandId: 'c-stale' },
        { stream: u1, expectedVersion: 0, events: [newEvent('Registered', {})] },
        { stream: a1, expectedVersion: 5, events: [newEvent('Deposited', { amount: 3 })] },
      ]));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
      expect(outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.position] : []))).toEqual([3, 4]);

      const stale = (outcomes[1] as PromiseRejectedResult).reason as ConcurrencyError;
      expect(stale).toBeInstanceOf(ConcurrencyError);
      expect([stale.code, stale.stream, stale.expected, stale.actual]).toEqual(['ERR_CONCURRENCY', 'account/a-1', 1, 2]);
      expect(stale.message).toContain('account/a-1 is at version 2, not 1');
      const ahead = (outcomes[3] as PromiseRejectedResult).reason as ConcurrencyError;
      expect([ahead.expected, ahead.actual]).toEqual([5, 2]);

      expect(log.streamVersion(a1)).toBe(2);
      expect([...log.readStream(a1)].map((event) => event.data)).toEqual([{}, { amount: 1 }]);
      expect(log.commandResult(a1, 'c-stale')).toBeUndefined();
      expect(log.headPosition()).toBe(4);
    });

    it('counts appends staged earlier in the same call: a second append at the same version is stale', async () => {
      const log = openLog();
      const outcomes = await Promise.allSettled(log.append([
        { stream: a1, expectedVersion: 0, events: [newEvent('Opened', {})] },
        { stream: a1, expectedVersion: 0, events: [newEvent('Opened', { again: true })] },
        { stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 1 })] },
      ]));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const error = (outcomes[1] as PromiseRejectedResult).reason as ConcurrencyError;
      expect([error.constructor, error.expected, error.actual]).toEqual([ConcurrencyError, 0, 1]);
      expect([...log.readStream(a1)].map((event) => [event.version, event.position, event.type])).toEqual([[1, 1, 'Opened'], [2, 2, 'Deposited']]);
    });

    it('stage() throws ConcurrencyError synchronously', () => {
      const log = openLog();
      const error = thrownBy(() => log.stage({ stream: a1, expectedVersion: 3, events: [newEvent('Opened', {})] }));
      expect(error).toBeInstanceOf(ConcurrencyError);
      expect((error as ConcurrencyError).message).toContain('account/a-1 is at version 0, not 3');
    });
  });

  describe('all-or-nothing appends', () => {
    const unencodable: Array<[string, Record<string, unknown>, string]> = [
      ['a function', { amount: 1, callback: () => 1 }, 'data.callback is a function'],
      ['a BigInt too large for 64 bits', { amount: 2n ** 70n }, 'data.amount is a BigInt outside 64 bits'],
      ['a symbol', { amount: Symbol('s') }, 'data.amount is a symbol'],
    ];

    for (const [what, data, fragment] of unencodable) {
      it(`an event holding ${what} throws EncodingError from stage and writes nothing of its append`, async () => {
        let log = openLog();
        await Promise.all(log.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', { owner: 'ann' })] }]));
        const error = thrownBy(() => log.stage({
          stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 1 }), newEvent('Bad', data), newEvent('Deposited', { amount: 2 })],
        }));
        expect(error).toBeInstanceOf(EncodingError);
        expect((error as EncodingError).code).toBe('ERR_ENCODING');
        expect((error as Error).message).toContain('account/a-1: event "Bad" cannot be encoded');
        expect((error as Error).message).toContain(fragment);
        expect(log.streamVersion(a1)).toBe(1);

        // Through append(): that append rejects, the others of the call land.
        const outcomes = await Promise.allSettled(log.append([
          { stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 1 }), newEvent('Bad', data)] },
          { stream: a2, expectedVersion: 0, events: [newEvent('Opened', { owner: 'bob' })] },
        ]));
        expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'fulfilled']);
        expect((outcomes[0] as PromiseRejectedResult).reason).toBeInstanceOf(EncodingError);

        // Later appends continue the numbering with no hole.
        const next = await log.append([{ stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 3 })] }])[0];
        expect([next?.version, next?.position]).toEqual([2, 3]);
        const check = (current: LmdbEventLog) => expect([...current.readAll()].map((event) => [event.position, event.aggregateId, event.version, event.type, event.data])).toEqual([
          [1, 'a-1', 1, 'Opened', { owner: 'ann' }],
          [2, 'a-2', 1, 'Opened', { owner: 'bob' }],
          [3, 'a-1', 2, 'Deposited', { amount: 3 }],
        ]);
        check(log);
        check((log = await reopen(log)));
      });
    }

    it('an event over maxEventBytes throws SizeLimitError and writes nothing of its append', async () => {
      const log = openLog({ maxEventBytes: 256 });
      const error = thrownBy(() => log.stage({
        stream: a1, expectedVersion: 0, events: [newEvent('Opened', { owner: 'ann' }), newEvent('Big', { blob: 'x'.repeat(300) })],
      }));
      expect(error).toBeInstanceOf(SizeLimitError);
      expect((error as SizeLimitError).code).toBe('ERR_SIZE_LIMIT');
      expect((error as Error).message).toMatch(/^event "Big" of account\/a-1 at version 2 is \d{3} bytes, over the limit of 256 bytes: nothing was written$/);
      expect(log.streamVersion(a1)).toBe(0);
      const result = await log.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', { owner: 'ann' })] }])[0];
      expect([result?.version, result?.position]).toEqual([1, 1]);
      expect([...log.readAll()].map((event) => event.type)).toEqual(['Opened']);
    });

    it('a refused event does not disturb the events staged beside it in the same commit', async () => {
      // Each append brings new record shapes, so the refused one fails after msgpackr has
      // registered a shared structure for it: the neighbours must still decode as written.
      let log = openLog();
      const outcomes = await Promise.allSettled(log.append([
        { stream: a1, expectedVersion: 0, events: [newEvent('Opened', { alpha: 1, beta: 'x' })] },
        { stream: a2, expectedVersion: 0, events: [newEvent('Bad', { gamma: 1, big: 2n ** 70n })] },
        { stream: u1, expectedVersion: 0, events: [newEvent('Registered', { delta: 2, epsilon: 'y' })] },
        { stream: a2, expectedVersion: 0, events: [newEvent('Bad', { zeta: 1, fn: () => 0 })] },
        { stream: a2, expectedVersion: 0, events: [newEvent('Opened', { eta: true, theta: [1, 2] })] },
      ]));
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
      const expected = [{ alpha: 1, beta: 'x' }, { delta: 2, epsilon: 'y' }, { eta: true, theta: [1, 2] }];
      expect([...log.readAll()].map((event) => event.data)).toEqual(expected);
      await log.close();
      const reader = openLog({ readOnly: true });
      expect([...reader.readAll()].map((event) => event.data)).toEqual(expected);
      await reader.close();
      log = openLog();
      await log.append([{ stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { iota: 1, alpha: 2 })] }])[0];
      expect([...log.readAll()].map((event) => event.data)).toEqual([...expected, { iota: 1, alpha: 2 }]);
    });
  });

  describe('size limits on keys', () => {
    it('refuses over-long aggregate types, ids and commandIds (in UTF-8 bytes) before anything is written', async () => {
      const log = openLog();
      const attempts: Array<[StreamRef, string | undefined, RegExp]> = [
        [{ type: 'account', id: 'i'.repeat(513) }, undefined, /^aggregate id of account "i{40}…" is 513 bytes, over the limit of 512 bytes: nothing was written$/],
        [{ type: 'account', id: '€'.repeat(171) }, undefined, /^aggregate id of account "€{40}…" is 513 bytes, over the limit of 512 bytes/],
        [{ type: 't'.repeat(129), id: 'a-1' }, undefined, /^aggregate type "t{40}" is 129 bytes, over the limit of 128 bytes/],
        [a1, 'c'.repeat(513), /^commandId of account\/a-1 is 513 bytes, over the limit of 512 bytes: nothing was written$/],
      ];
      for (const [stream, commandId, message] of attempts) {
        const append = { stream, expectedVersion: 0, events: [newEvent('Opened', {})], commandId };
        const error = thrownBy(() => log.stage(append));
        expect(error).toBeInstanceOf(SizeLimitError);
        expect((error as SizeLimitError).code).toBe('ERR_SIZE_LIMIT');
        expect((error as Error).message).toMatch(message);
        expect(await rejectionOf(log.append([append])[0]!)).toBeInstanceOf(SizeLimitError);
      }
      // At the limits exactly, everything is accepted and read back.
      const longest: StreamRef = { type: 't'.repeat(128), id: 'é'.repeat(256) };
      const result = await log.append([{ stream: longest, expectedVersion: 0, events: [newEvent('Opened', {})], commandId: 'c'.repeat(512) }])[0];
      expect(result?.position).toBe(1);
      expect([...log.readStream(longest)].map((event) => [event.aggregateType, event.aggregateId])).toEqual([[longest.type, longest.id]]);
      expect(log.commandResult(longest, 'c'.repeat(512))?.result.position).toBe(1);
      expect([...log.streams()].map((s) => s.id)).toEqual([longest.id]);
      expect(log.headPosition()).toBe(1);
    });
  });

  describe('command ledger', () => {
    it('returns the same result while staged, once durable, and after reopening', async () => {
      let log = openLog();
      const events: NewEvent[] = [newEvent('Opened', { owner: 'ann' }, { commandId: 'c-1' }), newEvent('Deposited', { amount: 5 }, { commandId: 'c-1' })];
      const staged = log.stage({ stream: a1, expectedVersion: 0, events, commandId: 'c-1' });
      const expected: AppendResult = { version: 2, position: 2, events: [storedEvent(a1, 1, 1, events[0]!), storedEvent(a1, 2, 2, events[1]!)] };
      expect(staged.result).toEqual(expected);

      const whileStaged = log.commandResult(a1, 'c-1');
      expect(whileStaged?.result).toEqual(expected);
      expect(await whileStaged?.durable).toEqual(expected);
      expect(await staged.durable).toEqual(expected);

      const durable = log.commandResult(a1, 'c-1');
      expect(durable?.result).toEqual(expected);
      expect(await durable?.durable).toEqual(expected);

      await log.putSnapshot(a1, { version: 2, position: 2, fingerprint: 'f', state: {} });
      log = await reopen(log);
      expect(log.commandResult(a1, 'c-1')?.result).toEqual(expected);
      expect(await log.commandResult(a1, 'c-1')?.durable).toEqual(expected);
    });

    it('scopes commandIds to their stream and records commands that appended no event', async () => {
      let log = openLog();
      await log.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', {})], commandId: 'c-1' }])[0];
      await log.append([{ stream: a2, expectedVersion: 0, events: [newEvent('Opened', {})] }])[0];
      const nothing = await log.append([{ stream: a1, expectedVersion: 1, events: [], commandId: 'c-2' }])[0];
      expect(nothing).toEqual({ version: 1, position: 2, events: [] });
      const check = (current: LmdbEventLog) => {
        expect(current.commandResult(a1, 'c-1')?.result.position).toBe(1);
        expect(current.commandResult(a1, 'c-2')?.result).toEqual({ version: 1, position: 2, events: [] });
        expect(current.commandResult(a2, 'c-1')).toBeUndefined();
        expect(current.commandResult(a1, 'c-3')).toBeUndefined();
        expect(current.headPosition()).toBe(2);
      };
      check(log);
      check((log = await reopen(log)));
    });
  });

  describe('snapshots', () => {
    it('returns the latest snapshot of each stream, after reopening too', async () => {
      let log = openLog();
      expect(log.latestSnapshot(a1)).toBeUndefined();
      const first = { version: 2, position: 2, fingerprint: 'fp-1', state: { value: 'open', context: { balance: 7, tags: ['x'] } } };
      const second = { version: 4, position: 9, fingerprint: 'fp-2', state: { value: { open: 'frozen' }, context: { balance: -1.5, owner: null } } };
      const other = { version: 1, position: 3, fingerprint: 'fp-1', state: 'closed' };
      await log.putSnapshot(a1, first);
      expect(log.latestSnapshot(a1)).toEqual(first);
      await Promise.all([log.putSnapshot(a1, second), log.putSnapshot(a2, other)]);
      const check = (current: LmdbEventLog) => {
        expect(current.latestSnapshot(a1)).toEqual(second);
        expect(current.latestSnapshot(a2)).toEqual(other);
        expect(current.latestSnapshot(u1)).toBeUndefined();
      };
      check(log);
      check((log = await reopen(log)));
      check(openLog({ readOnly: true }));
    });
  });

  describe('reopening', () => {
    it('keeps positions gapless and continues the numbering of the log and of each stream', async () => {
      let log = openLog();
      await Promise.all(log.append([
        { stream: a1, expectedVersion: 0, events: [newEvent('Opened', {}), newEvent('Deposited', { amount: 1 })] },
        { stream: a2, expectedVersion: 0, events: [newEvent('Opened', {})] },
      ]));
      const before = [...log.readAll()];
      log = await reopen(log);
      expect(log.headPosition()).toBe(3);
      expect([...log.readAll()]).toEqual(before);
      expect(log.streamVersion(a1)).toBe(2);

      const stale = await rejectionOf(log.append([{ stream: a1, expectedVersion: 1, events: [newEvent('Deposited', {})] }])[0]!);
      expect([(stale as ConcurrencyError).expected, (stale as ConcurrencyError).actual]).toEqual([1, 2]);
      const next = await Promise.all(log.append([
        { stream: a1, expectedVersion: 2, events: [newEvent('Withdrawn', { amount: 1 })] },
        { stream: u1, expectedVersion: 0, events: [newEvent('Registered', {})] },
      ]));
      expect(next.map((r) => [r.version, r.position])).toEqual([[3, 4], [1, 5]]);

      log = await reopen(log);
      expect([...log.readAll()].map((event) => event.position)).toEqual([1, 2, 3, 4, 5]);
      expect([...log.readStream(a1)].map((event) => [event.version, event.position])).toEqual([[1, 1], [2, 2], [3, 4]]);
    });
  });

  describe('read-only opens', () => {
    it('read everything a writer open next to them has made durable', async () => {
      const writer = openLog();
      await Promise.all(writer.append([{ stream: a1, expectedVersion: 0, events: [newEvent('Opened', { owner: 'ann' })], commandId: 'c-1' }]));
      await writer.putSnapshot(a1, { version: 1, position: 1, fingerprint: 'f', state: { balance: 0 } });
      const reader = openLog({ readOnly: true });
      expect(reader.readOnly).toBe(true);
      expect(reader.path).toBe(path);
      expect([...reader.readAll()]).toEqual([...writer.readAll()]);
      expect([...reader.readStream(a1)]).toEqual([...writer.readStream(a1)]);
      expect(reader.commandResult(a1, 'c-1')?.result).toEqual(writer.commandResult(a1, 'c-1')?.result);
      expect(reader.latestSnapshot(a1)).toEqual({ version: 1, position: 1, fingerprint: 'f', state: { balance: 0 } });
      expect([...reader.streams()]).toEqual([{ type: 'account', id: 'a-1', version: 1, position: 1 }]);

      await writer.append([{ stream: a1, expectedVersion: 1, events: [newEvent('Deposited', { amount: 2 })] }])[0];
      expect(reader.headPosition()).toBe(2);
      expect(reader.streamVersion(a1)).toBe(2);
      expect([...reader.readAll({ fromPosition: 2 })].map((event) => event.data)).toEqual([{ amount: 2 }]);

      // Closing the reader leaves the writer working.
      await reader.close();
      expect((await writer.append([{ stream: a1, expectedVersion: 2, events: [newEvent('Deposited', { amount: 3 })] }])[0])?.position).toBe(3);
    });

    it('refuse every write with TypeError', async () => {
      await openLog().close();
      const reader = openLog({ readOnly: true });
      const append = { stream: a1, expectedVersion: 0, events: [newEvent('Opened', {})] };
      const message = `${path} is open read-only: writes are refused`;
      for (const error of [
        thrownBy(() => reader.stage(append)),
        await rejectionOf(reader.append([append])[0]!),
        thrownBy(() => reader.putSnapshot(a1, { version: 1, position: 1, fingerprint: 'f', state: {} })),
      ]) {
        expect(error).toBeInstanceOf(ReadOnlyStorageError);
        expect((error as ReadOnlyStorageError).code).toBe('ERR_READ_ONLY');
        expect((error as Error).message).toContain(message);
      }
      expect(reader.headPosition()).toBe(0);
    });

    it('throw on a directory that is not a rehydra data directory', async () => {
      expect(() => openLmdbEventLog({ path, readOnly: true })).toThrow(NotADataDirectoryError);
      expect(() => openLmdbEventLog({ path, readOnly: true })).toThrow(`${path} is not a rehydra data directory`);
      expect(() => openLmdbEventLog({ path: join(path, 'missing'), readOnly: true })).toThrow('is not a rehydra data directory');
      mkdirSync(join(path, 'events'));
      expect(() => openLmdbEventLog({ path, readOnly: true })).toThrow(`${path} is not a rehydra data directory`);
      // Another program's LMDB environment where the events should be.
      const foreign = open({ path: join(path, 'events'), maxDbs: 8 });
      await foreign.openDB('things', {}).put('hello', 'world');
      await foreign.close();
      expect(() => openLmdbEventLog({ path, readOnly: true })).toThrow(`${path} is not a rehydra data directory`);
    });
  });

  describe('scanPartition', () => {
    it('splits the log by the id hash: every event in exactly its partition, in order, and reports how far it read', async () => {
      const log = openLog();
      const ids = Array.from({ length: 30 }, (_, i) => `acc-${i}`);
      for (const id of ids) await Promise.all(log.append([{ stream: { type: 'account', id }, expectedVersion: 0, events: [newEvent('Opened', { id })] }]));
      const all = [...log.readAll()];
      const partitions = 3;
      const parts = Array.from({ length: partitions }, (_, partition) => log.scanPartition({ fromPosition: 1, limit: 1_000, partitions, partition }));
      for (const [partition, part] of parts.entries()) {
        expect(part.lastPosition).toBe(30);
        for (const event of part.events) expect(partitionOf(event.aggregateId, partitions)).toBe(partition);
      }
      const merged = parts.flatMap((part) => part.events).sort((x, y) => x.position - y.position);
      expect(merged).toEqual(all);
      expect(parts.every((part) => part.events.length > 0)).toBe(true);
      // A limit bounds the entries read, not the ones kept.
      const first = log.scanPartition({ fromPosition: 11, limit: 5, partitions, partition: 0 });
      expect(first.lastPosition).toBe(15);
      expect(first.events).toEqual(all.slice(10, 15).filter((event) => partitionOf(event.aggregateId, partitions) === 0));
      expect(log.scanPartition({ fromPosition: 31, limit: 5, partitions, partition: 0 })).toEqual({ events: [], lastPosition: 30 });
    });
  });
});

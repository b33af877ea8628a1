// A stored value that is not what rehydra wrote is reported as CorruptDataError naming its key,
// never returned as an event. The values are damaged by opening the same LMDB environment
// (`<path>/events`) directly with lmdb-js, the way a bad disk or a foreign writer would.
import { open, type Database, type Key } from 'lmdb';
import { pack } from 'msgpackr';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CorruptDataError } from '../../storage/errors.js';
import type { EventLog, StoredEvent, StreamRef } from '../../storage/event-log.js';
import { eventsPath, openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { newEvent, removeDir, tempDataDir, thrownBy } from '../fixtures/storage-kit.js';
import { HEADER_BYTES } from '../../storage/codec.js';
import { fingerprintOf } from '../../storage/fingerprint-table.js';
import { encodeJournalGroup, ledgerKeyBytes } from '../../storage/ledger-keys.js';

const a: StreamRef = { type: 'account', id: 'a' };
const b: StreamRef = { type: 'account', id: 'b' };

/** Runs `edit` on one database of the closed environment, values as raw bytes. */
async function withRawDb<T>(path: string, name: string, edit: (db: Database<Buffer, Key>) => T): Promise<T> {
  const env = open({ path: eventsPath(path), maxDbs: 8 });
  try {
    return edit(env.openDB<Buffer, Key>(name, { encoding: 'binary' }));
  } finally {
    await env.close();
  }
}

function rawLogValue(path: string, position: number): Promise<Buffer> {
  return withRawDb(path, 'log', (db) => Buffer.from(db.getBinary(position)!));
}

async function overwrite(path: string, name: string, key: Key, value: Uint8Array): Promise<void> {
  await withRawDb(path, name, (db) => db.putSync(key, Buffer.from(value)));
}

/** Expects `read` to throw CorruptDataError for `key`. */
function expectCorrupt(read: () => unknown, key: string): void {
  const thrown = thrownBy(read);
  expect(thrown).toBeInstanceOf(CorruptDataError);
  const error = thrown as CorruptDataError;
  expect(error.code).toBe('ERR_CORRUPT_DATA');
  expect(error.key).toBe(key);
  expect(error.message).toContain(`stored value at ${key} cannot be decoded`);
}

/** Reads the whole log, returning what was yielded before an error and the error. */
function readAllUntilError(log: EventLog): { read: number[]; error: unknown } {
  const read: number[] = [];
  try {
    for (const event of log.readAll()) read.push(event.position);
  } catch (error) {
    return { read, error };
  }
  return { read, error: undefined };
}

describe('a corrupt stored value', () => {
  let path: string;
  let written: StoredEvent[];

  beforeEach(async () => {
    path = tempDataDir();
    // Positions: a@1=1, a@2=2, b@1=3, b@2=4, a@3=5.
    const log = openLmdbEventLog({ path });
    await Promise.all(log.append([{ stream: a, expectedVersion: 0, events: [newEvent('Opened', { owner: 'ann' }), newEvent('Deposited', { amount: 5 })] }]));
    await Promise.all(log.append([{ stream: b, expectedVersion: 0, events: [newEvent('Opened', { owner: 'bob' }), newEvent('Deposited', { amount: 7 })] }]));
    await Promise.all(log.append([{ stream: a, expectedVersion: 2, events: [newEvent('Withdrawn', { amount: 2 })], commandId: 'c-1' }]));
    await log.putSnapshot(a, { version: 2, position: 2, fingerprint: 'f-1', state: { balance: 5 } });
    written = [...log.readAll()];
    await log.close();
  });
  afterEach(() => removeDir(path));

  const garbage = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 131 + 0xc1) & 0xff);

  // [name, damage, header intact?]: a damaged header also breaks the walk through this event.
  const cases: Array<[string, (original: Buffer) => Uint8Array, boolean]> = [
    ['header intact, record garbled', (original) => Buffer.concat([original.subarray(0, HEADER_BYTES), Buffer.alloc(original.length - HEADER_BYTES, 0xc1)]), true],
    ['header intact, record bytes shuffled', (original) => Buffer.concat([original.subarray(0, HEADER_BYTES), garbage(original.length - HEADER_BYTES, 1)]), true],
    ['header intact, record truncated', (original) => original.subarray(0, HEADER_BYTES + 3), true],
    ['header intact, only the header', (original) => original.subarray(0, HEADER_BYTES), true],
    ['header intact, valid msgpack that is no event', (original) => Buffer.concat([original.subarray(0, HEADER_BYTES), pack({ type: 'Deposited', amount: 1 })]), true],
    ['fully garbled', (original) => Buffer.alloc(original.length, 0xff), false],
    ['fully garbled, random bytes', (original) => garbage(original.length, 7), false],
    ['shorter than the header', () => Uint8Array.of(1, 2), false],
  ];

  for (const [name, damage, headerIntact] of cases) {
    it(`${name}: eventAt, readAll and readStream throw CorruptDataError naming the position`, async () => {
      // b@2 at position 4 is the head of b, so every read of b starts there.
      await overwrite(path, 'log', 4, damage(await rawLogValue(path, 4)));
      const log = openLmdbEventLog({ path, readOnly: true });
      try {
        expectCorrupt(() => log.eventAt(4), 'log position 4');
        const { read, error } = readAllUntilError(log);
        expect(read).toEqual([1, 2, 3]);
        expectCorrupt(() => { throw error; }, 'log position 4');
        expectCorrupt(() => [...log.readStream(b)], 'log position 4');
        expectCorrupt(() => [...log.readStream(b, { fromVersion: 2 })], 'log position 4');
        if (headerIntact) expect([...log.readStream(b, { toVersion: 1 })]).toEqual([written[2]]);
        else expectCorrupt(() => [...log.readStream(b, { toVersion: 1 })], 'log position 4');
        // What is not damaged still reads.
        expect([...log.readAll({ fromPosition: 5 })]).toEqual([written[4]]);
        expect([...log.readStream(a)]).toEqual([written[0], written[1], written[4]]);
        expect(log.eventAt(3)).toEqual(written[2]);
      } finally {
        await log.close();
      }
    });
  }

  it('a damaged prev header is caught while walking the stream, not followed to another event', async () => {
    // a@3 (position 5) now claims its predecessor is b@2 (position 4): a walk that trusted it
    // would return b's events as a's.
    const value = await rawLogValue(path, 5);
    value.writeUIntBE(4, 0, 6);
    await overwrite(path, 'log', 5, value);
    const log = openLmdbEventLog({ path });
    try {
      expect(() => [...log.readStream(a)]).toThrow(CorruptDataError);
      expect(() => [...log.readStream(a)]).toThrow(/account\/a|log position 5/);
      // The checksum covers the header too: the event itself no longer reads.
      expectCorrupt(() => log.eventAt(5), 'log position 5');
      expect(log.eventAt(4)).toEqual(written[3]);
    } finally {
      await log.close();
    }
  });

  it('one flipped bit inside an event is CorruptDataError naming its position, never other data', async () => {
    // Deposited { amount: 7 } at position 4: the bit turns 7 into 6, still a valid record.
    const value = await rawLogValue(path, 4);
    const at = value.lastIndexOf(7);
    value[at] = 6;
    await overwrite(path, 'log', 4, value);
    const log = openLmdbEventLog({ path, readOnly: true });
    try {
      expectCorrupt(() => log.eventAt(4), 'log position 4');
      expect(thrownBy(() => log.eventAt(4))).toHaveProperty('message', expect.stringContaining('checksum mismatch'));
      expectCorrupt(() => [...log.readStream(b)], 'log position 4');
      expect(log.eventAt(3)).toEqual(written[2]);
    } finally {
      await log.close();
    }
  });

  it('a prev header pointing forward or past the log is CorruptDataError naming the event that holds it', async () => {
    const value = await rawLogValue(path, 5);
    value.writeUIntBE(2 ** 40, 0, 6);
    await overwrite(path, 'log', 5, value);
    const log = openLmdbEventLog({ path });
    try {
      expectCorrupt(() => [...log.readStream(a)], 'log position 5');
    } finally {
      await log.close();
    }
  });

  for (const [name, bytes] of [
    ['garbled', Uint8Array.of(0xc1, 0xc1, 0xc1)],
    ['valid msgpack of the wrong shape', pack('not a head')],
    ['valid msgpack array of the wrong types', pack(['1', -3])],
  ] as const) {
    it(`a ${name} heads entry: streamVersion, streamHead, readStream and streams throw CorruptDataError`, async () => {
      await overwrite(path, 'heads', [a.type, a.id], bytes);
      const log = openLmdbEventLog({ path, readOnly: true });
      try {
        expectCorrupt(() => log.streamVersion(a), 'head of account/a');
        expectCorrupt(() => log.streamHead(a), 'head of account/a');
        expectCorrupt(() => [...log.readStream(a)], 'head of account/a');
        expectCorrupt(() => [...log.streams('account')], 'head of account/a');
        // The other stream and the log itself are unaffected.
        expect(log.streamHead(b)).toEqual({ version: 2, position: 4 });
        expect([...log.readAll()]).toEqual(written);
      } finally {
        await log.close();
      }
    });
  }

  it('a corrupt heads entry makes a writing append fail before anything is written', async () => {
    await overwrite(path, 'heads', [a.type, a.id], pack('not a head'));
    const log = openLmdbEventLog({ path });
    try {
      expectCorrupt(() => log.stage({ stream: a, expectedVersion: 3, events: [newEvent('Deposited', { amount: 1 })] }), 'head of account/a');
      await log.append([{ stream: b, expectedVersion: 2, events: [newEvent('Deposited', { amount: 1 })] }])[0];
      expect(log.headPosition()).toBe(6);
    } finally {
      await log.close();
    }
  });

  // c-1 is the journal's only entry, at sequence 1, in the group keyed 1; its 24 bytes follow the group's tag and its kind.
  const garbled = (group: Buffer): Buffer => Buffer.concat([group.subarray(0, 2), Buffer.alloc(24, 0xff), group.subarray(26)]);
  for (const [name, bytes, key] of [
    ['garbled before its key', garbled(encodeJournalGroup([{ entry: { version: 3, position: 5, count: 1, time: 0 }, keyBytes: ledgerKeyBytes(a, 'c-1') }])), 'ledger entry c-1 of account/a'],
    ['cut short (no key)', Uint8Array.of(0xc1, 0xc1), 'ledger journal entry 1'],
    ['pointing at another stream\'s event', encodeJournalGroup([{ entry: { version: 3, position: 4, count: 1, time: 0 }, keyBytes: ledgerKeyBytes(a, 'c-1') }]), 'log position 4'],
    ['carried, pointing past the log', encodeJournalGroup([{ entry: { version: 3, position: 9, count: 1, time: 0 }, print: fingerprintOf(ledgerKeyBytes(a, 'c-1')) }]), 'log position 9'],
  ] as const) {
    it(`a ledger entry ${name}: commandResult throws CorruptDataError naming ${key}`, async () => {
      await overwrite(path, 'ledger-journal', 1, bytes);
      const log = openLmdbEventLog({ path, readOnly: true });
      try {
        expectCorrupt(() => log.commandResult(a, 'c-1'), key);
      } finally {
        await log.close();
      }
    });
  }

  for (const [name, bytes] of [
    ['garbled', Uint8Array.of(0xc1, 0xc1)],
    ['of the wrong shape', pack({ version: 'two', state: {} })],
  ] as const) {
    it(`a snapshot ${name}: latestSnapshot throws CorruptDataError naming the stream`, async () => {
      await overwrite(path, 'snapshots', [a.type, a.id], bytes);
      const log = openLmdbEventLog({ path, readOnly: true });
      try {
        expectCorrupt(() => log.latestSnapshot(a), 'snapshot of account/a');
        expect([...log.readStream(a)]).toEqual([written[0], written[1], written[4]]);
      } finally {
        await log.close();
      }
    });
  }
});

// A data directory keeps the value format it was created with: directories of rehydra 0.1
// (format 1, no checksum) read and append as before; format 2 carries a CRC-32 per event; new ones
// (format 3) also store a commandId once, not three times, and read every metadata back exactly;
// a format marker this version does not know is refused, not guessed at.
import { open } from 'lmdb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CURRENT_FORMAT, HEADER_BYTES } from '../../storage/codec.js';
import { NotADataDirectoryError } from '../../storage/errors.js';
import type { EventMetadata } from '../../storage/event-log.js';
import { eventsPath, openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { newEvent, removeDir, tempDataDir, thrownBy } from '../fixtures/storage-kit.js';

const stream = { type: 'account', id: 'a-1' };

/** The stored format marker and the raw length of the value at `position`. */
async function rawFacts(path: string, position: number): Promise<{ format: unknown; length: number }> {
  const env = open({ path: eventsPath(path), maxDbs: 8 });
  try {
    const format = env.openDB('meta', { useVersions: true }).get('format');
    const length = env.openDB<Buffer, number>('log', { encoding: 'binary' }).getBinary(position)!.length;
    return { format, length };
  } finally {
    await env.close();
  }
}

describe('value formats', () => {
  let path: string;
  beforeEach(() => {
    path = tempDataDir();
  });
  afterEach(() => removeDir(path));

  async function appendDeposit(options: Parameters<typeof openLmdbEventLog>[0], amount: number): Promise<void> {
    const log = openLmdbEventLog(options);
    await log.append([{ stream, expectedVersion: log.streamVersion(stream), events: [newEvent('Deposited', { amount })] }])[0];
    await log.close();
  }

  it('a new directory is format 3: the same event takes 4 bytes more than in format 1 (its checksum)', async () => {
    const old = tempDataDir();
    try {
      await appendDeposit({ path }, 1);
      await appendDeposit({ path: old, newFormat: 1 }, 1);
      const [current, legacy] = [await rawFacts(path, 1), await rawFacts(old, 1)];
      expect(current.format).toBe(CURRENT_FORMAT);
      expect(legacy.format).toBe(1);
      expect(current.length - legacy.length).toBe(4);
      expect(legacy.length).toBeGreaterThan(HEADER_BYTES);
    } finally {
      removeDir(old);
    }
  });

  it('format 3 stores a defaulted correlationId/causationId once, and reads every metadata back exactly, key order included', async () => {
    const id = 'c0ffee00-0000-4000-8000-000000000001';
    const defaulted = { commandId: id, correlationId: id, causationId: id };
    const metadatas: Partial<EventMetadata>[] = [
      defaulted,
      { commandId: id }, // a commandId given in metadata, without its defaults: none appears on read
      { commandId: id, correlationId: 'other', causationId: id },
      { commandId: id, causationId: id, correlationId: id }, // another key order
      { tenant: 't', commandId: id, correlationId: id, causationId: id },
    ];
    const log = openLmdbEventLog({ path });
    const old = tempDataDir();
    const format2 = openLmdbEventLog({ path: old, newFormat: 2 });
    try {
      const events = metadatas.map((metadata, i) => newEvent('Deposited', { amount: i }, metadata));
      await log.append([{ stream, expectedVersion: 0, events }])[0];
      await format2.append([{ stream, expectedVersion: 0, events: events.slice(0, 1) }])[0];
      const read = [...log.readStream(stream)].map((event) => event.metadata);
      expect(read).toEqual(events.map((event) => event.metadata));
      expect(read.map((metadata) => Object.keys(metadata))).toEqual(events.map((event) => Object.keys(event.metadata)));
    } finally {
      await log.close();
      await format2.close();
    }
    const [current, legacy] = [await rawFacts(path, 1), await rawFacts(old, 1)];
    removeDir(old);
    expect(current.format).toBe(3);
    expect(legacy.format).toBe(2);
    // The two 36-character ids are gone, less the marker that says so.
    expect(legacy.length - current.length).toBeGreaterThanOrEqual(2 * 36);
  });

  it('a format-1 directory reads back and appends in format 1 after reopening with this version', async () => {
    await appendDeposit({ path, newFormat: 1 }, 1);
    await appendDeposit({ path }, 2); // reopened without the seam: keeps format 1
    expect((await rawFacts(path, 2)).format).toBe(1);
    const log = openLmdbEventLog({ path, readOnly: true });
    try {
      expect([...log.readStream(stream)].map((event) => [event.version, event.data])).toEqual([[1, { amount: 1 }], [2, { amount: 2 }]]);
    } finally {
      await log.close();
    }
  });

  it('refuses a format marker it does not know, for writing and for reading, and keeps nothing locked', async () => {
    await appendDeposit({ path }, 1);
    const env = open({ path: eventsPath(path), maxDbs: 8 });
    env.openDB('meta', { useVersions: true }).putSync('format', 4);
    await env.close();
    for (const readOnly of [false, true]) {
      const error = thrownBy(() => openLmdbEventLog({ path, readOnly }));
      expect(error).toBeInstanceOf(NotADataDirectoryError);
      expect((error as Error).message).toContain('its format 4 is not one this rehydra reads');
    }
    // The refused writer released its claim: setting the marker back lets this process write.
    const fix = open({ path: eventsPath(path), maxDbs: 8 });
    fix.openDB('meta', { useVersions: true }).putSync('format', CURRENT_FORMAT);
    await fix.close();
    await appendDeposit({ path }, 2);
  });
});

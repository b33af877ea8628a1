// Codec round trip: what is appended is what is read back, for arbitrary JSON-like event data
// and metadata, through a real log (shared structures saved in the environment, then read by a
// fresh process-side codec after reopening); and the 6-byte prev header round-trips up to 2^47.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventCodec, readPrev, type EventRecord } from '../../storage/codec.js';
import type { NewEvent, StreamRef } from '../../storage/event-log.js';
import { openLmdbEventLog, type LmdbEventLog } from '../../storage/lmdb-event-log.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

// Outside the identity, by msgpackr's design: -0 is written as the integer 0 (as in JSON); a
// `__proto__` key is read back as `__proto_` (its guard against prototype pollution); a lone
// surrogate has no UTF-8 form. So strings are whole code points and those two are left out.
const noNegativeZero = (value: unknown): unknown => (Object.is(value, -0) ? 0 : value);
const hasProtoKey = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && (Object.hasOwn(value, '__proto__') || Object.values(value).some(hasProtoKey));
const text = fc.string({ unit: 'grapheme', maxLength: 16 });
const key = text.filter((k) => k !== '__proto__');
const json = fc
  .jsonValue({ stringUnit: 'grapheme', maxDepth: 4 })
  .filter((value) => !hasProtoKey(value))
  .map((value) => JSON.parse(JSON.stringify(value), (_, v: unknown) => noNegativeZero(v)) as unknown);
const numbers = fc.oneof(
  fc.integer(),
  fc.maxSafeInteger(),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => noNegativeZero(n) as number),
  fc.constantFrom(2 ** 31, -(2 ** 31) - 1, 2 ** 32, 2 ** 53 - 1, -(2 ** 53) + 1, 0.1, -1.5e-300, 1.7976931348623157e308),
);
const data: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  // Arbitrary keys: one-off shapes.
  fc.dictionary(key, json, { maxKeys: 8, noNullPrototype: true }),
  // The usual event: the same few keys again and again, so shared structures are reused.
  fc.record(
    { amount: numbers, owner: text, note: fc.option(text, { nil: null }), flags: fc.array(fc.boolean(), { maxLength: 4 }), nested: fc.record({ at: numbers, tags: fc.array(text, { maxLength: 3 }) }) },
    { requiredKeys: ['amount'] },
  ),
);
const metadata = fc.record(
  { commandId: text, correlationId: text, userId: text, extra: json },
  { requiredKeys: [] },
).map((rest) => ({ timestamp: 1_700_000_000_000, ...rest }));

describe('codec round trip', () => {
  let path: string;
  let log: LmdbEventLog;
  const written: Array<{ stream: StreamRef; event: NewEvent }> = [];

  beforeAll(() => {
    path = tempDataDir();
    log = openLmdbEventLog({ path });
  });
  afterAll(async () => {
    try {
      await log.close();
    } finally {
      removeDir(path);
    }
  });

  it('reads back every event exactly as appended', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), data, metadata, async (type, eventData, eventMetadata) => {
        const stream = { type: 'codec', id: `s-${written.length}` };
        const event: NewEvent = { type, data: eventData, metadata: eventMetadata };
        written.push({ stream, event });
        await log.append([{ stream, expectedVersion: 0, events: [event] }])[0];
        const [read] = [...log.readStream(stream)];
        expect([read?.type, read?.data, read?.metadata]).toEqual([type, eventData, eventMetadata]);
      }),
      { numRuns: 300 },
    );
  });

  it('reads back many new shapes staged in one commit, each as appended', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(data, { minLength: 1, maxLength: 20 }), async (batch) => {
        const appends = batch.map((eventData) => {
          const stream = { type: 'codec', id: `s-${written.length}` };
          const event: NewEvent = { type: 'Batched', data: eventData, metadata: { timestamp: 1 } };
          written.push({ stream, event });
          return { stream, expectedVersion: 0, events: [event] };
        });
        await Promise.all(log.append(appends));
        expect(appends.map(({ stream }) => [...log.readStream(stream)][0]?.data)).toEqual(batch);
      }),
      { numRuns: 40 },
    );
  });

  it('reads them back the same after reopening, read-only, from the stored structures', async () => {
    // Shrinking, when a run fails, appends more than numRuns events: all of them are compared.
    expect(written.length).toBeGreaterThanOrEqual(300);
    await log.close();
    const reader = openLmdbEventLog({ path, readOnly: true });
    try {
      const read = [...reader.readAll()];
      expect(read.map((e) => [e.aggregateId, e.type, e.data, e.metadata])).toEqual(
        written.map(({ stream, event }) => [stream.id, event.type, event.data, event.metadata]),
      );
    } finally {
      await reader.close();
      log = openLmdbEventLog({ path });
    }
  });
});

describe('prev header', () => {
  const record: EventRecord = { aggregateType: 'account', aggregateId: 'a-1', version: 1, type: 'Opened', data: { n: 1 }, metadata: { timestamp: 1 } };

  function memoryCodec() {
    let structures: unknown[] | undefined;
    return createEventCodec({ load: () => structures, save: (value) => (structures = value) }, false);
  }

  it('round-trips any position up to 2^47 without touching the record', () => {
    const codec = memoryCodec();
    const edges = fc.constantFrom(0, 1, 255, 256, 65_535, 2 ** 24, 2 ** 32 - 1, 2 ** 32, 2 ** 40, 2 ** 47 - 1, 2 ** 47);
    fc.assert(
      fc.property(fc.oneof(edges, fc.bigInt({ min: 0n, max: 2n ** 47n }).map(Number)), (prev) => {
        const value = codec.encode(record, prev);
        expect(readPrev(value)).toBe(prev);
        expect(codec.decode(value, prev + 1)).toEqual(record);
      }),
      { numRuns: 500 },
    );
  });
});

describe('a value in a reused read buffer', () => {
  // lmdb-js's getBinaryFast copies each value into one long-lived buffer and shadows its `length`
  // with the value's size; the bytes past it are whatever a longer earlier value left there.
  // Buffer#subarray ignores that shadowing on Node >= 24.15, Uint8Array#subarray on every Node.
  const record: EventRecord = { aggregateType: 'account', aggregateId: 'a-1', version: 2, type: 'Deposited', data: { amount: 2 }, metadata: { timestamp: 1 } };

  function inReusedBuffer(value: Buffer, make: (size: number) => Uint8Array): Uint8Array {
    const shared = make(value.length + 64).fill(0xc1); // 0xc1: never valid msgpack
    shared.set(value);
    Object.defineProperty(shared, 'length', { value: value.length, writable: true, configurable: true });
    return shared;
  }

  it('is decoded up to its own length, not the buffer\'s', () => {
    let structures: unknown[] | undefined;
    const codec = createEventCodec({ load: () => structures, save: (value) => (structures = value) }, false);
    const value = codec.encode(record, 1);
    expect(codec.decode(inReusedBuffer(value, (size) => Buffer.alloc(size)), 2)).toEqual(record);
    expect(codec.decode(inReusedBuffer(value, (size) => new Uint8Array(size)), 2)).toEqual(record);
  });
});

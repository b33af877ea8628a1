// Event values: a 10-byte header — the 6-byte big-endian `prev` (the position of the previous
// event of the same stream, 0 for the first) and the 4-byte FNV-1a hash of the aggregate id —
// then (format 2) a 4-byte CRC-32 of every other byte of the value, then a msgpackr record. The
// header lets a stream be walked backwards, and a projection partition skip other partitions'
// events, without decoding; the checksum makes a flipped bit an error instead of data (LMDB does
// not checksum values); the record uses shared structures persisted in the environment so that
// every thread and every restart decodes the same ids (see msgpackr "Shared Record Structures").
import { Packr } from 'msgpackr';
import { crc32 } from './crc32.js';
import { CorruptDataError } from './errors.js';
import type { EventMetadata } from './event-log.js';
import { fnv1a } from './id-hash.js';
import { assertStorable } from './storable.js';

/** The part of an event that is stored under its position (position itself is the key). */
export interface EventRecord {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly version: number;
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: EventMetadata;
}

/** Where the shared structures live: read on demand by decoders, written by the single writer. */
export interface StructureStore {
  load(): unknown[] | undefined;
  save(structures: unknown[]): void;
}

const PREV_BYTES = 6;
/** Bytes read without decoding: prev (6) and the aggregate id's hash (4). */
export const HEADER_BYTES = PREV_BYTES + 4;
const CHECKSUM_BYTES = 4;

/**
 * The value layout of a data directory, kept in its meta database: 1 = header + record (rehydra
 * 0.1), 2 = header + CRC-32 + record, 3 = as 2, with the correlationId and causationId left out
 * where they hold their default, the commandId (see compact). A directory keeps the format it
 * was created with.
 */
export type EventFormat = 1 | 2 | 3;
/** The format of directories created now. */
export const CURRENT_FORMAT: EventFormat = 3;

/** A format-3 record whose correlationId and causationId were left out: both are its commandId. */
interface CompactRecord extends EventRecord {
  readonly idsDefaulted: true;
}

/**
 * The record format 3 stores: without the last two metadata keys when they are correlationId and
 * causationId equal to the commandId (the layout metadataOf builds when neither is given), so a
 * commandId is stored once, not three times. Only that exact layout: restore() appends the two
 * keys back, and any other order or value would not read back as written.
 */
function compact(record: EventRecord): EventRecord | CompactRecord {
  const { metadata } = record;
  const commandId = metadata.commandId;
  if (commandId === undefined || metadata.correlationId !== commandId || metadata.causationId !== commandId) return record;
  const keys = Object.keys(metadata);
  const n = keys.length;
  if (keys[n - 2] !== 'correlationId' || keys[n - 1] !== 'causationId') return record;
  let kept: Record<string, unknown>;
  if (n === 4 && keys[0] === 'timestamp' && keys[1] === 'commandId') {
    // The runtime's own layout when the caller passes no metadata: one literal, one shape.
    kept = { timestamp: metadata.timestamp, commandId };
  } else {
    kept = {};
    for (let i = 0; i < n - 2; i++) kept[keys[i]!] = metadata[keys[i]!];
  }
  const { aggregateType, aggregateId, version, type, data } = record;
  return { aggregateType, aggregateId, version, type, data, metadata: kept as unknown as EventMetadata, idsDefaulted: true };
}

/** The record as written: compact()'s left-out keys back, in their place (last). */
function restore(record: EventRecord | CompactRecord): EventRecord {
  if (!('idsDefaulted' in record)) return record;
  const metadata = record.metadata as Record<string, unknown>;
  metadata.correlationId = metadata.commandId;
  metadata.causationId = metadata.commandId;
  const { aggregateType, aggregateId, version, type, data } = record;
  return { aggregateType, aggregateId, version, type, data, metadata: metadata as EventMetadata };
}

/** The CRC-32 of a format-2 value at `start`: the header, then the record (everything but the checksum field). */
function checksumOf(value: Uint8Array, start: number, end: number): number {
  return crc32(value, start + HEADER_BYTES + CHECKSUM_BYTES, end, crc32(value, start, start + HEADER_BYTES));
}

function readUInt32(value: Uint8Array, at: number): number {
  return ((value[at]! << 24) >>> 0) + (value[at + 1]! << 16) + (value[at + 2]! << 8) + value[at + 3]!;
}

/** Encodes and decodes event values; one instance per open environment and thread. */
export interface EventCodec {
  encode(record: EventRecord, prev: number): Buffer;
  /** Decodes the value in `value[start..end)` (by default all of it); `position` names it in errors. */
  decode(value: Uint8Array, position: number, start?: number, end?: number): EventRecord;
  /** Writes the whole structure table again (after a failed commit may have lost the last save). */
  resave(): void;
}

/** Reads the prev pointer without decoding the record. */
export function readPrev(value: Uint8Array): number {
  return (
    value[0]! * 2 ** 40 + value[1]! * 2 ** 32 + ((value[2]! << 24) >>> 0) + (value[3]! << 16) + (value[4]! << 8) + value[5]!
  );
}

/** Reads the aggregate id's FNV-1a hash without decoding the record. */
export function readIdHash(value: Uint8Array): number {
  return readUInt32(value, PREV_BYTES);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isEventRecord(value: unknown): value is EventRecord {
  return (
    isObject(value) && typeof value.aggregateType === 'string' && typeof value.aggregateId === 'string' &&
    Number.isSafeInteger(value.version) && (value.version as number) >= 1 && typeof value.type === 'string' &&
    isObject(value.data) && isObject(value.metadata)
  );
}

function describeValue(value: unknown): string {
  if (!isObject(value)) return Array.isArray(value) ? 'an array' : typeof value;
  return `an object with keys ${Object.keys(value).slice(0, 8).join(', ')}`;
}

/** Creates the codec over a structure store for values of `format`. `readOnly` codecs never add structures. */
export function createEventCodec(store: StructureStore, readOnly: boolean, format: EventFormat = CURRENT_FORMAT): EventCodec {
  const recordAt = format === 1 ? HEADER_BYTES : HEADER_BYTES + CHECKSUM_BYTES;
  let saved: unknown[] = [];
  const packr = new Packr({
    maxSharedStructures: 256,
    // Dynamic-keyed objects (maps of ids) would fill the table with one-off shapes.
    shouldShareStructure: (keys: string[]) => keys.length <= 32,
    // The writer's table can be ahead of the stored one (saved in a batch not yet committed);
    // msgpackr reloads it after a failed pack, and the stored copy would reuse ids already written.
    getStructures: () => (saved.length > 0 ? saved : store.load()) ?? [],
    saveStructures: readOnly
      ? undefined
      : (structures: unknown[]) => {
          saved = structures;
          store.save(structures);
          return true;
        },
    copyBuffers: true,
  } as ConstructorParameters<typeof Packr>[0]);

  return {
    encode(record, prev) {
      // Refused, not mangled: what msgpackr would change would replay differently (see storable.ts).
      assertStorable(record.type, 'type');
      assertStorable(record.data, 'data');
      assertStorable(record.metadata, 'metadata');
      const body = packr.pack(format === 3 ? compact(record) : record);
      const value = Buffer.allocUnsafe(recordAt + body.length);
      value.writeUIntBE(prev, 0, PREV_BYTES);
      value.writeUInt32BE(fnv1a(record.aggregateId), PREV_BYTES);
      value.set(body, recordAt);
      if (format !== 1) value.writeUInt32BE(checksumOf(value, 0, value.length), HEADER_BYTES);
      return value;
    },
    // `end` defaults to the own `length`: lmdb-js's getBinaryFast returns its one reused buffer with
    // an own `length` property shadowing the real one, and Buffer#subarray reads the real length on
    // Node >= 24.15, which would hand msgpackr the stale bytes after this value too.
    decode(value, position, start = 0, end = value.length) {
      try {
        if (end - start <= recordAt) throw new Error(`${end - start} bytes is shorter than the ${recordAt}-byte header and a record`);
        if (format !== 1) {
          const stored = readUInt32(value, start + HEADER_BYTES);
          const computed = checksumOf(value, start, end);
          if (stored !== computed) throw new Error(`checksum mismatch (stored ${stored.toString(16)}, computed ${computed.toString(16)}): the bytes changed after they were written`);
        }
        // A range, not a subarray: msgpackr keeps one DataView per source buffer, so a view per value would cost one each.
        const record = packr.unpack(value, { start: start + recordAt, end }) as unknown;
        if (!isEventRecord(record)) throw new Error(`expected an event record, got ${describeValue(record)}`);
        return format === 3 ? restore(record) : record;
      } catch (error) {
        throw new CorruptDataError(`log position ${position}`, error);
      }
    },
    resave() {
      if (saved.length > 0) store.save(saved);
    },
  };
}

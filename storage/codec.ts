// Event values: a 6-byte big-endian `prev` header (the position of the previous event of the
// same stream, 0 for the first) followed by a msgpackr record. The header lets a stream be walked
// backwards without decoding; the record uses shared structures persisted in the environment so
// that every thread and every restart decodes the same ids (see msgpackr "Shared Record Structures").
import { Packr } from 'msgpackr';
import { CorruptDataError } from '../runtime/errors.js';
import type { EventMetadata } from './event-log.js';

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

export const PREV_BYTES = 6;

/** Encodes and decodes event values; one instance per open environment and thread. */
export interface EventCodec {
  encode(record: EventRecord, prev: number): Buffer;
  decode(value: Uint8Array, position: number): EventRecord;
  /** Writes the whole structure table again (after a failed commit may have lost the last save). */
  resave(): void;
}

/** Reads the prev pointer without decoding the record. */
export function readPrev(value: Uint8Array): number {
  return (
    value[0]! * 2 ** 40 + value[1]! * 2 ** 32 + ((value[2]! << 24) >>> 0) + (value[3]! << 16) + (value[4]! << 8) + value[5]!
  );
}

function writePrev(target: Buffer, prev: number): void {
  target.writeUIntBE(prev, 0, PREV_BYTES);
}

/** Creates the codec over a structure store. `readOnly` codecs never add structures. */
export function createEventCodec(store: StructureStore, readOnly: boolean): EventCodec {
  let saved: unknown[] = [];
  const packr = new Packr({
    maxSharedStructures: 256,
    // Dynamic-keyed objects (maps of ids) would fill the table with one-off shapes.
    shouldShareStructure: (keys: string[]) => keys.length <= 32,
    getStructures: () => store.load() ?? [],
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
      const body = packr.pack(record);
      const value = Buffer.allocUnsafe(PREV_BYTES + body.length);
      writePrev(value, prev);
      value.set(body, PREV_BYTES);
      return value;
    },
    decode(value, position) {
      try {
        const record = packr.unpack(value.subarray(PREV_BYTES)) as EventRecord;
        if (typeof record !== 'object' || record === null || typeof record.type !== 'string') {
          throw new Error(`expected an event record, got ${typeof record}`);
        }
        return record;
      } catch (error) {
        throw new CorruptDataError(`log position ${position}`, error);
      }
    },
    resave() {
      if (saved.length > 0) store.save(saved);
    },
  };
}

// The views environment, `<path>/views`, apart from the events one so that projection writes
// never take the event writer's lock. Owns: a batch's view changes and its partition checkpoint
// commit in one transaction (exactly-once); each view generation is the disjoint key range
// [projection, generation, key], so a rebuilt view is switched to by one write.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import { Packr } from 'msgpackr';
import { SizeLimitError } from './errors.js';
import { OpenRequests } from './open-requests.js';

/** The generation readers see and how many partitions build it. */
export interface ActiveGeneration {
  readonly generation: number;
  readonly partitions: number;
}

/** A decoded view entry. */
export interface ViewEntry {
  readonly key: string;
  readonly value: unknown;
}

/** A range read of a view: `start` inclusive, `end` exclusive, keys in UTF-8 byte order. */
export interface ViewRange {
  readonly start?: string;
  readonly end?: string;
  readonly limit?: number;
}

/** What one batch changes, committed together with the checkpoint. */
export interface ViewChanges {
  /** Encoded values to put; `undefined` deletes the key. */
  readonly writes: ReadonlyMap<string, Uint8Array | undefined>;
  /** Called inside the transaction: bytes that reads outside it saw; if any changed since, the batch conflicts. */
  readonly reads?: (() => Iterable<[key: string, seen: Uint8Array | undefined]>) | undefined;
}

/** Largest view key in UTF-8 bytes (LMDB keys are at most 1,978 bytes with the prefix). */
export const MAX_VIEW_KEY_BYTES = 1024;

/** Keys removed per transaction when dropping a generation, so the write lock is never held long. */
const DROP_CHUNK = 10_000;

// Plain msgpack (no shared structures): any thread decodes a value without shared state.
const packr = new Packr({ useRecords: false });

/** Encodes a view value as stored. */
export function encodeValue(value: unknown): Uint8Array {
  return packr.pack(value);
}

/** Decodes a stored view value; `undefined` stays `undefined`. */
export function decodeValue(raw: Uint8Array | undefined): unknown {
  return raw === undefined ? undefined : packr.unpack(raw);
}

/** Throws unless `key` can be a view key. */
export function checkViewKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') throw new TypeError(`a view key must be a string (got ${typeof key})`);
  // A UTF-16 code unit is at most 3 UTF-8 bytes: a short key needs no byte count (handlers call this per get and put).
  if (key.length * 3 <= MAX_VIEW_KEY_BYTES) return;
  const bytes = Buffer.byteLength(key);
  if (bytes > MAX_VIEW_KEY_BYTES) throw new SizeLimitError(`view key "${key.slice(0, 40)}…"`, bytes, MAX_VIEW_KEY_BYTES);
}

/** The directory of the views environment inside a data directory. */
export function viewsPath(path: string): string {
  return join(path, 'views');
}

/** Opens (creating if needed) the views environment of a data directory, in this thread. */
export function openViewStore(path: string): ViewStore {
  return new ViewStore(path);
}

/** Views and checkpoints of one data directory; one instance per thread. */
export class ViewStore {
  private readonly env: RootDatabase;
  private readonly views: Database<Buffer, Key[]>;
  private readonly checkpoints: Database<number, Key[]>;
  private readonly generations: Database<[number, number], string>;
  private readonly stopHolding: () => void;

  constructor(readonly path: string) {
    const dir = viewsPath(path);
    mkdirSync(dir, { recursive: true });
    // Views are derived from the log: a commit must be atomic (view + checkpoint), not durable on its own.
    // noMetaSync keeps LMDB's ACI guarantees and saves one fsync per commit; a power loss can
    // undo the last commits, which then are applied again (see LMDB's MDB_NOMETASYNC).
    this.env = open({ path: dir, maxDbs: 4, noMetaSync: true });
    // A reader opening the views (checkpoints) beside this writer must see no commit land meanwhile.
    this.stopHolding = OpenRequests.holdAlso(path, this.env);
    this.views = this.env.openDB<Buffer, Key[]>('views', { encoding: 'binary' });
    this.checkpoints = this.env.openDB<number, Key[]>('checkpoints', {});
    this.generations = this.env.openDB<[number, number], string>('generations', {});
  }

  /** The stored bytes of `key` (a copy), or undefined. */
  getRaw(projection: string, generation: number, key: string): Uint8Array | undefined {
    return this.views.getBinary([projection, generation, key]);
  }

  /** Decoded entries of one generation within `range`, in key order. */
  range(projection: string, generation: number, range: ViewRange = {}): ViewEntry[] {
    const start = range.start === undefined ? [projection, generation] : [projection, generation, range.start];
    const end = range.end === undefined ? [projection, generation + 1] : [projection, generation, range.end];
    const entries: ViewEntry[] = [];
    for (const { key, value } of this.views.getRange({ start, end, limit: range.limit })) {
      entries.push({ key: key[2] as string, value: decodeValue(value) });
    }
    return entries;
  }

  /** The last position a partition applied, undefined before its first commit. */
  checkpoint(projection: string, generation: number, partition: number): number | undefined {
    return this.checkpoints.get([projection, generation, partition]);
  }

  /** Every generation of `projection` with a checkpoint (any generation holding view data has one). */
  storedGenerations(projection: string): number[] {
    const found = new Set<number>();
    for (const key of this.checkpoints.getKeys({ start: [projection] })) {
      if (key[0] !== projection) break;
      found.add(key[1] as number);
    }
    return [...found];
  }

  /** The generation readers use, undefined for a projection never started. */
  active(projection: string): ActiveGeneration | undefined {
    const value = this.generations.get(projection);
    return value && { generation: value[0], partitions: value[1] };
  }

  /** Makes `active` the generation readers use, in one write. */
  async activate(projection: string, active: ActiveGeneration): Promise<void> {
    await this.generations.put(projection, [active.generation, active.partitions]);
  }

  /**
   * Writes a batch's changes and the partition's checkpoint in one synchronous transaction;
   * returns false, writing nothing, when a read of the batch went stale (another partition wrote it).
   */
  commit(projection: string, generation: number, partition: number, position: number, changes: ViewChanges): boolean {
    const committed = this.views.transactionSync(() => {
      for (const [key, seen] of changes.reads?.() ?? []) {
        if (!sameBytes(this.views.getBinary([projection, generation, key]), seen)) return false;
      }
      for (const [key, raw] of changes.writes) {
        if (raw === undefined) void this.views.remove([projection, generation, key]);
        else void this.views.put([projection, generation, key], raw as Buffer);
      }
      void this.checkpoints.put([projection, generation, partition], position);
      return true;
    });
    this.refresh();
    return committed;
  }

  /** Removes a generation's view entries (in chunks), then its checkpoints. */
  dropGeneration(projection: string, generation: number): void {
    const start = [projection, generation];
    const end = [projection, generation + 1];
    for (let removed = DROP_CHUNK; removed === DROP_CHUNK; ) {
      removed = this.views.transactionSync(() => {
        const keys = [...this.views.getKeys({ start, end, limit: DROP_CHUNK })];
        for (const key of keys) void this.views.remove(key);
        return keys.length;
      });
    }
    this.checkpoints.transactionSync(() => {
      for (const key of [...this.checkpoints.getKeys({ start, end })]) void this.checkpoints.remove(key);
    });
    this.refresh();
  }

  /** Starts a fresh read snapshot, so the next read sees every commit made so far by any thread. */
  refresh(): void {
    this.env.resetReadTxn();
  }

  async close(): Promise<void> {
    this.stopHolding();
    await this.env.close();
  }
}

function sameBytes(current: Uint8Array | undefined, seen: Uint8Array | undefined): boolean {
  if (current === undefined || seen === undefined) return current === seen;
  return Buffer.compare(current, seen) === 0;
}

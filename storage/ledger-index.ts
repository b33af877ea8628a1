// The command ledger: (stream, commandId) → the command's first result, for the newest
// `retentionCount` commands with an id and at most `retentionMs` after each was handled. On disk
// it is a journal keyed by an ascending sequence: a command adds its entry (the result, then the
// key that names it) in its own commit, at the right edge of the tree like the log, so an entry
// costs a share of a page however large the ledger has grown; trimming removes entries at the
// left edge. Earlier versions kept a table keyed by (stream, commandId) and wrote into it behind:
// inserts at random places in a large tree, a 4 KiB page per entry once it held millions. In
// memory, a fingerprint table finds the sequences that may hold a key, so looking up a new id
// reads nothing from disk; a candidate is confirmed against the key stored in its entry.
import type { Database, Key } from 'lmdb';
import { CorruptDataError } from './errors.js';
import type { StagedAppend, StreamRef } from './event-log.js';
import { FingerprintTable } from './fingerprint-table.js';
import type { Batch } from './group-commit.js';
import { streamName } from './keys.js';
import {
  decodeJournalEntry, decodeLedgerValue, encodeJournalValue, isLedgerKey, ledgerKey, type LedgerEntry, VALUE_BYTES,
} from './ledger-keys.js';

export type { LedgerEntry } from './ledger-keys.js';

/** Where earlier versions noted how far their table was written: present only before migration. */
const LEDGER_AT = 'ledgerAt';
/** How long createRuntime keeps a commandId by default: a day. */
export const DEFAULT_RETENTION_MS = 86_400_000;
/** How many commandIds createRuntime keeps by default (the newest; about 24–48 MB of fingerprints). */
export const DEFAULT_RETENTION_COUNT = 1_000_000;
/** Journal entries a commit removes at most, so that no commit carries thousands of removals. */
const TRIM_CHUNK = 1_024;

/** `options.commandIdRetentionMs`, checked: a positive integer of milliseconds, or Infinity (kept for good). */
export function resolveRetention(value: unknown, fallback: number): number {
  return positiveOrInfinity('commandIdRetentionMs', 'of milliseconds', value, fallback);
}

/** `options.commandIdRetentionCount`, checked: a positive integer, or Infinity (no count limit). */
export function resolveRetentionCount(value: unknown, fallback: number): number {
  return positiveOrInfinity('commandIdRetentionCount', 'of commands', value, fallback);
}

function positiveOrInfinity(option: string, unit: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 1))) return value;
  throw new RangeError(`options.${option} must be a positive integer ${unit} or Infinity (got ${String(value)})`);
}

/** A ledgered command: its entry, and while its commit is pending, the staged append to wait on. */
export interface LedgerHit extends LedgerEntry {
  readonly staged: StagedAppend | undefined;
}

/** An entry whose commit is pending: the only entries held in memory beyond their fingerprint. */
interface Slot extends LedgerHit {
  readonly seq: number;
  /** Its journal value: the entry's bytes, then the key. */
  readonly value: Buffer;
}

/** Where the ledger lives. */
export interface LedgerStore {
  /** Undefined only in a reader of a directory written before the journal existed. */
  readonly journal: Database<Buffer, number> | undefined;
  /** The table of earlier versions: a writer moves its rows into the journal on open; a reader reads it. */
  readonly legacy: Database<Buffer, Buffer>;
  readonly meta: Database;
  readonly readOnly: boolean;
  readonly retentionMs: number;
  readonly retentionCount: number;
  /** The clock retention is measured by (ms since the epoch). */
  now(): number;
  /** fingerprintOf, unless a test makes every key collide. */
  fingerprint(bytes: Uint8Array, start: number): [number, number];
}

/** The command ledger of one events environment, as the writer (or a reader) sees it. */
export class LedgerIndex {
  private readonly fingerprints = new FingerprintTable();
  /** Entries staged into a batch whose commit has not settled, by sequence. */
  private readonly pending = new Map<number, Slot>();
  /** The slots staged into the batch being filled: one afterCommit callback per batch, not per command. */
  private staging: { readonly batch: Batch; readonly slots: Slot[] } | undefined;
  /** The last sequence issued (writer) or read (reader). */
  private seq = 0;
  /** The highest sequence whose commit has been seen; every lower one committed or failed. */
  private committedTo = 0;
  /** The first sequence still in the journal. */
  private floor = 1;
  /** When the entry at `floor` was handled, once read (trimming waits until it can have expired). */
  private floorTime: number | undefined;
  private trimming = false;
  /** The last key looked up: the log looks a command up and then records it, one key for both. */
  private lastKey: { stream: StreamRef; commandId: string; key: Buffer; a: number; b: number } | undefined;
  /** A reader of a directory no writer has migrated yet reads the earlier table too. */
  private readonly legacyRows: boolean;

  constructor(private readonly store: LedgerStore) {
    if (!store.readOnly) this.migrate();
    this.legacyRows = store.readOnly && hasRows(store.legacy);
    const first = store.journal && firstKey(store.journal, 1);
    if (first !== undefined) this.raiseFloor(first);
    this.seq = this.floor - 1;
    this.readJournal();
  }

  /** The command's entry if it is within retention: staged (commit pending) or in the journal. */
  lookup(stream: StreamRef, commandId: string): LedgerHit | undefined {
    if (this.store.readOnly) this.readJournal();
    const { key, a, b } = this.keyOf(stream, commandId);
    const found = this.fingerprints.find(a, b);
    if (found) {
      for (const seq of found) {
        const hit = this.confirm(seq, key, stream, commandId);
        if (hit) return this.retained(seq, hit.time) ? hit : undefined;
      }
    }
    return this.legacyRows ? this.readLegacy(stream, commandId, key) : undefined;
  }

  /** Records a staged command: its journal entry joins `batch`'s commit. */
  record(stream: StreamRef, commandId: string, entry: LedgerEntry, staged: StagedAppend, batch: Batch): void {
    const { key, a, b } = this.keyOf(stream, commandId);
    const { version, position, count, time } = entry;
    const slot: Slot = { seq: ++this.seq, value: encodeJournalValue(entry, key), version, position, count, time, staged };
    batch.putNew(this.store.journal!, slot.seq, slot.value);
    this.fingerprints.add(a, b, slot.seq);
    this.pending.set(slot.seq, slot);
    if (this.staging?.batch !== batch) {
      const slots: Slot[] = [];
      this.staging = { batch, slots };
      batch.afterCommit(() => this.onCommitted(slots));
    }
    this.staging.slots.push(slot);
  }

  /**
   * Removes, in `batch`, the oldest journal entries retention no longer keeps (a chunk per commit,
   * one trim in flight). The log passes the batch of each append it stages, so no commit is made
   * for trimming alone.
   */
  trimInto(batch: Batch): void {
    if (this.trimming || !this.trimDue()) return;
    const journal = this.store.journal!;
    let to = this.floor;
    for (const { key, value } of journal.getRange({ start: this.floor, end: this.committedTo + 1, limit: TRIM_CHUNK, snapshot: false })) {
      if (this.retained(key, timeOf(value))) break;
      batch.remove(journal, key);
      to = key + 1;
    }
    this.floorTime = undefined;
    if (to === this.floor) return;
    this.trimming = true;
    batch.afterCommit(() => this.raiseFloor(to));
    const done = (): void => void (this.trimming = false);
    batch.done.then(done, done);
  }

  /**
   * After a failed commit, once no block is in flight: staged entries are gone, unless the file has
   * them (a commit reported failed after it was written): the journal past the last commit seen is
   * the truth, as on open, so a retry of such a command finds its first result.
   */
  reconcile(): void {
    this.pending.clear();
    this.staging = undefined;
    // The failed entries' fingerprints stay until trimmed: their sequences are issued again, and
    // a candidate is always confirmed against the key in the entry, so they never match.
    this.seq = this.committedTo;
    this.readJournal();
  }

  /** Bytes of memory the ledger's fingerprints take (the operations guide sizes retention by it). */
  get memoryBytes(): number {
    return this.fingerprints.bytes;
  }

  private onCommitted(slots: readonly Slot[]): void {
    for (const slot of slots) this.pending.delete(slot.seq);
    this.committedTo = Math.max(this.committedTo, slots.at(-1)?.seq ?? 0);
  }

  /**
   * The rule: a command is remembered while fewer than `retentionCount` commands with an id were
   * recorded after it and less than `retentionMs` has passed since it was handled.
   */
  private retained(seq: number, time: number): boolean {
    return this.seq - seq < this.store.retentionCount && this.store.now() - time < this.store.retentionMs;
  }

  private trimDue(): boolean {
    if (this.committedTo < this.floor) return false;
    if (this.seq - this.floor >= this.store.retentionCount) return true;
    if (this.store.retentionMs === Number.POSITIVE_INFINITY) return false;
    if (this.floorTime === undefined) {
      const journal = this.store.journal!;
      // No entry below the first one left: the floor is that entry.
      this.raiseFloor(firstKey(journal, this.floor) ?? this.floor);
      const value = journal.get(this.floor);
      if (value === undefined) return false;
      this.floorTime = timeOf(value);
    }
    return this.store.now() - this.floorTime >= this.store.retentionMs;
  }

  private raiseFloor(floor: number): void {
    this.floor = Math.max(this.floor, floor);
    this.fingerprints.raiseFloor(this.floor);
  }

  /** The entry at `seq` if it is the one of `key`: from memory while its commit is pending, else from the journal. */
  private confirm(seq: number, key: Buffer, stream: StreamRef, commandId: string): LedgerHit | undefined {
    const slot = this.pending.get(seq);
    if (slot) return keyMatches(slot.value, key) ? slot : undefined;
    let value: Buffer | undefined;
    try {
      value = this.store.journal!.get(seq);
    } catch (error) {
      throw new CorruptDataError(entryName(stream, commandId), error);
    }
    if (value === undefined || !keyMatches(value, key)) return undefined;
    const entry = decodeLedgerValue(value.subarray(0, VALUE_BYTES));
    if (!entry) throw new CorruptDataError(entryName(stream, commandId), new Error('expected [version, position, count, time] before its key'));
    return { ...entry, staged: undefined };
  }

  /** Takes the journal's entries after `seq` into the fingerprint table. */
  private readJournal(): void {
    const journal = this.store.journal;
    if (!journal) return;
    for (const { key, value } of journal.getRange({ start: this.seq + 1, snapshot: false })) {
      if (!(value instanceof Uint8Array) || value.length <= VALUE_BYTES) {
        throw new CorruptDataError(`ledger journal entry ${key}`, new Error('expected [version, position, count, time] and a ledger key'));
      }
      const [a, b] = this.store.fingerprint(value, VALUE_BYTES);
      this.fingerprints.add(a, b, key);
      this.seq = key;
    }
    this.committedTo = this.seq;
  }

  /** A reader of a directory written by an earlier version, which no writer has opened since. */
  private readLegacy(stream: StreamRef, commandId: string, key: Buffer): LedgerHit | undefined {
    let value: Buffer | undefined;
    try {
      value = this.store.legacy.get(key);
    } catch (error) {
      throw new CorruptDataError(entryName(stream, commandId), error);
    }
    if (value === undefined) return undefined;
    const entry = decodeLedgerValue(value);
    if (!entry) throw new CorruptDataError(entryName(stream, commandId), new Error(`expected 24 bytes of [version, position, count, time], got ${value.length} bytes`));
    return this.store.now() - entry.time < this.store.retentionMs ? { ...entry, staged: undefined } : undefined;
  }

  /**
   * Moves the rows of an earlier version's table into the journal, in one transaction: with the
   * journal entries written after its last round, ordered by when they were handled and numbered
   * afresh. Rows out of retention, and rows of layouts older still (array keys), are dropped.
   */
  private migrate(): void {
    const { legacy, meta, retentionMs, retentionCount } = this.store;
    const journal = this.store.journal!;
    if (!hasRows(legacy)) return;
    const writtenTo = meta.get(LEDGER_AT) as unknown;
    const from = typeof writtenTo === 'number' && Number.isSafeInteger(writtenTo) ? writtenTo + 1 : 1;
    const now = this.store.now();
    const entries: Array<{ key: Buffer; entry: LedgerEntry }> = [];
    for (const { key, value } of legacy.getRange({ snapshot: false })) {
      const entry = isLedgerKey(key) ? decodeLedgerValue(value) : undefined;
      if (entry) entries.push({ key: Buffer.from(key), entry });
    }
    for (const { value } of journal.getRange({ start: from, snapshot: false })) {
      const decoded = decodeJournalEntry(value);
      if (decoded) entries.push(decoded);
    }
    const kept = entries
      .filter(({ entry }) => now - entry.time < retentionMs)
      .sort((x, y) => x.entry.time - y.entry.time)
      .slice(-Math.min(entries.length, retentionCount));
    journal.transactionSync(() => {
      for (const key of journal.getKeys({ snapshot: false })) void journal.remove(key);
      kept.forEach(({ key, entry }, i) => void journal.put(i + 1, encodeJournalValue(entry, key)));
      for (const key of legacy.getKeys({ snapshot: false })) void legacy.remove(key);
      void meta.remove(LEDGER_AT);
    });
  }

  private keyOf(stream: StreamRef, commandId: string): { key: Buffer; a: number; b: number } {
    const last = this.lastKey;
    if (last?.stream === stream && last.commandId === commandId) return last;
    const key = ledgerKey(stream, commandId);
    const [a, b] = this.store.fingerprint(key, 0);
    this.lastKey = { stream, commandId, key, a, b };
    return this.lastKey;
  }
}

/** When a journal entry's command was handled; an entry that no longer decodes counts as expired (its result cannot be read). */
function timeOf(value: Buffer): number {
  return decodeLedgerValue(value.subarray(0, VALUE_BYTES))?.time ?? Number.NEGATIVE_INFINITY;
}

function hasRows(db: Database): boolean {
  return firstKey(db, undefined) !== undefined;
}

/** The first key of `db` from `start` on. */
function firstKey<K extends Key>(db: Database<unknown, K>, start: K | undefined): K | undefined {
  for (const key of db.getKeys({ start, limit: 1, snapshot: false })) return key;
  return undefined;
}

/** Whether a journal value's key part is `key`. */
function keyMatches(value: Buffer, key: Buffer): boolean {
  return value.length === VALUE_BYTES + key.length && key.equals(value.subarray(VALUE_BYTES));
}

function entryName(stream: StreamRef, commandId: string): string {
  return `ledger entry ${commandId} of ${streamName(stream)}`;
}

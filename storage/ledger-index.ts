// The command ledger: (stream, commandId) → the command's first result, for the newest
// `retentionCount` commands with an id and at most `retentionMs` after each was handled. On disk
// it is a journal: the entries a commit records go into that commit in groups of consecutive
// entries, each keyed by the sequence of its first, at the right edge of the tree like the log,
// so an entry costs a few dozen bytes however large the ledger has grown and no put of its own;
// trimming removes whole groups at the left edge once retention keeps none of their entries. A
// group fits in a B-tree page: LMDB stores a larger value on overflow pages, and freeing runs of
// those as trimming goes made its free list cost more than the entries (4.6 KB written per event
// measured with 500-entry groups, against ~1.5 KB with one entry per value). Earlier versions kept
// a table keyed by (stream, commandId) and wrote into it behind: inserts at random places in a
// large tree, a 4 KiB page per entry once it held millions. In memory, a fingerprint table finds
// the sequences that may hold a key, so looking up a new id reads nothing from disk; a candidate
// is confirmed against the key stored with its entry. A command whose last event carries its
// commandId (every command the runtime appends events for) is its own key's record: its entry
// is carried, 23 bytes (fingerprint, position, count, time) against ~85 with a UUID key, and a
// candidate is confirmed against that event. The bytes each commit writes and fsyncs set its
// latency, and with it the throughput of a full pipeline: with keyed entries only, a commandId on
// every command ran at 0.74x of the rate without; carried, 0.79x, and 0.85x once the bench stopped
// generating ids in its timed part (docs/benchmarks.md).
import type { Database, Key } from 'lmdb';
import { CorruptDataError } from './errors.js';
import type { StagedAppend, StoredEvent, StreamRef } from './event-log.js';
import { FingerprintTable } from './fingerprint-table.js';
import { isEmpty } from './is-empty.js';
import type { Batch } from './group-commit.js';
import { streamName } from './keys.js';
import {
  GROUP_HEADER_BYTES, decodeJournalGroup, decodeLedgerValue, encodeJournalGroup, isLedgerKey, journalEntryBytes, ledgerKey, ledgerKeyBytes, type CarriedEntry, type JournalEntry,
  type JournalRecord, type LedgerEntry,
} from './ledger-keys.js';

export type { LedgerEntry } from './ledger-keys.js';

/** Where earlier versions noted how far their table was written: present only before migration. */
const LEDGER_AT = 'ledgerAt';
/** The journal's layout: 2 = groups; absent = one entry per value (migrated by a writer's open). */
const JOURNAL_FORMAT = 'ledgerJournal';
const GROUPS = 2;
/**
 * Marks a journal as written in groups, this version's layout (in the caller's transaction): a
 * journal filled by hand (the aged-ledger bench) needs it, or the next writer's open would take
 * it for an earlier version's and migrate it.
 */
export function markGroupedJournal(meta: Database): void {
  void meta.put(JOURNAL_FORMAT, GROUPS);
}

/** How long createRuntime keeps a commandId by default: a day. */
export const DEFAULT_RETENTION_MS = 86_400_000;
/** How many commandIds createRuntime keeps by default (the newest; 32 MB of fingerprints). */
export const DEFAULT_RETENTION_COUNT = 1_000_000;
/** Groups a commit removes at most, so that no commit carries thousands of removals. */
const TRIM_GROUPS = 256;
/** Bytes of entries per group at most: under LMDB's ~2,000-byte limit for a value kept in its leaf page. */
const GROUP_BYTES = 1_900;

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

/** The key of a pending keyed entry (a carried one's is in its last event). */
interface PendingKey {
  readonly stream: StreamRef;
  readonly commandId: string;
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
  /** fingerprintOf of a key read from the journal, unless a test makes every key collide. */
  fingerprint(keyBytes: string): number;
  /** The same fingerprint of a live command's key (ledgerKeyFingerprint: no key joined). */
  keyFingerprint(stream: StreamRef, commandId: string): number;
  /** The event at a log position (a carried entry's last event), or CorruptDataError naming the position. */
  eventAt(position: number): StoredEvent;
}

/** The command ledger of one events environment, as the writer (or a reader) sees it. */
export class LedgerIndex {
  private readonly fingerprints = new FingerprintTable();
  /**
   * Entries staged into batches whose commit has not settled (sequences committedTo + 1 … seq, in
   * order), in columns, not an object per command: the staged append (its result is the entry's
   * version, position and count), the time, the key's fingerprint, and a keyed entry's key
   * (undefined: carried). Held until their commit, these would otherwise be the objects a young
   * collection copies.
   */
  private pending: StagedAppend[] = [];
  private pendingTimes: number[] = [];
  private pendingPrints: number[] = [];
  private pendingKeys: Array<PendingKey | undefined> = [];
  /** The batch being filled and the sequences it records (consecutive). */
  private staging: { readonly batch: Batch; readonly from: number; to: number } | undefined;
  /** The last batch trimInto looked at: retention is checked once per batch, not per append. */
  private trimmed: Batch | undefined;
  /** The journal's groups in order: first sequence and the newest entry's time. */
  private groups: Array<{ readonly from: number; readonly newest: number }> = [];
  /** The last sequence issued (writer) or read (reader). */
  private seq = 0;
  /** The highest sequence whose commit has been seen; every lower one committed or failed. */
  private committedTo = 0;
  private trimming = false;
  /** The last key looked up (keyOf): the log looks a command up and then records it, one fingerprint for both. */
  private keyStream: StreamRef | undefined;
  private keyCommandId = '';
  private keyPrint = 0;
  /** A reader of a directory whose journal is not marked as groups reads the earlier layouts. */
  private legacyLayout = false;
  /** A writer's journal not yet marked: its first group's commit writes the marker. */
  private unmarked = false;

  constructor(private readonly store: LedgerStore) {
    if (!store.readOnly && store.meta.get(JOURNAL_FORMAT) !== GROUPS) {
      // Only a directory an earlier version wrote needs a transaction at open; a new one gets its
      // marker with its first group (an extra write transaction in every writer's open raced with
      // the claims of processes starting together: MDB_PROBLEM in one of 24 runs).
      if (isEmpty(store.legacy) && isEmpty(store.journal!)) this.unmarked = true;
      else this.migrate();
    }
    this.readJournal();
  }

  /** The command's entry if it is within retention: staged (commit pending) or in the journal. */
  lookup(stream: StreamRef, commandId: string): LedgerHit | undefined {
    if (this.store.readOnly) this.readJournal();
    this.keyOf(stream, commandId);
    const found = this.fingerprints.find(this.keyPrint);
    if (found) {
      for (const seq of found) {
        const hit = this.confirm(seq, stream, commandId);
        if (hit) return this.retained(seq, hit.time) ? hit : undefined;
      }
    }
    return this.legacyLayout ? this.readLegacy(stream, commandId) : undefined;
  }

  /**
   * Records a staged command, handled now: its entry (the staged result) joins `batch`'s journal
   * group, carried when its last event carries `commandId` (the entry then points at that event
   * instead of holding the key).
   */
  record(stream: StreamRef, commandId: string, staged: StagedAppend, batch: Batch): void {
    this.keyOf(stream, commandId);
    const seq = ++this.seq;
    this.fingerprints.add(this.keyPrint, seq);
    const events = staged.result.events;
    const carried = events.length > 0 && carries(events[events.length - 1]!, stream, commandId);
    this.pending.push(staged);
    this.pendingTimes.push(this.store.now());
    this.pendingPrints.push(this.keyPrint);
    this.pendingKeys.push(carried ? undefined : { stream, commandId });
    if (this.staging?.batch === batch) {
      this.staging.to = seq;
      return;
    }
    const staging = { batch, from: seq, to: seq };
    this.staging = staging;
    const groups: Array<{ from: number; newest: number }> = [];
    batch.beforeWrite(() => {
      if (this.unmarked) batch.put(this.store.meta, JOURNAL_FORMAT, GROUPS);
      let entries: JournalEntry[] = [];
      let bytes = GROUP_HEADER_BYTES;
      for (let at = staging.from; at <= staging.to; at++) {
        const entry = this.journalEntry(at - this.committedTo - 1);
        const size = journalEntryBytes(entry);
        if (entries.length > 0 && bytes + size > GROUP_BYTES) {
          groups.push(this.putGroup(batch, at - entries.length, entries));
          entries = [];
          bytes = GROUP_HEADER_BYTES;
        }
        entries.push(entry);
        bytes += size;
      }
      groups.push(this.putGroup(batch, staging.to + 1 - entries.length, entries));
    });
    batch.afterCommit(() => this.onCommitted(staging.to, groups));
  }

  /** The entry at `index` of the pending columns. */
  private entryAt(index: number): LedgerEntry {
    const { version, position, events } = this.pending[index]!.result;
    return { version, position, count: events.length, time: this.pendingTimes[index]! };
  }

  /** The pending entry at `index` as written: made when its commit writes it, so it dies young. */
  private journalEntry(index: number): JournalEntry {
    const key = this.pendingKeys[index];
    if (!key) return { entry: this.entryAt(index), print: this.pendingPrints[index]! };
    return { entry: this.entryAt(index), keyBytes: ledgerKeyBytes(key.stream, key.commandId) };
  }

  /**
   * Removes, in `batch`, the oldest journal groups retention keeps no entry of (a few per commit,
   * one trim in flight). The log passes the batch of each append it stages, so no commit is made
   * for trimming alone, and nothing is read: the groups' bounds and times are in memory. A batch
   * is looked at once, with its first append: a group that expires while it fills goes with the next.
   */
  trimInto(batch: Batch): void {
    if (this.trimming || this.trimmed === batch) return;
    this.trimmed = batch;
    const { groups } = this;
    // A group ends where the next begins; the last one at the last committed sequence.
    const lastOf = (i: number): number => (i + 1 < groups.length ? groups[i + 1]!.from - 1 : this.committedTo);
    let dead = 0;
    while (dead < TRIM_GROUPS && dead < groups.length && !this.retained(lastOf(dead), groups[dead]!.newest)) dead++;
    if (dead === 0) return;
    for (let i = 0; i < dead; i++) batch.remove(this.store.journal!, groups[i]!.from);
    this.trimming = true;
    batch.afterCommit(() => {
      this.groups.splice(0, dead);
      this.fingerprints.raiseFloor(this.groups[0]?.from ?? this.committedTo + 1);
    });
    const done = (): void => void (this.trimming = false);
    batch.done.then(done, done);
  }

  /**
   * After a failed commit, once no block is in flight: staged entries are gone, unless the file has
   * them (a commit reported failed after it was written): the journal past the last commit seen is
   * the truth, as on open, so a retry of such a command finds its first result.
   */
  reconcile(): void {
    this.pending = [];
    this.pendingTimes = [];
    this.pendingPrints = [];
    this.pendingKeys = [];
    this.staging = undefined;
    // The failed entries' fingerprints stay until trimmed: their sequences are issued again, and
    // a candidate is always confirmed against the key stored with its entry, so they never match.
    this.seq = this.committedTo;
    this.readJournal();
  }

  /** Puts the group of `entries` from sequence `from` into `batch`; returns its bounds for the trimming. */
  private putGroup(batch: Batch, from: number, entries: readonly JournalEntry[]): { from: number; newest: number } {
    // Appended: pages filled, not split (~250 fewer bytes written per entry). Sequences are
    // issued past every key in the file: opening and reconcile() read the journal to its end.
    batch.append(this.store.journal!, from, encodeJournalGroup(entries));
    let newest = Number.NEGATIVE_INFINITY;
    for (const { entry } of entries) newest = Math.max(newest, entry.time);
    return { from, newest };
  }

  private onCommitted(to: number, groups: ReadonlyArray<{ readonly from: number; readonly newest: number }>): void {
    // Batches commit in order: this one's entries are the first pending ones.
    const settled = to - this.committedTo;
    this.pending.splice(0, settled);
    this.pendingTimes.splice(0, settled);
    this.pendingPrints.splice(0, settled);
    this.pendingKeys.splice(0, settled);
    this.unmarked = false;
    this.groups.push(...groups);
    this.committedTo = Math.max(this.committedTo, to);
  }

  /**
   * The rule: a command is remembered while fewer than `retentionCount` commands with an id were
   * recorded after it and less than `retentionMs` has passed since it was handled.
   */
  private retained(seq: number, time: number): boolean {
    return this.seq - seq < this.store.retentionCount && this.young(time);
  }

  /** The age half of the rule (all an earlier version's table rows can be held to: they have no sequence). */
  private young(time: number): boolean {
    return this.store.now() - time < this.store.retentionMs;
  }

  /** The entry at `seq` if it is the one of the current key: from memory while its commit is pending, else from the journal. */
  private confirm(seq: number, stream: StreamRef, commandId: string): LedgerHit | undefined {
    if (seq > this.committedTo) {
      const index = seq - this.committedTo - 1;
      const staged = this.pending[index];
      return staged && this.pendingIsOf(index, stream, commandId) ? { ...this.entryAt(index), staged } : undefined;
    }
    const name = entryName(stream, commandId);
    let group: { key: number; value: Buffer } | undefined;
    try {
      for (const { key, value } of this.store.journal!.getRange({ start: seq, reverse: true, limit: 1, snapshot: false })) group = { key, value };
    } catch (error) {
      throw new CorruptDataError(name, error);
    }
    const found = group && this.groupAt(group.key, group.value)[seq - group.key];
    if (!found) return undefined;
    if ('print' in found) return this.confirmCarried(found, stream, commandId);
    if (found.keyBytes !== ledgerKeyBytes(stream, commandId)) return undefined;
    if (!found.entry) throw new CorruptDataError(name, new Error('expected [version, position, count, time] before its key'));
    return { ...found.entry, staged: undefined };
  }

  /** Whether the pending entry at `index` is (stream, commandId)'s: its key, or its last event's stream and commandId. */
  private pendingIsOf(index: number, stream: StreamRef, commandId: string): boolean {
    const key = this.pendingKeys[index];
    if (key) return names(key.stream.type, key.stream.id, key.commandId, stream, commandId);
    const events = this.pending[index]!.result.events;
    return carries(events[events.length - 1]!, stream, commandId);
  }

  /** A carried entry's result if its last event is of `stream` and carries `commandId`: the key is the event's. */
  private confirmCarried(found: CarriedEntry, stream: StreamRef, commandId: string): LedgerHit | undefined {
    const { position, count, time } = found;
    const event = this.store.eventAt(position);
    return carries(event, stream, commandId) ? { version: event.version, position, count, time, staged: undefined } : undefined;
  }

  /** The entries of the journal value at `key`, or CorruptDataError naming it. */
  private groupAt(key: number, value: Buffer): JournalRecord[] {
    const entries = value instanceof Uint8Array ? decodeJournalGroup(value, this.legacyLayout) : undefined;
    if (!entries) throw new CorruptDataError(`ledger journal entry ${key}`, new Error('expected entries of [version, position, count, time] and a ledger key'));
    return entries;
  }

  /** Takes the journal's groups after `seq` into memory: their fingerprints, bounds and times. */
  private readJournal(): void {
    const journal = this.store.journal;
    if (!journal) return;
    // Read each time: a writer of this version marks the journal with its first group.
    if (this.store.readOnly) this.legacyLayout = this.store.meta.get(JOURNAL_FORMAT) !== GROUPS;
    for (const { key, value } of journal.getRange({ start: this.seq + 1, snapshot: false })) {
      const entries = this.groupAt(key, value);
      let newest = Number.NEGATIVE_INFINITY;
      entries.forEach((record, i) => {
        // A carried entry holds its fingerprint: opening reads no key and no event.
        const carried = 'print' in record;
        this.fingerprints.add(carried ? record.print : this.store.fingerprint(record.keyBytes), key + i);
        // An entry that no longer decodes counts as expired (its result cannot be read).
        newest = Math.max(newest, (carried ? record.time : record.entry?.time) ?? Number.NEGATIVE_INFINITY);
      });
      if (this.groups.length === 0) this.fingerprints.raiseFloor(key);
      this.groups.push({ from: key, newest });
      this.seq = key + entries.length - 1;
    }
    this.committedTo = this.seq;
  }

  /** A reader of a directory written by an earlier version, which no writer has opened since. */
  private readLegacy(stream: StreamRef, commandId: string): LedgerHit | undefined {
    let value: Buffer | undefined;
    try {
      value = this.store.legacy.get(ledgerKey(stream, commandId));
    } catch (error) {
      throw new CorruptDataError(entryName(stream, commandId), error);
    }
    if (value === undefined) return undefined;
    const entry = decodeLedgerValue(value);
    if (!entry) throw new CorruptDataError(entryName(stream, commandId), new Error(`expected 24 bytes of [version, position, count, time], got ${value.length} bytes`));
    return this.young(entry.time) ? { ...entry, staged: undefined } : undefined;
  }

  /**
   * Writes the journal in groups, in one transaction, from what an earlier version left: its
   * table's rows and the entries of its journal (one per value) after its last round, ordered by
   * when they were handled and numbered afresh. Rows out of retention, and rows of layouts older
   * still (array keys), are dropped.
   */
  private migrate(): void {
    const { legacy, meta, retentionCount } = this.store;
    const journal = this.store.journal!;
    const writtenTo = meta.get(LEDGER_AT) as unknown;
    const entries: JournalEntry[] = [];
    for (const { key, value } of legacy.getRange({ snapshot: false })) {
      const entry = isLedgerKey(key) ? decodeLedgerValue(value) : undefined;
      if (entry) entries.push({ entry, keyBytes: key.toString('latin1') });
    }
    const from = typeof writtenTo === 'number' && Number.isSafeInteger(writtenTo) ? writtenTo + 1 : 1;
    for (const { value } of journal.getRange({ start: from, snapshot: false })) {
      const [single] = decodeJournalGroup(value, true) ?? [];
      if (single && 'keyBytes' in single && single.entry) entries.push({ entry: single.entry, keyBytes: single.keyBytes });
    }
    // The newest retentionCount (slice(-Infinity) keeps all).
    const kept = entries.filter(({ entry }) => this.young(entry.time)).sort((x, y) => x.entry.time - y.entry.time).slice(-retentionCount);
    journal.transactionSync(() => {
      for (const key of keysOf(journal)) void journal.remove(key);
      for (let at = 0; at < kept.length; at++) void journal.put(at + 1, encodeJournalGroup([kept[at]!]));
      for (const key of keysOf(legacy)) void legacy.remove(key);
      void meta.remove(LEDGER_AT);
      markGroupedJournal(meta);
    });
  }

  /** Sets keyPrint to the fingerprint of (stream, commandId); a field, not an object per command. */
  private keyOf(stream: StreamRef, commandId: string): void {
    if (this.keyStream === stream && this.keyCommandId === commandId) return;
    this.keyStream = stream;
    this.keyCommandId = commandId;
    this.keyPrint = this.store.keyFingerprint(stream, commandId);
  }
}

function keysOf<K extends Key>(db: Database<unknown, K>): K[] {
  return [...db.getKeys({ snapshot: false })];
}

/** Whether (type, id, commandId) is the key looked up: (stream, commandId). */
function names(type: string, id: string, candidate: unknown, stream: StreamRef, commandId: string): boolean {
  return candidate === commandId && id === stream.id && type === stream.type;
}

/** Whether `event` is of `stream` and carries `commandId` in its metadata: a carried entry's key. */
function carries(event: StoredEvent, stream: StreamRef, commandId: string): boolean {
  return names(event.aggregateType, event.aggregateId, event.metadata.commandId, stream, commandId);
}

function entryName(stream: StreamRef, commandId: string): string {
  return `ledger entry ${commandId} of ${streamName(stream)}`;
}

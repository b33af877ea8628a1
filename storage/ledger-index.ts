// The command ledger: (stream, commandId) → the command's first result, for `retentionMs` after it
// was handled. A table row per command written in its own commit is a random B-tree insert (one
// 4 KiB leaf per command), so rows are written behind: a command appends its entry to a journal
// keyed by an ascending sequence (the right edge of a tree, like the log) in its own commit; the
// writer keeps committed entries in memory and writes them to the table sorted, in chunks, every
// few seconds, then sets `ledgerAt` (the journal sequence the table is complete to) and drops that
// journal prefix. Opening reads the journal past `ledgerAt`, so a crash loses no entry.
import type { Database } from 'lmdb';
import { CorruptDataError } from './errors.js';
import type { StagedAppend, StreamRef } from './event-log.js';
import type { Batch } from './group-commit.js';
import { streamName } from './keys.js';
import { decodeJournalValue, decodeLedgerValue, encodeJournalValue, encodeLedgerValue, isLedgerKey, ledgerKey, type LedgerEntry } from './ledger-keys.js';
import { StreamMap } from './stream-map.js';

export type { LedgerEntry } from './ledger-keys.js';

const LEDGER_AT = 'ledgerAt';
/** How long createRuntime keeps a commandId by default: a day. */
export const DEFAULT_RETENTION_MS = 86_400_000;
/** Write the committed entries at least this often (ms), or sooner when this many wait. */
const FLUSH_INTERVAL_MS = 5_000;
const FLUSH_DIRTY = 65_536;
/** Entries written per commit during a round. */
const FLUSH_CHUNK = 1_024;
/** Table rows checked for expiry per chunk: twice the writes, so the sweep outpaces them. */
const SWEEP_BATCH = 2 * FLUSH_CHUNK;

/** `options.commandIdRetentionMs`, checked: a positive integer of milliseconds, or Infinity (kept for good). */
export function resolveRetention(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && (value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 1))) return value;
  throw new RangeError(`options.commandIdRetentionMs must be a positive integer of milliseconds or Infinity (got ${String(value)})`);
}

/** A ledgered command: its entry, and while its commit is pending, the staged append to wait on. */
export interface LedgerHit extends LedgerEntry {
  readonly staged: StagedAppend | undefined;
}

/** An entry held in memory, staged or committed and not yet in the table: one object per command. */
interface Slot extends LedgerHit {
  readonly stream: StreamRef;
  readonly commandId: string;
  /** Its journal sequence. */
  readonly seq: number;
  staged: StagedAppend | undefined;
  /** A later command with the same id (run once this one had expired) took its place. */
  replaced: boolean;
}

/** Where the ledger lives: its table, its journal (absent in a reader of an older directory) and meta. */
export interface LedgerStore {
  readonly table: Database<Buffer, Buffer>;
  readonly journal: Database<Buffer, number> | undefined;
  readonly meta: Database;
  readonly readOnly: boolean;
  readonly retentionMs: number;
  /** The clock retention is measured by (ms since the epoch). */
  now(): number;
}

/** The command ledger of one events environment, as the writer (or a reader) sees it. */
export class LedgerIndex {
  /** By stream, then commandId: nested maps, never a joined string that two triples could share. */
  private readonly slots = new StreamMap<Map<string, Slot>>();
  /** Committed entries not yet in a round, in commit order. */
  private committed: Slot[] = [];
  /** The slots staged into the batch being filled: one afterCommit callback per batch, not per command. */
  private staging: { readonly batch: Batch; readonly slots: Slot[] } | undefined;
  /** The last journal sequence issued (writer) or read (reader). */
  private seq: number;
  /** `ledgerAt`: the table holds every entry up to this journal sequence. */
  private writtenTo: number;
  /** The highest sequence whose commit has been seen; every lower one committed or failed. */
  private committedTo: number;
  /** When the last round started, on the store's clock (so a test moves rounds along with retention). */
  private lastFlush: number;
  private flushing = false;
  /** The round under way: its sorted entries, how many were issued, and the `ledgerAt` it ends with. */
  private round: { readonly slots: Slot[]; issued: number; readonly upTo: number } | undefined;
  /** The last key encoded: the log looks a command up and then stages it, one key for both. */
  private lastKey: { stream: StreamRef; commandId: string; key: Buffer } | undefined;
  /** Where the next sweep starts; undefined: at the first key. */
  private sweepFrom: Buffer | undefined;
  /** The oldest `time` in the table as far as known (-Infinity until a whole pass has seen every row). */
  private oldestRow = Number.NEGATIVE_INFINITY;
  /** The oldest `time` seen so far in the current pass. */
  private passOldest = Number.POSITIVE_INFINITY;

  constructor(private readonly store: LedgerStore) {
    this.lastFlush = store.now();
    this.writtenTo = this.storedAt();
    this.seq = this.writtenTo;
    this.committedTo = this.writtenTo;
    this.readJournal();
  }

  /** The command's entry if it is within retention: staged, committed in memory, or in the table. */
  lookup(stream: StreamRef, commandId: string): LedgerHit | undefined {
    if (this.store.readOnly) this.catchUp();
    const slot = this.slots.get(stream.type, stream.id)?.get(commandId);
    if (slot) return this.retained(slot.time, this.store.now()) ? slot : undefined;
    const entry = this.read(stream, commandId);
    if (!entry || !this.retained(entry.time, this.store.now())) return undefined;
    return { version: entry.version, position: entry.position, count: entry.count, time: entry.time, staged: undefined };
  }

  /** Records a staged command: its journal entry joins `batch`'s commit, its table row comes later. */
  record(stream: StreamRef, commandId: string, entry: LedgerEntry, staged: StagedAppend, batch: Batch): void {
    const { version, position, count, time } = entry;
    const slot: Slot = { stream, commandId, seq: ++this.seq, version, position, count, time, staged, replaced: false };
    batch.putNew(this.store.journal!, slot.seq, encodeJournalValue(entry, this.keyOf(stream, commandId)));
    this.place(slot);
    if (this.staging?.batch !== batch) {
      const slots: Slot[] = [];
      this.staging = { batch, slots };
      batch.afterCommit(() => this.onCommitted(slots));
    }
    this.staging.slots.push(slot);
  }

  /**
   * After a failed commit, once no block is in flight: staged entries are gone, unless the file has
   * them (a commit reported failed after it was written): the journal past the last commit seen is
   * the truth, as on open, so a retry of such a command finds its first result.
   */
  reconcile(): void {
    for (const slot of this.allSlots()) if (slot.staged !== undefined) this.forget(slot);
    this.staging = undefined;
    this.seq = this.committedTo;
    this.readJournal();
  }

  /**
   * Starts a round when one is due (the log calls after every commit): enough committed entries,
   * or enough time. `force` (on close) starts one of everything not yet written. Returns whether
   * a round is under way.
   */
  startRound(force: boolean): boolean {
    if (this.round && !force) return true;
    const rest = this.round ? this.round.slots.slice(this.round.issued) : [];
    if (rest.length === 0 && this.committed.length === 0 && this.committedTo <= this.writtenTo) return this.round !== undefined;
    const now = this.store.now();
    // A clock set back does not hold rounds up.
    if (!force && this.committed.length < FLUSH_DIRTY && now - this.lastFlush < FLUSH_INTERVAL_MS && now >= this.lastFlush) return false;
    this.lastFlush = now;
    this.round = { slots: rest.concat(this.committed).sort(byKey), issued: 0, upTo: this.committedTo };
    this.committed = [];
    return true;
  }

  /**
   * Writes the next sorted chunk of the round under way into `batch` (the log passes the batch of
   * each append it stages), so no commit carries thousands of extra puts and none is made for them
   * alone, and sweeps expired rows; `force` (on close) writes the rest at once. The last chunk
   * writes `ledgerAt`; once it commits, the journal up to there is dropped.
   */
  flushInto(batch: Batch, force: boolean): void {
    if (this.flushing || !this.round) return;
    // Only here, between chunks: no table write is in flight that the sweep's reads could miss.
    if (!force) this.sweep();
    const round = this.round;
    const chunk = round.slots.slice(round.issued, force ? undefined : round.issued + FLUSH_CHUNK);
    round.issued += chunk.length;
    const now = this.store.now();
    for (const slot of chunk) {
      if (slot.replaced || !this.retained(slot.time, now)) continue;
      batch.put(this.store.table, ledgerKey(slot.stream, slot.commandId), encodeLedgerValue(slot));
      this.oldestRow = Math.min(this.oldestRow, slot.time);
      this.passOldest = Math.min(this.passOldest, slot.time);
    }
    const last = round.issued === round.slots.length;
    if (last) {
      batch.put(this.store.meta, LEDGER_AT, round.upTo);
      this.round = undefined;
    }
    this.flushing = true;
    batch.afterCommit(() => {
      for (const slot of chunk) this.forget(slot);
      if (last) this.endRound(round.upTo);
    });
    batch.done.then(
      () => (this.flushing = false),
      () => {
        // This chunk and the rest of its round are not written: they join the next round.
        this.flushing = false;
        this.committed.push(...chunk, ...(this.round === round ? round.slots.slice(round.issued) : []));
        this.round = undefined;
      },
    );
  }

  private onCommitted(slots: readonly Slot[]): void {
    for (const slot of slots) {
      slot.staged = undefined;
      if (!slot.replaced) this.committed.push(slot);
    }
    this.committedTo = Math.max(this.committedTo, slots.at(-1)?.seq ?? 0);
  }

  /** The rule: a command handled at `time` is remembered while less than retentionMs has passed. */
  private retained(time: number, now: number): boolean {
    return now - time < this.store.retentionMs;
  }

  private place(slot: Slot): void {
    const { type, id } = slot.stream;
    let ids = this.slots.get(type, id);
    if (!ids) this.slots.set(type, id, (ids = new Map()));
    const previous = ids.get(slot.commandId);
    if (previous) previous.replaced = true;
    ids.set(slot.commandId, slot);
  }

  /** Drops a slot from memory (the table has it now, or it never committed); endRound drops emptied maps. */
  private forget(slot: Slot): void {
    const ids = this.slots.get(slot.stream.type, slot.stream.id);
    if (ids?.get(slot.commandId) === slot) ids.delete(slot.commandId);
  }

  private dropEmptyStreams(): void {
    for (const [type, id, ids] of this.slots.entries()) if (ids.size === 0) this.slots.delete(type, id);
  }

  private allSlots(): Slot[] {
    return [...this.slots.entries()].flatMap(([, , ids]) => [...ids.values()]);
  }

  /** Takes the journal's entries after `seq` into memory: committed, not yet in the table. */
  private readJournal(): void {
    const journal = this.store.journal;
    if (!journal) return;
    for (const { key, value } of journal.getRange({ start: this.seq + 1, snapshot: false })) {
      const decoded = decodeJournalValue(value);
      if (!decoded) throw new CorruptDataError(`ledger journal entry ${key}`, new Error('expected [version, position, count, time] and a ledger key'));
      const { stream, commandId, entry } = decoded;
      const slot: Slot = { stream, commandId, seq: key, ...entry, staged: undefined, replaced: false };
      this.place(slot);
      if (!this.store.readOnly) this.committed.push(slot);
      this.seq = key;
    }
    this.committedTo = this.seq;
  }

  /** A reader forgets what the writer has written to the table since, and reads the journal past it. */
  private catchUp(): void {
    const at = this.storedAt();
    if (at > this.writtenTo) {
      for (const slot of this.allSlots()) if (slot.seq <= at) this.forget(slot);
      this.dropEmptyStreams();
      this.writtenTo = at;
      this.seq = Math.max(this.seq, at);
    }
    this.readJournal();
  }

  /**
   * After a round's last chunk: drops the streams left without entries, and the journal entries
   * the table now holds (a leftover after a crash goes with the next round).
   */
  private endRound(upTo: number): void {
    this.dropEmptyStreams();
    this.writtenTo = upTo;
    const journal = this.store.journal!;
    const keys = [...journal.getKeys({ end: upTo + 1, snapshot: false })];
    if (keys.length === 0) return;
    // Outside the group commit: a removal needs no guard, and one that fails is redone next round.
    journal.batch(() => {
      for (const key of keys) void journal.remove(key);
    }).then(undefined, () => undefined);
  }

  /**
   * Checks the next table rows for expiry; removes the expired ones (and rows of an earlier
   * layout, which nothing reads). Once a whole pass has found the oldest row, passes wait until
   * that row can have expired, so a ledger where nothing expires is not read over and over.
   */
  private sweep(): void {
    const now = this.store.now();
    if (this.sweepFrom === undefined && this.retained(this.oldestRow, now)) return;
    const table = this.store.table;
    const doomed: Buffer[] = [];
    let seen = 0;
    let last: Buffer | undefined;
    for (const { key, value } of table.getRange({ start: this.sweepFrom, limit: SWEEP_BATCH, snapshot: false })) {
      seen++;
      last = key;
      const entry = isLedgerKey(key) ? decodeLedgerValue(value) : undefined;
      if (!isLedgerKey(key) || (entry !== undefined && !this.retained(entry.time, now))) doomed.push(Buffer.from(key));
      else if (entry !== undefined && entry.time < this.passOldest) this.passOldest = entry.time;
    }
    if (seen < SWEEP_BATCH || !last) {
      // Past the end: every row was seen by the pass or written during it.
      this.sweepFrom = undefined;
      this.oldestRow = this.passOldest;
      this.passOldest = Number.POSITIVE_INFINITY;
    } else {
      this.sweepFrom = Buffer.concat([last, Buffer.of(0)]);
    }
    if (doomed.length === 0) return;
    table.batch(() => {
      for (const key of doomed) void table.remove(key);
    }).then(undefined, () => undefined);
  }

  private read(stream: StreamRef, commandId: string): LedgerEntry | undefined {
    let value: Buffer | undefined;
    try {
      value = this.store.table.get(this.keyOf(stream, commandId));
    } catch (error) {
      throw new CorruptDataError(entryName(stream, commandId), error);
    }
    if (value === undefined) return undefined;
    const entry = decodeLedgerValue(value);
    if (!entry) {
      throw new CorruptDataError(entryName(stream, commandId), new Error(`expected 24 bytes of [version, position, count, time], got ${value.length} bytes`));
    }
    return entry;
  }

  private keyOf(stream: StreamRef, commandId: string): Buffer {
    const last = this.lastKey;
    if (last?.stream === stream && last.commandId === commandId) return last.key;
    const key = ledgerKey(stream, commandId);
    this.lastKey = { stream, commandId, key };
    return key;
  }

  private storedAt(): number {
    const at = this.store.meta.get(LEDGER_AT) as unknown;
    return typeof at === 'number' && Number.isSafeInteger(at) && at >= 0 ? at : 0;
  }
}

function entryName(stream: StreamRef, commandId: string): string {
  return `ledger entry ${commandId} of ${streamName(stream)}`;
}

/** Key order (type, id, commandId), so that a chunk covers neighbouring leaves of the table. */
function byKey(a: Slot, b: Slot): number {
  return compare(a.stream.type, b.stream.type) || compare(a.stream.id, b.stream.id) || compare(a.commandId, b.commandId);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

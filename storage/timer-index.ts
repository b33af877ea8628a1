// Durable timers on disk: one B-tree of each stream's pending timers ((type, id, timer id,
// deadline)), for an aggregate to load its own, and one in deadline order ((deadline, type, id,
// timer id)), which a single scheduler reads from its start: millions of timers cost a key each,
// never one document per aggregate type. Both change only inside an append's commit, with the
// events that armed or cleared them, so a crash can never keep one without the other. The deadline
// is part of both keys, so arming only ever writes new keys and clearing only removes: a block
// that fails part-way (its new keys undone, its removals never run) leaves the timers as they were.
import type { Database } from 'lmdb';
import type { DueTimer, PendingTimer, StreamRef, TimerChanges } from './event-log.js';
import type { Batch } from './group-commit.js';
import { ledgerKey, parseLedgerKey } from './ledger-keys.js';
import { CorruptDataError, SizeLimitError } from './errors.js';

/** A deadline as 8 bytes that sort as the number does (deadlines are non-negative ms since the epoch). */
function deadlineBytes(dueAt: number): Buffer {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleBE(dueAt, 0);
  return bytes;
}

/** (type, id, timer id) names one timer and no other: the ledger's escaped triple key. */
function timerKey(stream: StreamRef, id: string): Buffer {
  return ledgerKey(stream, id);
}

/** A timer's key in each database: (type, id, timer, deadline) and (deadline, type, id, timer). */
function keysOf(stream: StreamRef, id: string, dueAt: number): { pending: Buffer; due: Buffer } {
  // Written in place: two Buffer.concat of a deadline's own buffer cost a firing four buffers.
  const timer = timerKey(stream, id);
  const pending = Buffer.allocUnsafe(timer.length + 8);
  timer.copy(pending, 0);
  pending.writeDoubleBE(dueAt, timer.length);
  const due = Buffer.allocUnsafe(8 + timer.length);
  due.writeDoubleBE(dueAt, 0);
  timer.copy(due, 8);
  return { pending, due };
}

/** LMDB's longest key (lmdb-js's default build): a longer one would throw inside the commit. */
const MAX_KEY_BYTES = 1_978;
const NOTHING = Buffer.alloc(0);

/** The two timer databases of one events environment (absent in a reader of an older directory). */
export class TimerIndex {
  constructor(
    private readonly pending: Database<Buffer, Buffer> | undefined,
    private readonly due: Database<Buffer, Buffer> | undefined,
  ) {}

  /** Throws SizeLimitError, before anything is staged, for a timer whose keys LMDB could not store. */
  check(stream: StreamRef, changes: TimerChanges): void {
    for (const { id } of changes.set) {
      const bytes = timerKey(stream, id).length + 8;
      if (bytes > MAX_KEY_BYTES) throw new SizeLimitError(`the key of timer "${id}" of ${stream.type}/${stream.id}`, bytes, MAX_KEY_BYTES);
    }
  }

  /** Writes `changes` of `stream` into `batch`: the same commit as the append that made them. */
  stage(batch: Batch, stream: StreamRef, changes: TimerChanges): void {
    const pending = this.pending!;
    const due = this.due!;
    for (const { id, dueAt, previous } of changes.set) {
      const keys = keysOf(stream, id, dueAt);
      batch.putNew(pending, keys.pending, NOTHING);
      batch.putNew(due, keys.due, NOTHING);
      if (previous !== undefined) this.clear(batch, stream, id, previous);
    }
    for (const { id, dueAt } of changes.clear) this.clear(batch, stream, id, dueAt);
    for (const { id, dueAt } of changes.unindex ?? []) batch.remove(due, keysOf(stream, id, dueAt).due);
  }

  private clear(batch: Batch, stream: StreamRef, id: string, dueAt: number): void {
    const keys = keysOf(stream, id, dueAt);
    batch.remove(this.pending!, keys.pending);
    batch.remove(this.due!, keys.due);
  }

  /** The stream's pending timers, as committed. */
  pendingOf(stream: StreamRef): PendingTimer[] {
    if (!this.pending) return [];
    // Every key of the stream starts with its (type, id) part: the triple key of an empty timer id.
    const prefix = timerKey(stream, '');
    const timers: PendingTimer[] = [];
    for (const key of this.pending.getKeys({ start: prefix, snapshot: false })) {
      if (key.length < prefix.length || key.compare(prefix, 0, prefix.length, 0, prefix.length) !== 0) break;
      const named = key.length > 8 ? parseLedgerKey(key.subarray(0, key.length - 8)) : undefined;
      if (!named) throw new CorruptDataError(`a timer of ${stream.type}/${stream.id}`, new Error(`got ${key.length} key bytes that name no timer`));
      timers.push({ id: named.commandId, dueAt: key.readDoubleBE(key.length - 8) });
    }
    return timers;
  }

  /** Pending timers due before `before`, earliest first, at most `limit`. */
  dueBefore(before: number, limit = Number.POSITIVE_INFINITY): DueTimer[] {
    if (!this.due) return [];
    const timers: DueTimer[] = [];
    const end = before === Number.POSITIVE_INFINITY ? undefined : deadlineBytes(before);
    for (const key of this.due.getKeys({ end, limit: Number.isFinite(limit) ? limit : undefined, snapshot: false })) {
      const named = key.length > 8 ? parseLedgerKey(key.subarray(8)) : undefined;
      if (!named) throw new CorruptDataError('a key of the timer index', new Error(`got ${key.length} bytes that name no timer`));
      timers.push({ stream: named.stream, id: named.commandId, dueAt: key.readDoubleBE(0) });
    }
    return timers;
  }
}

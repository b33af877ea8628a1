// Stream heads (version and last position per stream), written behind. Updating a `heads` row per
// append rewrites one B-tree leaf per touched stream per commit: most of the bytes an event cost.
// So committed heads are kept in memory ("dirty") and written in bulk about once a second, with
// `headsAt` in meta: the heads table reflects every event up to that position. Whatever lies
// after it is rebuilt from the log itself on open, so a crash loses no head. A read-only index
// keeps only the heads the table lacks (after the writer's `headsAt`), so its memory is bounded
// by the writer's unflushed window, as the writer's own dirty set is. A writer that opened an
// empty table holds every head in memory until it first forgets clean ones: a stream it has no
// entry for then has no events, and no table read is needed to know it (a new aggregate's case).
import type { Database } from 'lmdb';
import { CorruptDataError } from './errors.js';
import type { StreamHead, StreamRef } from './event-log.js';
import type { Batch } from './group-commit.js';
import { streamName } from './keys.js';
import { StreamMap } from './stream-map.js';
import { isEmpty } from './is-empty.js';

const HEADS_AT = 'headsAt';
/** Clean heads kept in memory; past this they are forgotten (the table has them). */
const CLEAN_CACHE_SIZE = 131_072;
/** Write the dirty heads at least this often (ms), or sooner when this many are dirty. */
const FLUSH_INTERVAL_MS = 1_000;
const FLUSH_DIRTY = 32_768;
/** Heads written per commit during a round. */
const FLUSH_CHUNK = 1_024;

type HeadValue = [version: number, position: number];

/** What `load` finds for a stream without a head in a complete index (shared: never written to). */
const NO_HEAD = Object.freeze({ staged: undefined, committed: undefined });

/** What the tail scan needs from the log: the stream and version of each event after a position. */
export type TailScan = (after: number) => Iterable<{ readonly type: string; readonly id: string; readonly version: number; readonly position: number }>;

/** One stream's heads as this process knows them; one Map lookup finds all of them. */
export interface Entry {
  readonly type: string;
  readonly id: string;
  /** The head of a staged append, not yet committed. */
  staged: StreamHead | undefined;
  /** The committed head (from this writer, the table, or the log's tail). */
  committed: StreamHead | undefined;
  /** `committed` is not yet in the table (or, read-only, was found in the log's tail). */
  dirty: boolean;
}

/** A stream's heads as an append finds them: its entry, or none for a stream the index knows has no events. */
export type AppendHeads = Entry | typeof NO_HEAD;

/** The heads of one events environment, as the writer (or a reader) sees them. */
export class HeadsIndex {
  private readonly entries = new StreamMap<Entry>();
  /** The batch being filled and the (entry, head) pairs staged into it: one afterCommit per batch. */
  private staging: { readonly batch: Batch; readonly staged: (Entry | StreamHead)[] } | undefined;
  private readonly dirty = new Set<Entry>();
  /** The log position up to which the dirty entries (plus the table) are complete. */
  private scannedTo = 0;
  /** Read-only: the writer's `headsAt` when the overlay was last pruned. */
  private prunedAt = 0;
  private committedTo = 0;
  private lastFlush = performance.now();
  /** A chunk of heads is being committed. */
  private flushing = false;
  /** The heads still to write in this round, and the position the round makes `headsAt`. */
  private round: { readonly heads: Array<[Entry, StreamHead]>; readonly upTo: number } | undefined;
  /** Every stream with a head has an entry: the writer opened an empty table and has forgotten none since. */
  private complete: boolean;
  /** Rows read from the heads table (a test seam: a new stream should cost none). */
  tableReads = 0;

  constructor(
    private readonly table: Database,
    private readonly meta: Database,
    private readonly readOnly: boolean,
    private readonly scan: TailScan,
  ) {
    this.scannedTo = (meta.get(HEADS_AT) as number | undefined) ?? 0;
    // Before catchUp: the tail scan puts every head the table lacks in memory.
    this.complete = !readOnly && isEmpty(table);
    this.catchUp();
    this.committedTo = this.scannedTo;
  }

  /** How many heads are kept in memory. */
  get size(): number {
    return this.entries.size;
  }

  /** The head `stage` checks against: staged, else committed. */
  current(stream: StreamRef): StreamHead | undefined {
    if (this.readOnly) return this.committed(stream);
    const entry = this.forAppend(stream);
    return entry.staged ?? entry.committed;
  }

  /** The committed head. */
  committed(stream: StreamRef): StreamHead | undefined {
    if (this.readOnly) {
      this.catchUp();
      const overlay = this.entries.get(stream.type, stream.id)?.committed;
      const stored = this.read(stream);
      // The writer may have written newer heads to the table since this reader's scan.
      return overlay && (!stored || overlay.version > stored.version) ? overlay : stored;
    }
    return (this.entries.get(stream.type, stream.id) ?? this.load(stream)).committed;
  }

  /** The writer's heads of `stream` for an append (`staged ?? committed` is what it checks against); one lookup. */
  forAppend(stream: StreamRef): AppendHeads {
    return this.entries.get(stream.type, stream.id) ?? this.load(stream);
  }

  /**
   * Stages `head` (an append to `stream` in `batch`) on the entry forAppend returned; it becomes
   * committed when the batch commits. A staged entry is never forgotten, so the pair stays valid.
   */
  stage(batch: Batch, stream: StreamRef, found: AppendHeads, head: StreamHead): void {
    const entry = found === NO_HEAD ? this.entry(stream.type, stream.id) : (found as Entry);
    entry.staged = head;
    if (this.staging?.batch !== batch) {
      const staged: (Entry | StreamHead)[] = [];
      this.staging = { batch, staged };
      batch.afterCommit(() => {
        for (let i = 0; i < staged.length; i += 2) this.commit(staged[i] as Entry, staged[i + 1] as StreamHead);
      });
    }
    this.staging.staged.push(entry, head);
  }

  /** The batch holding `head` committed. */
  committedHead(stream: StreamRef, head: StreamHead): void {
    this.commit(this.entry(stream.type, stream.id), head);
  }

  private commit(entry: Entry, head: StreamHead): void {
    if (entry.staged === head) entry.staged = undefined;
    this.markCommitted(entry, head);
    if (head.position > this.committedTo) this.committedTo = head.position;
  }

  /**
   * After a failed commit: staged heads are gone, and every event in the file after `after` (a
   * commit reported failed may be there) is a committed head.
   */
  reconcile(after: number): void {
    this.staging = undefined;
    for (const [, , entry] of this.entries.entries()) entry.staged = undefined;
    for (const event of this.scan(after)) this.committedHead(event, { version: event.version, position: event.position });
  }

  /**
   * Writes dirty heads when due, one chunk per call (the caller calls after every commit), so no
   * commit carries thousands of extra puts; `force` (on close) writes the rest at once. Each round
   * writes the heads as they were when it started, and `headsAt` with its last chunk.
   */
  flushInto(batch: () => Batch, force: boolean): void {
    if (this.flushing) return;
    if (!this.round) {
      if (this.dirty.size === 0) return;
      if (!force && this.dirty.size < FLUSH_DIRTY && performance.now() - this.lastFlush < FLUSH_INTERVAL_MS) return;
      this.lastFlush = performance.now();
      this.round = { heads: [...this.dirty].map((entry) => [entry, entry.committed!]), upTo: this.committedTo };
    }
    const round = this.round;
    const chunk = round.heads.splice(0, force ? round.heads.length : FLUSH_CHUNK);
    const target = batch();
    for (const [entry, head] of chunk) target.put(this.table, [entry.type, entry.id], [head.version, head.position] satisfies HeadValue);
    if (round.heads.length === 0) {
      target.put(this.meta, HEADS_AT, round.upTo);
      this.round = undefined;
    }
    this.flushing = true;
    target.afterCommit(() => {
      for (const [entry, head] of chunk) {
        if (entry.committed !== head) continue;
        entry.dirty = false;
        this.dirty.delete(entry);
      }
    });
    target.done.then(
      () => (this.flushing = false),
      () => {
        // Nothing of this round is known to be written: start the next one afresh.
        this.flushing = false;
        this.round = undefined;
      },
    );
  }

  /** Every stream with a head, optionally of one type, in key order (table and memory merged). */
  *streams(type: string | undefined): IterableIterator<StreamRef & StreamHead> {
    const seen = new StreamMap<true>();
    const stored: Array<StreamRef & StreamHead> = [];
    for (const key of this.table.getKeys({ start: type === undefined ? undefined : [type], snapshot: false })) {
      const [keyType, id] = key as [string, string];
      if (type !== undefined && keyType !== type) break;
      const stream = { type: keyType, id };
      const head = this.committed(stream);
      seen.set(keyType, id, true);
      if (head) stored.push({ ...stream, ...head });
    }
    const unseen = [...this.dirty].filter((entry) => (type === undefined || entry.type === type) && !seen.get(entry.type, entry.id));
    if (unseen.length === 0) return yield* stored;
    const all = [...stored, ...unseen.map((entry) => ({ type: entry.type, id: entry.id, ...entry.committed! }))];
    yield* all.sort((a, b) => (a.type === b.type ? compareKeys(a.id, b.id) : compareKeys(a.type, b.type)));
  }

  private catchUp(): void {
    for (const event of this.scan(this.scannedTo)) {
      this.markCommitted(this.entry(event.type, event.id), { version: event.version, position: event.position });
      this.scannedTo = event.position;
    }
    if (this.readOnly) this.pruneFlushed();
  }

  /** Read-only: forgets the heads the writer has written to the table since (it holds them, or newer). */
  private pruneFlushed(): void {
    const headsAt = (this.meta.get(HEADS_AT) as number | undefined) ?? 0;
    if (headsAt <= this.prunedAt) return;
    this.prunedAt = headsAt;
    for (const entry of this.dirty) {
      if (entry.committed!.position > headsAt) continue;
      this.dirty.delete(entry);
      this.entries.delete(entry.type, entry.id);
    }
  }

  private markCommitted(entry: Entry, head: StreamHead): void {
    entry.committed = head;
    if (!entry.dirty) {
      entry.dirty = true;
      this.dirty.add(entry);
    }
  }

  /** The stream's entry, made (clean and empty) if there is none. */
  private entry(type: string, id: string): Entry {
    let entry = this.entries.get(type, id);
    if (!entry) {
      // Bounded: past the limit, forget the clean entries (the table has them) rather than track recency.
      if (this.entries.size >= CLEAN_CACHE_SIZE + this.dirty.size) this.forgetClean();
      entry = { type, id, staged: undefined, committed: undefined, dirty: false };
      this.entries.set(type, id, entry);
    }
    return entry;
  }

  /**
   * The stream's head read from the table into a clean entry; a stream without one gets an empty
   * entry too, so that its first append does not read the table again. When the index is complete,
   * a stream without an entry has no head: nothing is read or kept.
   */
  private load(stream: StreamRef): Entry | typeof NO_HEAD {
    if (this.complete) return NO_HEAD;
    const stored = this.read(stream);
    const entry = this.entry(stream.type, stream.id);
    entry.committed ??= stored;
    return entry;
  }

  private forgetClean(): void {
    this.complete = false;
    for (const [type, id, entry] of [...this.entries.entries()]) {
      if (!entry.dirty && entry.staged === undefined) this.entries.delete(type, id);
    }
  }

  private read(stream: StreamRef): StreamHead | undefined {
    const what = `head of ${streamName(stream)}`;
    let value: unknown;
    this.tableReads++;
    try {
      value = this.table.get([stream.type, stream.id]);
    } catch (error) {
      throw new CorruptDataError(what, error);
    }
    if (value === undefined) return undefined;
    if (!isHeadValue(value)) throw new CorruptDataError(what, new Error(`expected [version, position], got ${JSON.stringify(value)}`));
    return { version: value[0], position: value[1] };
  }
}

function isHeadValue(value: unknown): value is HeadValue {
  return (
    Array.isArray(value) && value.length === 2 && value.every((n) => Number.isSafeInteger(n) && n >= 1) && value[1] >= value[0]
  );
}

/** LMDB's ordered-binary order for strings: by UTF-8 bytes. */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

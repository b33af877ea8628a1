// The contract between the runtime and storage: a gapless global log, per-stream reads,
// stream versions, snapshots and the command ledger. Appends become visible in position
// order and an append's promise settles only when its events are durable (or failed).
import type { StreamRef } from './keys.js';

export type { StreamRef } from './keys.js';

/** Metadata stored on every event. */
export interface EventMetadata {
  /** Milliseconds since the epoch, taken when the command was handled. */
  readonly timestamp: number;
  readonly commandId?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly [key: string]: unknown;
}

/** The fields every stored event has, whatever its type. */
export interface StoredEventFields<TType extends string = string, TData = Record<string, unknown>> {
  /** 1-based, gapless global order. */
  readonly position: number;
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** 1-based order within the stream. */
  readonly version: number;
  readonly type: TType;
  /** The domain event without its `type`. */
  readonly data: TData;
  readonly metadata: EventMetadata;
}

/** The data of a domain event: all but its `type` (any record when the event types are untyped). */
export type EventData<E extends { readonly type: string }> = string extends E['type']
  ? Record<string, unknown>
  : { readonly [K in keyof E as K extends 'type' ? never : K]: E[K] };

/**
 * An event as stored and read back. `StoredEvent<E>` narrows it to the domain events `E` (a union
 * such as `EventOf<typeof account>`): one member per event type, so `type` discriminates `data`.
 */
export type StoredEvent<E extends { readonly type: string } = { readonly type: string }> = E extends unknown
  ? StoredEventFields<E['type'], EventData<E>>
  : never;

/** An event to append: the domain event split into type and data, with its metadata. */
export interface NewEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
  readonly metadata: EventMetadata;
}

/** One stream's part of an append batch; all-or-nothing. */
export interface StreamAppend {
  readonly stream: StreamRef;
  /** The stream's version the events were decided against (0 for a new stream). */
  readonly expectedVersion: number;
  readonly events: readonly NewEvent[];
  /** Recorded in the ledger so a repeated command returns this result. */
  readonly commandId?: string;
  /** Timers this append arms and clears (durable timers), written in the same commit as its events. */
  readonly timers?: TimerChanges;
}

/** A pending timer of one stream: the delayed event's id (XState's `xstate.after.…`) and when it is due (ms since the epoch). */
export interface PendingTimer {
  readonly id: string;
  readonly dueAt: number;
}

/** A pending timer in the deadline index. */
export interface DueTimer extends PendingTimer {
  readonly stream: StreamRef;
}

/**
 * How an append changes its stream's timers: `set` arms (or re-arms, naming the deadline it
 * replaces in `previous`), `clear` removes a pending timer; an id appears at most once.
 */
export interface TimerChanges {
  readonly set: ReadonlyArray<PendingTimer & { readonly previous?: number }>;
  readonly clear: readonly PendingTimer[];
  /** Deadline-index rows no pending timer matches any more (found by a firing): removed from the index only. */
  readonly unindex?: readonly PendingTimer[];
}

/** What an append (or a de-duplicated command) produced. */
export interface AppendResult {
  /** The stream's version after the append. */
  readonly version: number;
  /** Position of the last event appended, or the log's head when no event was appended. */
  readonly position: number;
  readonly events: readonly StoredEvent[];
}

/** A staged append: its result is known at once, `durable` settles when it is on disk. */
export interface StagedAppend {
  readonly result: AppendResult;
  /** Resolves with `result` once durable; rejects with PersistenceError naming the stream. */
  readonly durable: Promise<AppendResult>;
  /**
   * The group commit's own promise, shared by every append in it: the same settlement as
   * `durable` without a promise per append (for hot paths); rejects with the commit's error.
   */
  readonly commit: Promise<void>;
}

/** The latest snapshot of a stream. */
export interface StoredSnapshot {
  /** The stream version the snapshot covers. */
  readonly version: number;
  /** The position of the event at `version`. */
  readonly position: number;
  /** Identifies the machine definition that produced `state`; a mismatch means full replay. */
  readonly fingerprint: string;
  readonly state: unknown;
}

/** A stream's head: its version and the position of its last event. */
export interface StreamHead {
  readonly version: number;
  readonly position: number;
}

/** Options of `readStream`. */
export interface ReadStreamOptions {
  /** First version to read. @default 1 */
  readonly fromVersion?: number;
  /** Last version to read (inclusive). @default the stream's version */
  readonly toVersion?: number;
}

/** Options of `readAll`. */
export interface ReadAllOptions {
  /** First position to read. @default 1 */
  readonly fromPosition?: number;
  /** Largest number of events to return. @default unlimited */
  readonly limit?: number;
}

/** What `scanPartition` reads: `limit` entries from `fromPosition`, keeping partition `partition` of `partitions`. */
export interface PartitionScan {
  readonly fromPosition: number;
  readonly limit: number;
  readonly partitions: number;
  readonly partition: number;
}

/** Group-commit counters since the log was opened. */
export interface CommitStats {
  readonly commits: number;
  readonly events: number;
  readonly maxBatchEvents: number;
}

/** The append path: what a live aggregate stages, and the head an empty command reports. */
export interface AppendLog {
  /** Stages one append into the current group commit synchronously; throws (before anything is written) on a bad append. */
  stage(append: StreamAppend): StagedAppend;
  /** The last durable position (in 'async' durability: the last committed one). */
  headPosition(): number;
}

/** The command ledger: a repeated commandId finds the first result. */
export interface CommandLedger {
  /** The ledgered append of a command (staged or durable), undefined if the command is new. */
  commandResult(stream: StreamRef, commandId: string): StagedAppend | undefined;
}

/** Durable timers: each stream's pending ones, and all of them in deadline order. */
export interface TimerStore {
  /** The stream's pending timers, as committed. */
  pendingTimers(stream: StreamRef): PendingTimer[];
  /** Pending timers due before `before` (ms since the epoch), earliest first, at most `limit`. */
  dueTimers(before: number, limit?: number): DueTimer[];
}

/** Snapshots, one (the latest) per stream. */
export interface SnapshotStore {
  latestSnapshot(stream: StreamRef): StoredSnapshot | undefined;
  /** Writes a snapshot in the next group commit; resolves when durable. */
  putSnapshot(stream: StreamRef, snapshot: StoredSnapshot): Promise<void>;
}

/** Reads of one stream, and the list of streams. */
export interface StreamReader {
  /** Events of one stream in version order, never past the durable head; read lazily, options checked at the call. */
  readStream(stream: StreamRef, options?: ReadStreamOptions): IterableIterator<StoredEvent>;
  /** The stream's committed head (in 'sync' mode it may lead the durable head by one batch); undefined when it has no events. */
  streamHead(stream: StreamRef): StreamHead | undefined;
  /** Every stream with its version, optionally of one aggregate type, in key order. */
  streams(type?: string): IterableIterator<StreamRef & StreamHead>;
}

/** Reads of the global log in position order, and a call each time its durable head moves. */
export interface LogReader {
  /** Events in global order, up to the durable head; read lazily, options checked at the call. */
  readAll(options?: ReadAllOptions): IterableIterator<StoredEvent>;
  /**
   * Reads up to `limit` log entries from `fromPosition` (never past the durable head) and decodes
   * only those of one projection partition; `lastPosition` is the last entry read (scanned).
   */
  scanPartition(options: PartitionScan): { events: StoredEvent[]; lastPosition: number };
  /** The event at `position`, or undefined past the durable head. */
  eventAt(position: number): StoredEvent | undefined;
  /** The last durable position (in 'async' durability: the last committed one). */
  headPosition(): number;
  /** Called with the new durable head after each group commit. */
  onDurable(listener: (head: number) => void): () => void;
}

/** The durable event log of one data directory: every seam, plus its lifecycle. */
export interface EventLog extends AppendLog, CommandLedger, SnapshotStore, TimerStore, StreamReader, LogReader {
  readonly path: string;
  readonly readOnly: boolean;
  /** Group-commit counters: commits, events committed, the largest batch (events). */
  stats(): CommitStats;
  /** Called after each durable group commit with its events and its seconds from issue to durable (the metrics' histograms). */
  onCommit(listener: (events: number, seconds: number) => void): () => void;
  /** Settles every staged append, then closes the environment and releases the writer lock. */
  close(): Promise<void>;
}

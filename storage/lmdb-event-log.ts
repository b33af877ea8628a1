// The event log on one LMDB environment. Owns: positions are assigned here, gapless and in
// commit order; an append is all-or-nothing and checked against its stream's version; versions
// seen by `stage` include appends not yet committed. Events are keyed by position (appends at the
// right edge of the tree); a stream is read by walking `prev` pointers back from its head.
import { mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type Key, type RootDatabase } from 'lmdb';
import {
  ConcurrencyError, CorruptDataError, EncodingError, NotADataDirectoryError, PersistenceError, ReadOnlyStorageError, RuntimeClosedError,
  SizeLimitError,
} from './errors.js';
import { CURRENT_FORMAT, HEADER_BYTES, createEventCodec, type EventFormat, readIdHash, readPrev, type EventCodec, type EventRecord } from './codec.js';
import type {
  AppendResult, CommitStats, DueTimer, EventLog, PendingTimer, PartitionScan, ReadAllOptions, ReadStreamOptions, StagedAppend, StoredEvent, StoredSnapshot,
  StreamAppend, StreamHead, StreamRef,
} from './event-log.js';
import { GroupCommit, appendFailed, type Durability } from './group-commit.js';
import { HeadsIndex } from './heads-index.js';
import { LIMITS, checkKeyPart, checkStreamRef, streamName, surelyFits } from './keys.js';
import { fingerprintOf } from './fingerprint-table.js';
import { LedgerIndex, resolveRetention, resolveRetentionCount } from './ledger-index.js';
import { ledgerKeyBytes, ledgerKeyFingerprint } from './ledger-keys.js';
import { TimerIndex } from './timer-index.js';
import { WalkedValues } from './walked-values.js';
import { checkReadAllOptions, checkReadStreamOptions } from './read-options.js';
import { closeThroughGate, dropGate, openThroughGate } from './open-gate.js';
import { OpenRequests } from './open-requests.js';
import { claimWriter, refuseSecondWriterHere, type WriterLock } from './writer-lock.js';

/** Options of `openEventLog`. */
export interface EventLogOptions {
  /** The data directory; the events environment lives in `<path>/events`. */
  readonly path: string;
  /** Open for inspection only: allowed while a writer runs; every write throws. @default false */
  readonly readOnly?: boolean;
  /** Acknowledge after fsync ('sync') or at commit ('async'). @default 'sync' */
  readonly durability?: Durability;
  /** Largest encoded event in bytes. @default 1 MiB */
  readonly maxEventBytes?: number;
  /**
   * How long a commandId's result is kept (ms since the command was handled), or Infinity.
   * @default Infinity (createRuntime passes its own default, 24 h)
   */
  readonly commandIdRetentionMs?: number;
  /**
   * How many commandIds are kept (the newest), or Infinity.
   * @default Infinity (createRuntime passes its own default, 1,000,000)
   */
  readonly commandIdRetentionCount?: number;
}

/** Internal seams for fault injection; never part of the public options. Each is asked per block (or put). */
export interface LogSeams {
  /** True: that commit's guard cannot match, so it is skipped (as after an earlier failure). */
  readonly injectCommitFailure?: () => boolean;
  /** True: that put throws inside the commit's block, as a put lmdb-js refuses would. */
  readonly injectPutFailure?: () => boolean;
  /** True: that commit is written, then reported failed (lmdb-js does so when the fsync after it fails). */
  readonly injectCommitRejection?: () => boolean;
  /** True ('sync'): that commit is written, then waiting for its fsync fails. */
  readonly injectFlushFailure?: () => boolean;
  /** The value format of a directory created by this open (tests of older directories). */
  readonly newFormat?: EventFormat;
  /** The clock ledger retention is measured by (ms since the epoch). @default Date.now */
  readonly clock?: () => number;
  /** Close as a crash would: without writing heads behind (the next open rebuilds them). */
  readonly closeWithoutWriteBehind?: boolean;
  /** Bytes of values a stream walk keeps for the way forward (tests of the walk past it). @default 16 MiB */
  readonly streamWalkBytes?: number;
  /** The ledger's key fingerprint (tests make every key collide). @default fingerprintOf */
  readonly ledgerFingerprint?: (keyBytes: string) => number;
  /** How long a read-only open beside a live writer waits for it to pause (tests of a stopped writer). @default 10 s */
  readonly openWaitMs?: number;
}

/** Bytes of values a stream walk keeps for the way forward (see readStream), unless a seam says otherwise. */
const WALK_BYTES = 16 * 1024 * 1024;

/** The directory of the events environment inside a data directory. */
export function eventsPath(path: string): string {
  return join(path, 'events');
}

/** Opens (creating if needed) the event log of a data directory. */
export function openEventLog(options: EventLogOptions): EventLog {
  return openLmdbEventLog(options);
}

/** `openEventLog` with the internal seams, typed as the class (tests and benchmarks use its helpers). */
export function openLmdbEventLog(options: EventLogOptions & LogSeams): LmdbEventLog {
  const readOnly = options.readOnly ?? false;
  // Checked before anything is created on disk.
  resolveRetention(options.commandIdRetentionMs, Number.POSITIVE_INFINITY);
  resolveRetentionCount(options.commandIdRetentionCount, Number.POSITIVE_INFINITY);
  const dir = eventsPath(options.path);
  if (readOnly && !existsSync(join(dir, 'data.mdb'))) {
    throw new NotADataDirectoryError(options.path, 'no events/data.mdb');
  }
  if (!readOnly) {
    refuseSecondWriterHere(options.path);
    mkdirSync(dir, { recursive: true });
  }
  return openThroughGate(options.path, readOnly ? 'read' : 'write', () => new LmdbEventLog(options, dir), options.openWaitMs);
}

/** The stored event of a record at `position` (built field by field: no spread on the hot path). */
function withPosition(position: number, record: EventRecord): StoredEvent {
  return {
    position, aggregateType: record.aggregateType, aggregateId: record.aggregateId, version: record.version,
    type: record.type, data: record.data, metadata: record.metadata,
  };
}

/** A staged append whose per-append promise is only made if someone asks for it. */
class Staged implements StagedAppend {
  private durablePromise: Promise<AppendResult> | undefined;

  constructor(
    readonly result: AppendResult,
    readonly commit: Promise<void>,
    private readonly stream: StreamRef,
  ) {}

  get durable(): Promise<AppendResult> {
    this.durablePromise ??= this.commit.then(
      () => this.result,
      (error: unknown) => {
        throw appendFailed(streamName(this.stream), error, this.result);
      },
    );
    return this.durablePromise;
  }
}

/** An append that is already durable (or had nothing to write). */
function settledAppend(result: AppendResult): StagedAppend {
  const commit = Promise.resolve();
  return { result, commit, durable: commit.then(() => result) };
}

/** The LMDB event log; `append` and `streamVersion` serve tests and benchmarks, not the runtime. */
export class LmdbEventLog implements EventLog {
  private readonly env: RootDatabase;
  private readonly log: Database<Buffer, number>;
  /** The log as scanPartition reads it (opened on first use): see partitionScanLog. */
  private scanLog: Database<Uint8Array, number> | undefined;
  private readonly headsTable: Database;
  private readonly snapshots: Database;
  /** The ledger table of earlier versions (moved into the journal by a writer's open). */
  private readonly ledgerTable: Database<Buffer, Buffer>;
  /** Undefined only in a reader of a directory written before the journal existed. */
  private readonly ledgerJournal: Database<Buffer, number> | undefined;
  private readonly meta: Database;
  private readonly codec: EventCodec;
  private readonly commit: GroupCommit | undefined;
  private headsIndex: HeadsIndex | undefined;
  private ledgerIndex: LedgerIndex | undefined;
  private readonly timers: TimerIndex;
  private readonly listeners = new Set<(head: number) => void>();
  private readonly commitListeners = new Set<(events: number, seconds: number) => void>();
  private nextPosition: number;
  private durableHead: number;
  /** Why appends are refused: a commit failed and the log is not yet reconciled with the file. */
  private broken: unknown = undefined;
  /** A failed commit may have lost the last save of the shared structures: the next append saves them again. */
  private structuresLost = false;
  private commitStats = { commits: 0, events: 0, maxBatchEvents: 0 };
  /** Counted for the keyedReads test seam. */
  private eventReads = 0;
  private snapshotReads = 0;
  private closed = false;
  /** The writer claim; undefined when read-only. */
  private readonly lock: WriterLock | undefined;
  private readonly newFormat: EventFormat | undefined;

  readonly path: string;
  readonly readOnly: boolean;
  private readonly maxEventBytes: number;
  private readonly retentionMs: number;
  private readonly retentionCount: number;
  private readonly clock: () => number;
  private readonly writeBehindOnClose: boolean;
  private readonly walkBytes: number;
  private readonly fingerprint: (keyBytes: string) => number;
  private readonly keyFingerprint: (stream: StreamRef, commandId: string) => number;

  constructor(
    options: EventLogOptions & LogSeams,
    dir: string,
  ) {
    const readOnly = options.readOnly ?? false;
    this.path = options.path;
    this.readOnly = readOnly;
    this.maxEventBytes = options.maxEventBytes ?? LIMITS.eventBytes;
    this.newFormat = options.newFormat;
    this.retentionMs = resolveRetention(options.commandIdRetentionMs, Number.POSITIVE_INFINITY);
    this.retentionCount = resolveRetentionCount(options.commandIdRetentionCount, Number.POSITIVE_INFINITY);
    this.clock = options.clock ?? (() => Date.now());
    this.writeBehindOnClose = options.closeWithoutWriteBehind !== true;
    this.walkBytes = options.streamWalkBytes ?? WALK_BYTES;
    const seam = options.ledgerFingerprint;
    this.fingerprint = seam ?? fingerprintOf;
    this.keyFingerprint = seam ? (stream, commandId) => seam(ledgerKeyBytes(stream, commandId)) : ledgerKeyFingerprint;
    const durability = options.durability ?? 'sync';
    // Both flags stated, so that opening a data directory already open in this process with the
    // other durability throws (lmdb-js keeps the first open's flags) instead of silently mixing:
    // 'sync' needs overlappingSync (fsync per commit); 'async' uses noSync, and GroupCommit syncs.
    const syncFlags = readOnly ? {} : durability === 'async' ? { noSync: true } : { overlappingSync: true };
    // No event-turn batching: GroupCommit's one block per tick is the batch already, and lmdb-js
    // would leave its own turn promise rejected and unhandled when that transaction fails.
    this.env = open({ path: dir, readOnly, separateFlushed: true, maxDbs: 8, eventTurnBatching: false, ...syncFlags });
    this.log = this.env.openDB<Buffer, number>('log', { encoding: 'binary' });
    this.headsTable = this.env.openDB('heads', {});
    this.snapshots = this.env.openDB('snapshots', {});
    this.ledgerTable = this.env.openDB<Buffer, Buffer>('ledger', { encoding: 'binary', keyEncoding: 'binary' });
    this.ledgerJournal = this.env.openDB<Buffer, number>('ledger-journal', { encoding: 'binary' });
    this.timers = new TimerIndex(
      this.env.openDB<Buffer, Buffer>('timers', { encoding: 'binary', keyEncoding: 'binary' }),
      this.env.openDB<Buffer, Buffer>('timers-due', { encoding: 'binary', keyEncoding: 'binary' }),
    );
    this.meta = this.env.openDB('meta', { useVersions: true });
    // A read-only open does not create databases: lmdb-js returns undefined for a missing one.
    if (readOnly && [this.log, this.headsTable, this.snapshots, this.ledgerTable, this.meta].some((db) => (db as Database | undefined) === undefined)) {
      void this.env.close();
      throw new NotADataDirectoryError(this.path, "its events environment lacks rehydra's databases");
    }
    if (!readOnly) {
      try {
        const claim = claimWriter(this.path);
        const requests = OpenRequests.serve(this.path, this.env);
        this.lock = {
          release: () => {
            requests.close();
            claim.release();
          },
        };
      } catch (error) {
        void this.env.close();
        throw error;
      }
    }
    const structures = {
      load: () => this.meta.get('structures') as unknown[] | undefined,
      save: (value: unknown[]) => this.commit!.batch().put(this.meta, 'structures', value),
    };
    this.nextPosition = this.lastPosition();
    this.durableHead = this.nextPosition;
    const format = this.formatOf(this.meta.get('format'), readOnly);
    this.codec = createEventCodec(structures, readOnly, format);
    if (readOnly) {
      this.commit = undefined;
      return;
    }
    if (this.meta.get('format') === undefined) this.meta.putSync('format', format);
    const hooks = {
      durable: (head: number, seconds: number) => this.onDurableHead(head, seconds),
      failed: (error: unknown) => void (this.broken ??= error),
      recover: () => this.recover(),
    };
    const seams = {
      failGuard: options.injectCommitFailure, failPut: options.injectPutFailure, rejectCommit: options.injectCommitRejection,
      failFlush: options.injectFlushFailure,
    };
    // env.sync(callback) (untyped in lmdb-js) runs mdb_env_sync(force) on the libuv pool.
    const env = this.env as RootDatabase & { sync(callback: (error?: unknown) => void): void };
    const syncEnv = (): Promise<void> => new Promise((resolve, reject) => env.sync((error) => (error ? reject(error) : resolve())));
    this.commit = new GroupCommit(this.meta, durability, hooks, this.nextPosition, seams, syncEnv);
    // Made at once, unlike heads: an earlier version's ledger table moves into the journal, and
    // trimming goes on, even if no command of this run has an id.
    this.ledgerIndex = this.newLedger();
  }

  append(appends: readonly StreamAppend[]): Promise<AppendResult>[] {
    return appends.map((append) => {
      try {
        return this.stage(append).durable;
      } catch (error) {
        return Promise.reject(error);
      }
    });
  }

  stage(append: StreamAppend): StagedAppend {
    const commit = this.writer();
    const { stream, events, commandId, timers } = append;
    // A recovery that could not write (a full disk) is tried again by the next append.
    if (this.broken !== undefined && commit.pending === 0) this.recover();
    if (this.broken !== undefined) throw new PersistenceError(streamName(stream), this.broken);
    checkStreamRef(stream);
    if (commandId !== undefined && !surelyFits(commandId, LIMITS.commandIdBytes)) checkKeyPart(`commandId of ${streamName(stream)}`, commandId, LIMITS.commandIdBytes);
    if (timers !== undefined) this.timers.check(stream, timers);
    const heads = this.heads;
    const found = heads.forAppend(stream);
    const head = found.staged ?? found.committed;
    const actual = head?.version ?? 0;
    if (append.expectedVersion !== actual) throw new ConcurrencyError(streamName(stream), append.expectedVersion, actual);

    // Encode every event before touching any state, so a bad event leaves nothing behind.
    const values: Buffer[] = [];
    const stored: StoredEvent[] = [];
    let prev = head?.position ?? 0;
    let position = this.nextPosition;
    let version = actual;
    for (const event of events) {
      position++;
      version++;
      const record: EventRecord = {
        aggregateType: stream.type, aggregateId: stream.id, version, type: event.type, data: event.data, metadata: event.metadata,
      };
      let value: Buffer;
      try {
        value = this.codec.encode(record, prev);
      } catch (error) {
        throw new EncodingError(streamName(stream), `event "${event.type}"`, error);
      }
      if (value.length > this.maxEventBytes) {
        throw new SizeLimitError(`event "${event.type}" of ${streamName(stream)} at version ${version}`, value.length, this.maxEventBytes);
      }
      values.push(value);
      stored.push(withPosition(position, record));
      prev = position;
    }

    if (stored.length === 0 && commandId === undefined && timers === undefined) {
      return settledAppend({ version, position: this.nextPosition, events: stored });
    }
    const batch = commit.batch();
    if (this.structuresLost) {
      this.structuresLost = false;
      this.codec.resave();
    }
    for (let i = 0; i < values.length; i++) batch.putNew(this.log, stored[i]!.position, values[i]);
    if (stored.length > 0) {
      heads.stage(batch, stream, found, { version, position });
      this.nextPosition = position;
      batch.head = position;
    }
    const result: AppendResult = { version, position: this.nextPosition, events: stored };
    const staged = new Staged(result, batch.done, stream);
    if (timers !== undefined) this.timers.stage(batch, stream, timers);
    const ledger = this.ledgerIndex!;
    if (commandId !== undefined) ledger.record(stream, commandId, staged, batch);
    // Trimming rides along in this commit: a commit and an fsync of its own would cost more.
    ledger.trimInto(batch);
    return staged;
  }

  readStream(stream: StreamRef, options: ReadStreamOptions = {}): IterableIterator<StoredEvent> {
    checkReadStreamOptions(streamName(stream), options);
    return this.streamEvents(stream, options.fromVersion ?? 1, options.toVersion);
  }

  private *streamEvents(stream: StreamRef, fromVersion: number, toVersion: number | undefined): IterableIterator<StoredEvent> {
    const head = this.durableStreamHead(stream);
    if (!head) return;
    const from = Math.max(1, fromVersion);
    const to = Math.min(head.version, toVersion ?? head.version);
    if (from > to) return;
    // Walk back from the head to `from` through the 6-byte prev headers, one read per event. The
    // values in range are copied into one buffer on the way (their bytes only: decoded as they are
    // yielded); past the walk's budget, only positions are kept and those events are read again going forward.
    const count = to - from + 1;
    const positions = new Float64Array(count);
    const walked = new WalkedValues(count, this.walkBytes);
    let position = head.position;
    for (let version = head.version; version >= from; version--) {
      const raw = this.rawAt(position);
      const prev = version > from ? this.prevOf(position, raw) : 0;
      if (version <= to) {
        positions[version - from] = position;
        walked.keep(version - from, raw);
      }
      position = prev;
    }
    for (let i = 0; i < count; i++) {
      const at = positions[i]!;
      const event = walked.has(i) ? withPosition(at, this.codec.decode(walked.bytes, at, walked.start(i), walked.end(i))) : this.decodeAt(at);
      yield this.inStream(event, stream, from + i);
    }
  }

  readAll(options: ReadAllOptions = {}): IterableIterator<StoredEvent> {
    checkReadAllOptions(options);
    return this.logEvents(Math.max(1, options.fromPosition ?? 1), options.limit);
  }

  private *logEvents(start: number, limit: number | undefined): IterableIterator<StoredEvent> {
    const end = this.headPosition() + 1;
    if (start >= end || limit === 0) return;
    const range = this.log.getRange({ start, end, limit, snapshot: false });
    for (const { key, value } of range) yield this.toStored(key, value);
  }

  scanPartition(options: PartitionScan): { events: StoredEvent[]; lastPosition: number } {
    const { fromPosition, limit, partitions, partition } = options;
    const end = Math.min(this.headPosition(), fromPosition + limit - 1) + 1;
    const events: StoredEvent[] = [];
    let lastPosition = fromPosition - 1;
    if (fromPosition >= end) return { events, lastPosition };
    for (const { key, value } of this.partitionScanLog().getRange({ start: fromPosition, end, snapshot: false })) {
      lastPosition = key;
      // Only this partition's events are decoded: the id hash is in the header.
      if (value.length >= HEADER_BYTES && readIdHash(value) % partitions !== partition) continue;
      events.push(this.toStored(key, value));
    }
    return { events, lastPosition };
  }

  /**
   * The log through a pass-through decoder: a range then yields lmdb-js's one reused read buffer
   * (valid until the cursor moves, its `length` set per value) instead of a fresh copy of every
   * value, most of which belong to other partitions and are only looked at for their id hash. The
   * codec decodes within the value's bounds and copies out what it keeps (copyBuffers).
   */
  private partitionScanLog(): Database<Uint8Array, number> {
    // lmdb-js takes `encoder` on any database, though its types list it on the root's options only.
    const options = { encoding: 'binary' as const, encoder: { encode: (value: Uint8Array) => value, decode: (bytes: Uint8Array) => bytes } };
    return (this.scanLog ??= this.env.openDB<Uint8Array, number>('log', options));
  }

  eventAt(position: number): StoredEvent | undefined {
    if (position < 1 || position > this.headPosition()) return undefined;
    return this.decodeAt(position);
  }

  headPosition(): number {
    if (!this.readOnly) return this.durableHead;
    // lmdb-js renews a thread's read snapshot only on a timer that a busy worker may never reach:
    // start a fresh one so a reader (readAll, eventAt) sees the writer's latest commit.
    this.env.resetReadTxn();
    return this.lastPosition();
  }

  streamVersion(stream: StreamRef): number {
    return this.heads.current(stream)?.version ?? 0;
  }

  streamHead(stream: StreamRef): StreamHead | undefined {
    return this.heads.committed(stream);
  }

  /**
   * The stream's head as of the durable log head: reads never show a commit that is not yet
   * fsync'd (it may still fail). At most the batches in flight lie between the two: a short walk.
   */
  private durableStreamHead(stream: StreamRef): StreamHead | undefined {
    let head = this.streamHead(stream);
    const durable = this.headPosition();
    while (head && head.position > durable) {
      head = head.version === 1 ? undefined : { version: head.version - 1, position: this.prevOf(head.position, this.rawAt(head.position)) };
    }
    return head;
  }

  /** Test seam: runs `callback` once the batch being filled has committed, before it is durable. */
  afterNextCommit(callback: () => void): void {
    this.writer().batch().afterCommit(callback);
  }

  /**
   * Test seam: keyed reads so far: events read by position (stream walks, eventAt, ledger hits),
   * snapshots looked up, rows read from the heads table.
   */
  get keyedReads(): { readonly events: number; readonly snapshots: number; readonly heads: number } {
    return { events: this.eventReads, snapshots: this.snapshotReads, heads: this.headsIndex?.tableReads ?? 0 };
  }

  /** Test seam: how many stream heads this process keeps in memory. */
  get cachedHeads(): number {
    return this.headsIndex?.size ?? 0;
  }

  streams(type?: string): IterableIterator<StreamRef & StreamHead> {
    return this.heads.streams(type);
  }

  latestSnapshot(stream: StreamRef): StoredSnapshot | undefined {
    const what = `snapshot of ${streamName(stream)}`;
    this.snapshotReads++;
    const value = this.getDecoded(this.snapshots, [stream.type, stream.id], what) as Partial<StoredSnapshot> | null | undefined;
    if (value === undefined) return undefined;
    if (
      typeof value !== 'object' || value === null || !Number.isSafeInteger(value.version) || !Number.isSafeInteger(value.position) ||
      typeof value.fingerprint !== 'string' || !('state' in value)
    ) {
      throw new CorruptDataError(what, new Error('expected { version, position, fingerprint, state }'));
    }
    return value as StoredSnapshot;
  }

  putSnapshot(stream: StreamRef, snapshot: StoredSnapshot): Promise<void> {
    const name = streamName(stream);
    const commit = this.writer();
    if (this.broken !== undefined) return Promise.reject(new PersistenceError(name, this.broken));
    const batch = commit.batch();
    try {
      batch.put(this.snapshots, [stream.type, stream.id], snapshot);
    } catch (error) {
      return Promise.reject(new EncodingError(name, `its snapshot at version ${snapshot.version}`, error));
    }
    return batch.done.catch((error: unknown) => {
      throw appendFailed(name, error);
    });
  }

  commandResult(stream: StreamRef, commandId: string): StagedAppend | undefined {
    // lmdb-js throws on a closed environment too: that is not corrupt data.
    if (this.closed) throw new RuntimeClosedError(`reading the event log of ${this.path}`);
    const hit = this.ledger.lookup(stream, commandId);
    if (!hit) return undefined;
    if (hit.staged) return hit.staged;
    const { version, position, count } = hit;
    const events: StoredEvent[] = [];
    for (let i = count - 1; i >= 0; i--) events.push(this.decodeInStream(position - i, stream, version - i));
    return settledAppend({ version, position, events });
  }

  pendingTimers(stream: StreamRef): PendingTimer[] {
    if (this.closed) throw new RuntimeClosedError(`reading the timers of ${this.path}`);
    return this.timers.pendingOf(stream);
  }

  dueTimers(before: number, limit?: number): DueTimer[] {
    if (this.closed) throw new RuntimeClosedError(`reading the timers of ${this.path}`);
    return this.timers.dueBefore(before, limit);
  }

  stats(): CommitStats {
    return { ...this.commitStats };
  }

  onDurable(listener: (head: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onCommit(listener: (events: number, seconds: number) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.commit?.idle();
    // Heads written now spare the next open a scan of the log's tail.
    if (this.commit && this.broken === undefined && this.writeBehindOnClose) {
      this.headsIndex?.flushInto(() => this.commit!.batch(), true);
      await this.commit.idle();
    }
    await this.commit?.endWrites();
    // Flushed first, so that lmdb-js closes the environment at once, inside the gate.
    await this.env.flushed;
    this.lock?.release();
    await closeThroughGate(this.path, () => this.env.close());
    if (!this.readOnly) dropGate(this.path);
  }

  private writer(): GroupCommit {
    if (!this.commit) throw new ReadOnlyStorageError(this.path);
    if (this.closed) throw new PersistenceError(this.path, new Error('the event log is closed'));
    return this.commit;
  }

  /** The directory's value format: the stored marker, 1 for a log older than the marker, the current one for a new log. */
  private formatOf(marker: unknown, readOnly: boolean): EventFormat {
    if (marker === 1 || marker === 2 || marker === 3) return marker;
    const reason =
      marker !== undefined ? `its format ${JSON.stringify(marker)} is not one this rehydra reads (1, 2, 3): it was written by a newer version`
      : readOnly && this.nextPosition === 0 ? 'no format marker'
      : undefined;
    if (reason === undefined) return this.nextPosition > 0 ? 1 : (this.newFormat ?? CURRENT_FORMAT);
    this.lock?.release();
    void this.env.close();
    throw new NotADataDirectoryError(this.path, reason);
  }

  private lastPosition(): number {
    for (const key of this.log.getKeys({ reverse: true, limit: 1 })) return key;
    return 0;
  }

  /** Made on first use: projection workers open the log read-only and never look at heads. */
  private get heads(): HeadsIndex {
    this.headsIndex ??= new HeadsIndex(this.headsTable, this.meta, this.readOnly, (after) => this.scanStreams(after));
    return this.headsIndex;
  }

  /** Made on first use in a reader (projection workers never ask for a command's result). */
  private get ledger(): LedgerIndex {
    this.ledgerIndex ??= this.newLedger();
    return this.ledgerIndex;
  }

  private newLedger(): LedgerIndex {
    return new LedgerIndex({
      legacy: this.ledgerTable, journal: this.ledgerJournal, meta: this.meta, readOnly: this.readOnly,
      retentionMs: this.retentionMs, retentionCount: this.retentionCount, now: this.clock, fingerprint: this.fingerprint,
      keyFingerprint: this.keyFingerprint,
      eventAt: (position) => this.decodeAt(position),
    });
  }

  /** The stream of every event after `after`, for rebuilding heads written behind. */
  private *scanStreams(after: number): IterableIterator<{ type: string; id: string; version: number; position: number }> {
    for (const { key, value } of this.log.getRange({ start: after + 1, snapshot: false })) {
      const record = this.codec.decode(value, key);
      yield { type: record.aggregateType, id: record.aggregateId, version: record.version, position: key };
    }
  }

  /** The prev pointer of the event at `position`, which must lead to an earlier event. */
  private prevOf(position: number, value: Uint8Array): number {
    const prev = value.length < HEADER_BYTES ? Number.NaN : readPrev(value);
    if (!(prev >= 1 && prev < position)) {
      throw new CorruptDataError(`log position ${position}`, new Error(`its prev pointer (${prev}) is not an earlier position`));
    }
    return prev;
  }

  /** Decodes the event at `position`, which a head, prev chain or ledger says is `stream`@`version`. */
  private decodeInStream(position: number, stream: StreamRef, version: number): StoredEvent {
    return this.inStream(this.decodeAt(position), stream, version);
  }

  /** The event itself, if it is `stream`@`version` as the chain says; CorruptDataError otherwise. */
  private inStream(event: StoredEvent, stream: StreamRef, version: number): StoredEvent {
    const position = event.position;
    if (event.aggregateType !== stream.type || event.aggregateId !== stream.id || event.version !== version) {
      const found = `${event.aggregateType}/${event.aggregateId} version ${event.version}`;
      throw new CorruptDataError(`log position ${position}`, new Error(`expected ${streamName(stream)} version ${version}, found ${found}: the stream's chain is broken`));
    }
    return event;
  }

  private getDecoded(db: Database, key: Key, what: string): unknown {
    // lmdb-js throws on a closed environment too: that is not corrupt data.
    if (this.closed) throw new RuntimeClosedError(`reading the event log of ${this.path}`);
    try {
      return db.get(key);
    } catch (error) {
      throw new CorruptDataError(what, error);
    }
  }

  private rawAt(position: number): Buffer {
    this.eventReads++;
    const value = this.log.getBinaryFast(position);
    if (!value) throw new CorruptDataError(`log position ${position}`, new Error('missing: a prev pointer leads to no event'));
    return value;
  }

  private decodeAt(position: number): StoredEvent {
    return this.toStored(position, this.rawAt(position));
  }

  private toStored(position: number, value: Uint8Array): StoredEvent {
    return withPosition(position, this.codec.decode(value, position));
  }


  private onDurableHead(head: number, seconds: number): void {
    const stats = this.commitStats;
    stats.commits++;
    const events = Math.max(0, head - this.durableHead);
    if (events > 0) {
      stats.events += events;
      if (events > stats.maxBatchEvents) stats.maxBatchEvents = events;
      this.durableHead = head;
    }
    for (const listener of this.listeners) listener(this.durableHead);
    for (const listener of this.commitListeners) listener(events, seconds);
    if (this.broken === undefined && !this.closed) {
      this.headsIndex?.flushInto(() => this.commit!.batch(), false);
    }
  }

  /**
   * Once every issued block has an outcome after a failure: the truth is the file. A commit
   * reported failed may be in it (its fsync failed after the write): its events are the log now,
   * so heads are rebuilt from the log's tail and no version is handed out twice. Only reads,
   * unless the guard is wrong; returns the last position in the file.
   */
  private recover(): number {
    this.env.resetReadTxn();
    const onDisk = this.lastPosition();
    this.heads.reconcile(this.durableHead);
    this.ledgerIndex?.reconcile();
    this.nextPosition = onDisk;
    this.structuresLost = true;
    const moved = onDisk > this.durableHead;
    this.durableHead = onDisk;
    // 'async' after a failed background fsync: acknowledged commits may be lost; stay refused.
    this.broken = this.commit!.syncFailed ?? this.commit!.resetGuard(onDisk);
    if (moved) for (const listener of this.listeners) listener(onDisk);
    return onDisk;
  }
}

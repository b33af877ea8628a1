// Group commit: every write staged in one tick goes into one guarded block of pre-encoded puts,
// which lmdb-js commits in one transaction while later blocks keep being issued. Each block is
// conditional on the guard's version being the head the block before wrote, so after a failed
// block every later one is skipped: the log stays a gapless prefix. Batches settle in issue order;
// after a failure none settles until every issued block has an outcome and the log has been
// reconciled with the file, so each failure can say whether its events are in the file.
import { asBinary, type Database, type Key, type RootDatabase } from 'lmdb';
import { PersistenceError } from './errors.js';

/**
 * When an append is acknowledged: after fsync ('sync') or at commit ('async'). In 'async' the
 * environment is opened with noSync and the group commit fsyncs it in the background (one sync
 * at a time; another starts as soon as one ends if anything committed meanwhile).
 */
export type Durability = 'sync' | 'async';

const GUARD_KEY = 'head';

/** Fault injection at each level of a commit (internal seams, never public options). */
export interface CommitSeams {
  /** Per block: true gives it a guard that cannot match, so it is skipped as after an earlier failure. */
  readonly failGuard?: () => boolean;
  /** Per put inside a block: true makes that put throw, as a put lmdb-js refused would. */
  readonly failPut?: () => boolean;
  /** Per block: true reports its commit failed after it was written (as lmdb-js does when the fsync after the commit fails). */
  readonly rejectCommit?: () => boolean;
  /** Per block ('sync'): true fails the wait for its fsync (lmdb-js 3.5 never rejects `flushed`). */
  readonly failFlush?: () => boolean;
}

interface Put {
  readonly db: Database;
  readonly key: Key;
  /** The value as stored: a Buffer (binary databases) or asBinary() of its encoding. */
  readonly value: unknown;
  /** No earlier commit wrote the key: a block that fails part-way removes it again. */
  readonly fresh: boolean;
  /** The key is greater than every key in `db`: written with MDB_APPEND (see Batch.append). */
  readonly append: boolean;
}

/** lmdb-js put options for MDB_APPEND (its types give put's third parameter as a version only). */
const APPEND = { append: true };
type PutWithOptions = (key: Key, value: unknown, options: typeof APPEND) => Promise<boolean>;

/** The writes of one tick; `done` settles when they are durable (or failed). */
export interface Batch {
  readonly done: Promise<void>;
  /** Highest log position written by this batch or any before it. */
  head: number;
  /** Encodes `value` now (throwing here, to the caller, if it cannot be) and writes it with the batch. */
  put(db: Database, key: Key, value: unknown): void;
  /** `put` of a key no earlier commit wrote (an event's position, a ledger entry). */
  putNew(db: Database, key: Key, value: unknown): void;
  /**
   * `putNew` of a key greater than every key in `db` and every key put before it: LMDB then fills
   * the last page instead of splitting it in half. A key that is not greater is not written at
   * all (lmdb-js resolves that put false and commits the rest), so a caller that cannot know it
   * is greater must use putNew.
   */
  append(db: Database, key: Key, value: unknown): void;
  /**
   * Removes `key` from `db` in this batch, after every put of the block (so a block that fails
   * part-way removes nothing), unless a later put of this batch writes the key again.
   */
  remove(db: Database, key: Key): void;
  /** Runs once the batch is committed and visible to readers, before `done` resolves. */
  afterCommit(callback: () => void): void;
  /**
   * Runs once the batch takes no more writes, as its block is written: a writer that gathers many
   * small writes into one (the ledger's entries) puts it from here. A callback that throws fails
   * the block as a throwing put does.
   */
  beforeWrite(callback: () => void): void;
}

/** Hooks the event log gives the group commit. */
export interface GroupCommitHooks {
  /** After a batch is durable, with the highest durable position and the seconds since it was issued. */
  durable(head: number, seconds: number): void;
  /** The first failure since the last recovery: stop staging appends. */
  failed(error: unknown): void;
  /** Every issued block has an outcome after a failure: re-read the log from the file; returns its last position. */
  recover(): number;
}

/** Why a batch failed, and the last log position in the file once the log was reconciled. */
export class CommitFailure extends Error {
  constructor(
    readonly reason: unknown,
    readonly writtenTo: number,
  ) {
    super(String((reason as Error)?.message ?? reason), { cause: reason });
    this.name = 'CommitFailure';
  }
}

/** The PersistenceError of an append (last event at `result.position`) whose commit failed with `error`. */
export function appendFailed(stream: string, error: unknown, result?: { readonly position: number; readonly events: readonly unknown[] }): PersistenceError {
  if (error instanceof PersistenceError) return error;
  const written = error instanceof CommitFailure && result !== undefined && result.events.length > 0 && result.position <= error.writtenTo;
  return new PersistenceError(stream, error, written);
}

type OpenBatch = Batch & {
  readonly puts: Put[];
  /** Keys to remove, by database and then by `keyId`. */
  readonly removals: Map<Database, Map<string, Key>>;
  readonly callbacks: Array<() => void>;
  readonly closing: Array<() => void>;
  readonly settle: (error?: unknown) => void;
  /** Set once the block's fate is known: `{}` for durable, `{ error }` for failed. */
  outcome: { readonly error?: unknown } | undefined;
  /** performance.now() when the block was issued to lmdb-js: the commit time runs from here. */
  issuedAt: number;
};

const DURABLE = Object.freeze({});

/** Equal keys, equal ids: a Buffer by its bytes (a database's keys are all Buffers or all not). */
function keyId(key: Key): string {
  return Buffer.isBuffer(key) ? key.toString('latin1') : JSON.stringify(key);
}

/** The stored form of `value` in `db`: encoded here, so nothing can fail to encode inside a commit. */
function encodeFor(db: Database, value: unknown): unknown {
  const encoder = (db as { encoder?: { encode(value: unknown): Uint8Array } }).encoder;
  // A copy: msgpackr encodes into one buffer it shares and reuses, here and in lmdb-js's own puts.
  return encoder ? asBinary(Buffer.from(encoder.encode(value))) : value;
}

/** The batching writer of one environment (one per process: the writer lock makes sure). */
export class GroupCommit {
  private current: OpenBatch | undefined;
  /** Batches opened and not yet settled, in issue order. */
  private readonly queue: OpenBatch[] = [];
  private issuedHead: number;
  /** A block failed: nothing settles until every issued block has an outcome and the log recovered. */
  private failing = false;
  private idleWaiters: Array<() => void> = [];
  /** 'async': the running background sync, whether another is wanted, and a sync's failure. */
  private syncing: Promise<void> | undefined;
  private syncWanted = false;
  private syncFailure: unknown = undefined;

  constructor(
    private readonly meta: Database,
    private readonly durability: Durability,
    private readonly hooks: GroupCommitHooks,
    head: number,
    private readonly seams: CommitSeams = {},
    /** 'async' only: fsyncs the environment (opened with noSync). */
    private readonly syncEnv?: () => Promise<void>,
  ) {
    if (durability === 'async' && !syncEnv) throw new TypeError("'async' durability needs a background sync");
    this.issuedHead = head;
    meta.putSync(GUARD_KEY, GUARD_KEY, head);
  }

  /** The batch being filled in this tick (one is opened and scheduled on first use). */
  batch(): Batch {
    if (this.current) return this.current;
    let settle!: (error?: unknown) => void;
    const done = new Promise<void>((resolve, reject) => {
      settle = (error) => (error === undefined ? resolve() : reject(error));
    });
    // Callers attach their own handlers; this one only keeps a failed batch with no
    // listeners from surfacing as an unhandled rejection.
    done.catch(() => undefined);
    const puts: Put[] = [];
    const removals: OpenBatch['removals'] = new Map();
    const callbacks: Array<() => void> = [];
    const closing: Array<() => void> = [];
    // Removals run after the puts: one an earlier append of this batch staged must not undo a
    // later append's put of the same key (a timer cleared, then armed again).
    const stage = (db: Database, key: Key, value: unknown, fresh: boolean, append = false): void => {
      const removed = removals.size > 0 ? removals.get(db) : undefined;
      if (removed) removed.delete(keyId(key));
      puts.push({ db, key, value: encodeFor(db, value), fresh, append });
    };
    const batch: OpenBatch = {
      done, head: this.issuedHead, puts, removals, callbacks, closing, settle, outcome: undefined, issuedAt: 0,
      put: (db, key, value) => stage(db, key, value, false),
      putNew: (db, key, value) => stage(db, key, value, true),
      append: (db, key, value) => stage(db, key, value, true, true),
      remove: (db, key) => {
        let keys = removals.get(db);
        if (!keys) removals.set(db, (keys = new Map()));
        keys.set(keyId(key), key);
      },
      afterCommit: (callback) => void callbacks.push(callback),
      beforeWrite: (callback) => void closing.push(callback),
    };
    this.current = batch;
    this.queue.push(batch);
    queueMicrotask(() => this.flush());
    return batch;
  }

  /** Resolves when every issued batch has settled and ('async') what they wrote is fsync'd. */
  async idle(): Promise<void> {
    if (this.queue.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    await this.syncing;
  }

  /**
   * Before the environment closes, once idle: lmdb-js's close waits for the fsync of the last
   * transaction, which never comes when that one failed. A block that cannot apply (nothing to
   * write, nothing to sync) makes the last transaction one that succeeds.
   */
  async endWrites(): Promise<void> {
    await this.idle();
    const noop = (this.meta as RootDatabase).ifVersion(GUARD_KEY, -1, () => undefined) as Promise<boolean> & { flushed?: Promise<void> };
    await noop.then(() => noop.flushed, (error: unknown) => (error as { commitError?: Promise<unknown> } | undefined)?.commitError).catch(() => undefined);
  }

  /** Batches issued and not yet settled. */
  get pending(): number {
    return this.queue.length;
  }

  /** 'async': why a background fsync failed; once set, every batch fails and no recovery is made. */
  get syncFailed(): unknown {
    return this.syncFailure;
  }

  /**
   * After a failure: the next block is guarded on `head`, the last position in the file. Returns
   * the error when the guard could not be set (a full disk): appends stay refused, and retry it.
   */
  resetGuard(head: number): unknown {
    this.issuedHead = head;
    try {
      // The guard is written with every block, so it is normally right already: no write needed.
      if (this.meta.getEntry(GUARD_KEY)?.version !== head) this.meta.putSync(GUARD_KEY, GUARD_KEY, head);
      return undefined;
    } catch (error) {
      return error;
    }
  }

  private flush(): void {
    const batch = this.current!;
    this.current = undefined;
    batch.issuedAt = performance.now();
    const expected = this.issuedHead;
    this.issuedHead = batch.head;
    // A failed background fsync may have lost acknowledged commits: refuse to go on as if not.
    if (this.syncFailure !== undefined) return this.record(batch, new Error('a background fsync failed', { cause: this.syncFailure }));
    const guard = this.seams.failGuard?.() ? -1 : expected;
    let thrown: { readonly error: unknown } | undefined;
    let committed: Promise<boolean> & { flushed?: Promise<void> };
    try {
      committed = (this.meta as RootDatabase).ifVersion(GUARD_KEY, guard, () => {
        thrown = this.writeBlock(batch);
      }) as Promise<boolean> & { flushed?: Promise<void> };
    } catch (error) {
      // Only if undoing a failed put failed too: the block may land in part; recovery reads the file.
      return this.record(batch, error);
    }
    committed.then(
      (applied) => {
        if (thrown) return this.record(batch, thrown.error);
        if (!applied) return this.record(batch, new Error(`an earlier commit failed; log head not at ${expected}`));
        // Before the callbacks: a commit lmdb-js reports failed runs none, written or not.
        if (this.seams.rejectCommit?.()) return this.record(batch, new Error('injected: the commit was reported failed after it was written'));
        for (const callback of batch.callbacks) callback();
        if (this.durability === 'async') {
          this.syncSoon();
          return this.record(batch);
        }
        this.awaitFlush(batch, committed.flushed);
      },
      (error: unknown) => {
        // lmdb-js rejects a second promise with the real cause (an errno) in the same callback;
        // left unhandled it would end the process.
        const detail = (error as { commitError?: Promise<unknown> } | undefined)?.commitError;
        if (!detail) return this.record(batch, error);
        detail.then(() => this.record(batch, error), (cause: unknown) => this.record(batch, cause));
      },
    );
  }

  /**
   * The beforeWrite callbacks, the block's puts, its removals, then the guard. A put (or callback)
   * that throws removes the fresh keys put before it, so no append lands in part.
   */
  private writeBlock(batch: OpenBatch): { readonly error: unknown } | undefined {
    let done = 0;
    try {
      for (const callback of batch.closing) callback();
      for (const { db, key, value, append } of batch.puts) {
        if (this.seams.failPut?.()) throw new Error('injected: a put threw inside the commit');
        void (append ? (db.put as PutWithOptions).call(db, key, value, APPEND) : db.put(key, value));
        done++;
      }
      for (const [db, keys] of batch.removals) for (const key of keys.values()) void db.remove(key);
      void this.meta.put(GUARD_KEY, GUARD_KEY, batch.head);
      return undefined;
    } catch (error) {
      // The guard is not moved, so every later block is skipped; the rest of this one lands (rewrites of known facts).
      for (const put of batch.puts.slice(0, done)) if (put.fresh) void put.db.remove(put.key);
      return { error };
    }
  }

  /** 'sync': the batch is durable once its transaction is fsync'd. */
  private awaitFlush(batch: OpenBatch, flushed: Promise<void> | undefined): void {
    // Acking at commit would silently downgrade 'sync' durability: refuse instead.
    if (!flushed) return this.record(batch, new Error('lmdb-js gave no flushed promise: is separateFlushed set?'));
    const fsync = this.seams.failFlush?.() ? flushed.then(() => Promise.reject(new Error('injected: the fsync failed'))) : flushed;
    fsync.then(
      () => this.record(batch),
      (error: unknown) => this.record(batch, error),
    );
  }

  /** 'async': makes sure a background fsync starts after this commit (at most one at a time). */
  private syncSoon(): void {
    this.syncWanted = true;
    this.syncing ??= this.syncLoop();
  }

  private async syncLoop(): Promise<void> {
    try {
      while (this.syncWanted && this.syncFailure === undefined) {
        this.syncWanted = false;
        await this.syncEnv!();
      }
    } catch (error) {
      // Acknowledged commits may be lost (and Linux may have dropped the dirty pages): stay broken.
      this.syncFailure = error;
      this.hooks.failed(error);
    } finally {
      this.syncing = undefined;
    }
  }

  /** The block's outcome is known; settle what can be settled, in issue order. */
  private record(batch: OpenBatch, error?: unknown): void {
    batch.outcome = error === undefined ? DURABLE : { error };
    if (error !== undefined && !this.failing) {
      this.failing = true;
      this.hooks.failed(error);
    }
    const queue = this.queue;
    while (queue.length > 0 && queue[0]!.outcome === DURABLE) this.settle(queue.shift()!);
    if (!this.failing || queue.some((open) => open.outcome === undefined)) return;
    // Every issued block has an outcome: read what is really in the file, then settle them all.
    const writtenTo = this.hooks.recover();
    this.failing = false;
    for (const open of queue.splice(0)) {
      const failure = open.outcome!.error;
      this.settle(open, failure === undefined ? undefined : new CommitFailure(failure, writtenTo));
    }
  }

  private settle(batch: OpenBatch, error?: unknown): void {
    if (error === undefined) this.hooks.durable(batch.head, (performance.now() - batch.issuedAt) / 1000);
    batch.settle(error);
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

// Group commit: every write staged in one tick goes into one guarded block of puts, which lmdb-js
// commits in one transaction while later blocks keep being issued. Each block is conditional on
// the guard key's version being the head the previous block wrote, so once a block fails every
// later one is skipped rather than committed after a gap: the log stays a gapless prefix.
import type { Database, Key, RootDatabase } from 'lmdb';

/** When an append is acknowledged: after fsync ('sync') or at commit ('async'). */
export type Durability = 'sync' | 'async';

const GUARD_KEY = 'head';

interface Put {
  readonly db: Database;
  readonly key: Key;
  readonly value: unknown;
}

/** The writes of one tick; `done` settles when they are durable (or failed). */
export interface Batch {
  readonly done: Promise<void>;
  /** Highest log position written by this batch or any before it. */
  head: number;
  put(db: Database, key: Key, value: unknown): void;
  /** Runs once the batch is committed and visible to readers, before `done` resolves. */
  afterCommit(callback: () => void): void;
}

/** Hooks the event log gives the group commit. */
export interface GroupCommitHooks {
  /** After a batch is durable, with the highest durable position. */
  durable(head: number): void;
  /** A batch failed: every batch issued after it fails too; recover once `inflight` is 0. */
  failed(error: unknown): void;
}

/** The batching writer of one environment (one per process: the writer lock makes sure). */
export class GroupCommit {
  private current: (Batch & { readonly puts: Put[]; readonly callbacks: Array<() => void>; settle: (error?: unknown) => void }) | undefined;
  private issuedHead: number;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly meta: Database,
    private readonly durability: Durability,
    private readonly hooks: GroupCommitHooks,
    head: number,
    private readonly injectFailure?: () => boolean,
  ) {
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
    const callbacks: Array<() => void> = [];
    const batch = {
      done,
      head: this.issuedHead,
      puts,
      callbacks,
      settle,
      put: (db: Database, key: Key, value: unknown) => void puts.push({ db, key, value }),
      afterCommit: (callback: () => void) => void callbacks.push(callback),
    };
    this.current = batch;
    this.inflight++;
    queueMicrotask(() => this.flush());
    return batch;
  }

  /** Resolves when every issued batch has settled. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pending(): number {
    return this.inflight;
  }

  /** After a failure: the guard key is set to what is really on disk. */
  reset(head: number): void {
    this.issuedHead = head;
    this.meta.putSync(GUARD_KEY, GUARD_KEY, head);
  }

  private flush(): void {
    const batch = this.current!;
    this.current = undefined;
    const expected = this.issuedHead;
    this.issuedHead = batch.head;
    // A failure is injected as a guard that cannot match: the same path a real failure takes.
    const guard = this.injectFailure?.() ? -1 : expected;
    const committed = (this.meta as RootDatabase).ifVersion(GUARD_KEY, guard, () => {
      for (const { db, key, value } of batch.puts) void db.put(key, value);
      void this.meta.put(GUARD_KEY, GUARD_KEY, batch.head);
    }) as Promise<boolean> & { flushed?: Promise<void> };
    committed.then(
      (applied) => {
        if (!applied) return this.settle(batch, new Error(`an earlier commit failed; log head not at ${expected}`));
        for (const callback of batch.callbacks) callback();
        if (this.durability === 'async') return this.settle(batch);
        // Acking at commit would silently downgrade 'sync' durability: refuse instead.
        if (!committed.flushed) return this.settle(batch, new Error('lmdb-js gave no flushed promise: is separateFlushed set?'));
        committed.flushed.then(
          () => this.settle(batch),
          (error: unknown) => this.settle(batch, error),
        );
      },
      (error: unknown) => this.settle(batch, error),
    );
  }

  private settle(batch: Batch & { settle: (error?: unknown) => void }, error?: unknown): void {
    this.inflight--;
    if (error === undefined) this.hooks.durable(batch.head);
    else this.hooks.failed(error);
    batch.settle(error);
    if (this.inflight === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}

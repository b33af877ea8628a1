// The view a handler sees during one batch. Owns: no user code runs inside an LMDB write
// transaction (a thread dying there would hold the views lock forever); writes stay here, read
// back through, until the worker commits them with the checkpoint in one short transaction.
import { checkViewKey, decodeValue, encodeValue, type ViewEntry, type ViewRange, type ViewStore } from '../storage/views.js';
import type { PartitionCache } from './partition-cache.js';
import type { ProjectionView } from './define-projection.js';

/** How a partitioned generation tells its partitions that one of them writes keys it does not own. */
export interface ForeignWrites {
  markForeignWrites(): void;
  foreignWrites(): boolean;
}

type Reads = Map<string, Uint8Array | undefined>;

/** The in-memory changes of one batch over the committed view. */
export class ViewBatch implements ProjectionView {
  /** The aggregate id of the event being handled: the key its partition owns (none during init). */
  owner: string | undefined;
  private readonly writes = new Map<string, Uint8Array | undefined>();
  /** Bytes each committed read returned, checked at commit against other partitions' writes. */
  private readonly ownReads: Reads = new Map();
  private readonly foreignReads: Reads = new Map();

  /** `partitions` is undefined when the generation has one partition, so nothing can conflict. */
  constructor(
    private readonly store: ViewStore,
    private readonly projection: string,
    private readonly generation: number,
    private readonly partitions: ForeignWrites | undefined,
    private readonly cache: PartitionCache,
  ) {}

  get(key: string): unknown {
    checkViewKey(key);
    const written = this.writes.get(key);
    if (written !== undefined || this.writes.has(key)) return decodeValue(written);
    const raw = this.committed(key);
    if (this.partitions) {
      const reads = key === this.owner ? this.ownReads : this.foreignReads;
      if (!reads.has(key)) reads.set(key, raw);
    }
    return decodeValue(raw);
  }

  put(key: string, value: unknown): void {
    checkViewKey(key);
    this.noteWrite(key);
    // Encoded now, so a value mutated after put() is stored as it was, as with a direct LMDB put.
    this.writes.set(key, encodeValue(value));
  }

  delete(key: string): void {
    checkViewKey(key);
    this.noteWrite(key);
    this.writes.set(key, undefined);
  }

  range(options: ViewRange = {}): ViewEntry[] {
    const { start, end, limit } = options;
    const inRange = (key: string) => (start === undefined || compareUtf8(key, start) >= 0) && (end === undefined || compareUtf8(key, end) < 0);
    const touched = [...this.writes.keys()].filter(inRange);
    // Each key written here can hide at most one committed entry: read that many more.
    const committed = this.store.range(this.projection, this.generation, { start, end, limit: limit === undefined ? undefined : limit + touched.length });
    if (touched.length === 0) return committed;
    const merged = new Map(committed.map((entry) => [entry.key, entry.value]));
    for (const key of touched) {
      const raw = this.writes.get(key);
      if (raw === undefined) merged.delete(key);
      else merged.set(key, decodeValue(raw));
    }
    const keys = [...merged.keys()].sort(compareUtf8).slice(0, limit);
    return keys.map((key) => ({ key, value: merged.get(key) }));
  }

  /** Commits the changes with the partition's checkpoint; false (nothing written) on a conflicting read. */
  commit(partition: number, position: number): boolean {
    const reads = this.partitions && (() => this.readsToCheck());
    if (!this.store.commit(this.projection, this.generation, partition, position, { writes: this.writes, reads })) return false;
    // Every key this batch wrote is its own unless a partition wrote foreign keys (then nothing is cached).
    if (this.partitions?.foreignWrites()) this.cache.clear();
    else this.cache.committed(position, this.writes);
    return true;
  }

  /**
   * The committed value of `key`, from the cache when only this partition can have written it: with
   * one partition, any key; with several, its own keys while no partition writes foreign ones.
   */
  private committed(key: string): Uint8Array | undefined {
    const cacheable = !this.partitions || (key === this.owner && !this.partitions.foreignWrites());
    if (cacheable) {
      const cached = this.cache.lookup(key);
      if (cached !== undefined) return cached ?? undefined;
    }
    const raw = this.store.getRaw(this.projection, this.generation, key);
    if (cacheable) this.cache.remember(key, raw);
    return raw;
  }

  private noteWrite(key: string): void {
    // Raised before the write commits, so every partition committing after it checks its own keys too.
    if (this.partitions && key !== this.owner) this.partitions.markForeignWrites();
  }

  /** Runs inside the write transaction, so the flag is read after any foreign write it must see committed. */
  private *readsToCheck(): Iterable<[string, Uint8Array | undefined]> {
    yield* this.foreignReads;
    // A partition's own keys (its aggregates' ids) change under it only through another partition's foreign write.
    if (this.partitions!.foreignWrites()) yield* this.ownReads;
  }
}

/** LMDB's key order for strings: UTF-8 bytes, which differs from UTF-16 order above U+FFFF. */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

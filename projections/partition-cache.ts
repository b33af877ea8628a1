// Committed view values a worker thread keeps for a partition between batches, so that a
// handler's get() rarely reaches LMDB. Owns: an entry is served only while it is certainly the
// committed value: the cache is dropped unless the stored checkpoint is the last one it committed.

/** Entries one thread keeps over all its partitions before it empties them (~100 bytes each with the Map). */
const MAX_ENTRIES = 100_000;

const caches = new Map<string, PartitionCache>();
let entries = 0;

/** One partition's committed values, as this thread last read or wrote them. */
export class PartitionCache {
  private readonly values = new Map<string, Uint8Array | undefined>();

  private constructor(private checkpoint: number) {}

  /** This thread's cache for `id`, emptied unless `checkpoint` (read from disk) is the one it last committed. */
  static open(id: string, checkpoint: number): PartitionCache {
    let cache = caches.get(id);
    if (!cache || cache.checkpoint !== checkpoint) {
      cache?.clear();
      caches.set(id, (cache = new PartitionCache(checkpoint)));
    }
    return cache;
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  get(key: string): Uint8Array | undefined {
    return this.values.get(key);
  }

  /** Keeps the committed value of `key` as read from LMDB. */
  remember(key: string, raw: Uint8Array | undefined): void {
    if (!this.values.has(key) && ++entries > MAX_ENTRIES) {
      for (const cache of caches.values()) cache.clear();
      entries = 1;
    }
    this.values.set(key, raw);
  }

  /** Records a successful commit: its writes are now the committed values. */
  committed(position: number, writes: ReadonlyMap<string, Uint8Array | undefined>): void {
    for (const [key, raw] of writes) this.remember(key, raw);
    this.checkpoint = position;
  }

  clear(): void {
    entries -= this.values.size;
    this.values.clear();
  }
}

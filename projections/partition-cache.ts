// Committed view values a worker thread keeps for a partition between batches, so that a
// handler's get() rarely reaches LMDB. Owns: an entry is served only while it is certainly the
// committed value: the cache is dropped unless the stored checkpoint is the last one it committed.

/** Entries one thread keeps over all its partitions before it empties them (~100 bytes each with the Map). */
const MAX_ENTRIES = 100_000;

const caches = new Map<string, PartitionCache>();
let entries = 0;

/** What `lookup` returns for a key the cache knows is absent (undefined means: not cached). */
export const ABSENT = null;

/** One partition's committed values, as this thread last read or wrote them. */
export class PartitionCache {
  /** `ABSENT` for a key known to have no committed value: one Map lookup answers both questions. */
  private readonly values = new Map<string, Uint8Array | typeof ABSENT>();

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

  /** The committed bytes of `key`, `ABSENT` if it has none, undefined if this cache does not know. */
  lookup(key: string): Uint8Array | typeof ABSENT | undefined {
    return this.values.get(key);
  }

  /** Keeps the committed value of `key` as read from LMDB. */
  remember(key: string, raw: Uint8Array | undefined): void {
    const size = this.values.size;
    this.values.set(key, raw ?? ABSENT);
    if (this.values.size > size && ++entries > MAX_ENTRIES) {
      for (const cache of caches.values()) cache.clear();
      entries = 0;
    }
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

// The values a stream walk reads, kept for the way forward: a stream is walked back from its head
// (prev pointers), but read forward, so each value read on the way is copied here (lmdb-js reuses
// its read buffer) to be decoded when its turn comes, instead of being read a second time.

/**
 * The values a stream walk read, newest first, copied end to end into one buffer (lmdb-js reuses
 * its read buffer), up to `budget` bytes: a walk keeps the newest events' bytes, then only positions.
 */
export class WalkedValues {
  bytes: Buffer;
  private used = 0;
  /** Events from this index on are kept (walks go from the newest, the highest index). */
  private keptFrom: number;
  private readonly ends: Int32Array;

  constructor(
    private readonly count: number,
    private readonly budget: number,
  ) {
    this.keptFrom = count;
    this.ends = new Int32Array(count);
    // A guess of 64 bytes a value (a bank event is ~60) that grows by doubling: a rehydration's
    // tail of a few dozen events then fits in Node's pooled buffers (under 4 KiB).
    this.bytes = Buffer.allocUnsafe(Math.min(budget, count * 64));
  }

  /** Copies the value of event `index` (the one before the last kept), unless that would pass the budget. */
  keep(index: number, value: Buffer): void {
    const length = value.length;
    if (this.keptFrom !== index + 1 || this.used + length > this.budget) return;
    if (this.used + length > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.budget, Math.max(2 * this.bytes.length, this.used + length)));
      this.bytes.copy(grown, 0, 0, this.used);
      this.bytes = grown;
    }
    // A view of exactly `length` bytes: the reused buffer's own `length` is this value's, but
    // TypedArray#set (and Buffer#copy of a whole buffer) would copy all of its longer memory.
    this.bytes.set(new Uint8Array(value.buffer, value.byteOffset, length), this.used);
    this.used += length;
    this.ends[index] = this.used;
    this.keptFrom = index;
  }

  has(index: number): boolean {
    return index >= this.keptFrom;
  }

  /** Kept newest first: event `index` starts where the one after it ends. */
  start(index: number): number {
    return index + 1 < this.count ? this.ends[index + 1]! : 0;
  }

  end(index: number): number {
    return this.ends[index]!;
  }
}

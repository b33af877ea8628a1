// Which ledger sequences may hold a given key: an open-addressing table in one typed array, mapping
// a 32-bit fingerprint of the key to the sequence of its journal entry. A lookup of a new id (the
// common case) probes a few slots and reads nothing from disk; a match is only a candidate, which
// the ledger confirms against the key stored in the entry, so a fingerprint collision can never
// return another command's result: it costs one read (with a million ids, once in ~4,000 lookups).
// Sequences below the floor (trimmed) are dead: they are skipped, and dropped when the table is
// rebuilt. A slot is 8 bytes: the fingerprint and the sequence as an offset from `base`; a Map of
// key strings would take ten times that per id. The function is part of the on-disk format: a
// carried ledger entry stores its key's fingerprint, not its key (a test pins its values).

/** Fewest slots: growing from here costs nothing worth saving. */
const MIN_SLOTS = 1_024;
const MAX_OFFSET = 0xffff_ffff;

/**
 * A key's fingerprint (FNV-1a, then murmur3's finalizer so that the low bits, which pick the slot,
 * depend on every byte), given the key's bytes as a string of one character per byte (latin1): a
 * plain key's text as it is, any other key's bytes through `toString('latin1')`.
 */
export function fingerprintOf(bytes: string): number {
  return finishFingerprint(hashText(FNV_OFFSET, bytes));
}

/** FNV-1a's starting hash: fingerprintOf(a + b) is finishFingerprint(hashText(hashText(FNV_OFFSET, a), b)). */
export const FNV_OFFSET = 0x811c9dc5;

/** FNV-1a's multiplier (32-bit). */
export const FNV_PRIME = 0x01000193;

/** FNV-1a over one more piece of a key's text: a key is fingerprinted piece by piece with no string joined. */
export function hashText(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** The fingerprint of a key hashed by hashText. */
export function finishFingerprint(hash: number): number {
  let h = hash ^ (hash >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fingerprint → sequences, for every live ledger entry. */
export class FingerprintTable {
  /** Slot i is [2i] the fingerprint and [2i + 1] seq − base + 1 (0: empty): one cache line per probe. */
  private table = new Uint32Array(2 * MIN_SLOTS);
  private size = MIN_SLOTS;
  private base = 1;
  private used = 0;
  private floor = 1;
  private rebuilt = 0;

  /** Slots in use, live or dead (tests: the table is rebuilt once dead slots pile up). */
  get slots(): number {
    return this.used;
  }

  /** Bytes the table holds now. */
  get bytes(): number {
    return this.table.byteLength;
  }

  /** Rebuilds so far (tests: at a steady count they are as rare as the live entries are many). */
  get rebuilds(): number {
    return this.rebuilt;
  }

  add(print: number, seq: number): void {
    if ((this.used + 1) * 2 > this.size || seq - this.base + 1 > MAX_OFFSET) this.rebuild();
    this.place(print, seq - this.base + 1);
    this.used++;
  }

  /** The live sequences with this fingerprint, newest first; undefined (no allocation) when there are none. */
  find(print: number): number[] | undefined {
    const { table } = this;
    const mask = this.size - 1;
    let found: number[] | undefined;
    for (let slot = print & mask; table[2 * slot + 1] !== 0; slot = (slot + 1) & mask) {
      if (table[2 * slot] !== print) continue;
      const seq = table[2 * slot + 1]! + this.base - 1;
      if (seq >= this.floor) (found ??= []).push(seq);
    }
    return found && found.length > 1 ? found.sort((x, y) => y - x) : found;
  }

  /** Sequences below `floor` are gone from the journal. */
  raiseFloor(floor: number): void {
    this.floor = Math.max(this.floor, floor);
  }

  private place(print: number, offset: number): void {
    const { table } = this;
    const mask = this.size - 1;
    let slot = print & mask;
    while (table[2 * slot + 1] !== 0) slot = (slot + 1) & mask;
    table[2 * slot] = print;
    table[2 * slot + 1] = offset;
  }

  /**
   * Drops dead slots and sizes the table to at most a quarter full with the live ones, so that the
   * next rebuild (at half full) is at least as many adds away as there are live entries. Sized to
   * half full, a ledger at its retention count (trimming as many as it adds) rebuilt its whole
   * table every few tens of thousands of commands: at the default million, 7% of the
   * aged-ledger bench's time. 32 MB at the default count.
   */
  private rebuild(): void {
    const { table, size, base } = this;
    const live = (slot: number): boolean => table[2 * slot + 1] !== 0 && table[2 * slot + 1]! + base - 1 >= this.floor;
    let count = 0;
    for (let slot = 0; slot < size; slot++) if (live(slot)) count++;
    this.rebuilt++;
    this.size = Math.max(MIN_SLOTS, 2 ** Math.ceil(Math.log2(4 * count + 4)));
    this.table = new Uint32Array(2 * this.size);
    this.base = this.floor;
    this.used = count;
    for (let slot = 0; slot < size; slot++) if (live(slot)) this.place(table[2 * slot]!, table[2 * slot + 1]! + base - this.base);
  }
}

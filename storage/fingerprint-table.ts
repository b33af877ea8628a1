// Which ledger sequences may hold a given key: an open-addressing table in typed arrays, mapping
// a 64-bit fingerprint of the key to the sequence of its journal entry. A lookup of a new id (the
// common case) probes a few slots and reads nothing from disk; a match is only a candidate, which
// the ledger confirms against the key stored in the entry, so a fingerprint collision can never
// return another command's result. Sequences below the floor (trimmed) are dead: they are skipped,
// and dropped when the table is rebuilt. A slot is 12 bytes: two 32-bit fingerprint halves and the
// sequence as an offset from `base`; a Map of strings would take ten times that per id.

/** Fewest slots: growing from here costs nothing worth saving. */
const MIN_SLOTS = 1_024;
const MAX_OFFSET = 0xffff_ffff;

/** The two 32-bit halves of a key's fingerprint (FNV-1a lanes with different primes, then murmur3's finalizer). */
export function fingerprintOf(bytes: Uint8Array, start: number): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x2f0b3c5d;
  for (let i = start; i < bytes.length; i++) {
    const byte = bytes[i]!;
    a = Math.imul(a ^ byte, 0x01000193);
    b = Math.imul(b ^ byte, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return [finalize(a), finalize(b)];
}

function finalize(value: number): number {
  let h = value ^ (value >>> 16);
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Fingerprint → sequences, for every live ledger entry. */
export class FingerprintTable {
  private a = new Uint32Array(MIN_SLOTS);
  private b = new Uint32Array(MIN_SLOTS);
  /** seq − base + 1; 0 marks an empty slot. */
  private offsets = new Uint32Array(MIN_SLOTS);
  private base = 1;
  private used = 0;
  private floor = 1;

  /** Slots in use, live or dead (tests: the table is rebuilt once dead slots pile up). */
  get slots(): number {
    return this.used;
  }

  /** Bytes the table holds now. */
  get bytes(): number {
    return this.offsets.length * 12;
  }

  add(a: number, b: number, seq: number): void {
    if ((this.used + 1) * 2 > this.offsets.length || seq - this.base + 1 > MAX_OFFSET) this.rebuild();
    this.place(a, b, seq - this.base + 1);
    this.used++;
  }

  /** The live sequences with this fingerprint, newest first; undefined (no allocation) when there are none. */
  find(a: number, b: number): number[] | undefined {
    const mask = this.offsets.length - 1;
    let found: number[] | undefined;
    for (let slot = a & mask; this.offsets[slot] !== 0; slot = (slot + 1) & mask) {
      if (this.a[slot] !== a || this.b[slot] !== b) continue;
      const seq = this.offsets[slot]! + this.base - 1;
      if (seq >= this.floor) (found ??= []).push(seq);
    }
    return found && found.length > 1 ? found.sort((x, y) => y - x) : found;
  }

  /** Sequences below `floor` are gone from the journal. */
  raiseFloor(floor: number): void {
    this.floor = Math.max(this.floor, floor);
  }

  private place(a: number, b: number, offset: number): void {
    const mask = this.offsets.length - 1;
    let slot = a & mask;
    while (this.offsets[slot] !== 0) slot = (slot + 1) & mask;
    this.a[slot] = a;
    this.b[slot] = b;
    this.offsets[slot] = offset;
  }

  /** Drops dead slots and sizes the table to at most half full with the live ones. */
  private rebuild(): void {
    const { a, b, offsets, base } = this;
    let live = 0;
    for (let slot = 0; slot < offsets.length; slot++) if (offsets[slot] !== 0 && offsets[slot]! + base - 1 >= this.floor) live++;
    const size = Math.max(MIN_SLOTS, 2 ** Math.ceil(Math.log2(2 * live + 2)));
    this.a = new Uint32Array(size);
    this.b = new Uint32Array(size);
    this.offsets = new Uint32Array(size);
    this.base = this.floor;
    this.used = live;
    for (let slot = 0; slot < offsets.length; slot++) {
      const seq = offsets[slot]! + base - 1;
      if (offsets[slot] !== 0 && seq >= this.floor) this.place(a[slot]!, b[slot]!, seq - this.base + 1);
    }
  }
}

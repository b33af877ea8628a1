// Which partition owns an aggregate: FNV-1a (32-bit) over the id's UTF-8 bytes, modulo the
// partition count. It is part of the on-disk contract (checkpoints are per partition), so it
// must never change; every event of a stream lands in the same partition, in order.

const OFFSET_BASIS = 0x811c9dc5;
const PRIME = 0x01000193;

/** FNV-1a of the UTF-8 bytes of `text`, as an unsigned 32-bit integer. */
export function fnv1a(text: string): number {
  let hash = OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    // ASCII ids (the common case) hash without encoding; anything else goes through UTF-8.
    if (code >= 0x80) return fnv1aBytes(Buffer.from(text.slice(i)), hash);
    hash = Math.imul(hash ^ code, PRIME);
  }
  return hash >>> 0;
}

function fnv1aBytes(bytes: Uint8Array, start: number): number {
  let hash = start;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, PRIME);
  return hash >>> 0;
}

/** The partition (0-based) of `aggregateId` among `partitions`. */
export function partitionOf(aggregateId: string, partitions: number): number {
  return partitions === 1 ? 0 : fnv1a(aggregateId) % partitions;
}

// FNV-1a (32-bit) over an aggregate id's UTF-8 bytes. Stored in each event's header and used to
// assign streams to projection partitions, so it is part of the on-disk contract: never change it.

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

// CRC-32 (the IEEE polynomial of zlib, so node:zlib's crc32 gives the same value) of a byte range.
// An event value's header (10 bytes) and a small event's record are too short to pay for a call
// into zlib plus the subarray it needs: a table loop costs less there; longer ranges go to zlib.
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Ranges at least this long are handed to zlib (the loop costs ~2.5 ns a byte, the call ~250 ns, on Node 20). */
const ZLIB_FROM = 128;

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}

/** The CRC-32 of `bytes[start..end)`, continuing from `crc` (the value of the bytes before, as zlib's `crc32(data, value)`). */
export function crc32(bytes: Uint8Array, start: number, end: number, crc = 0): number {
  if (end - start >= ZLIB_FROM) return zlibCrc32(bytes.subarray(start, end), crc);
  let c = ~crc;
  for (let i = start; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

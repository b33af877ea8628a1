// CRC-32 (the IEEE polynomial of zlib, so node:zlib's crc32 gives the same value) of a byte range.
// Event values are mostly a few hundred bytes or less, where a table loop costs less than a call
// into zlib plus the subarray view it needs; longer ranges go to zlib.
import { crc32 as zlibCrc32 } from 'node:zlib';

/** Ranges at least this long are handed to zlib (measured crossover on Node 20: ~200 bytes). */
const ZLIB_FROM = 256;

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

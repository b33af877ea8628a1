// The event checksum's CRC-32 is zlib's, for any bytes, range and running value: values written
// before it was computed in JavaScript must still verify. Ranges are never empty in a value (zlib
// answers 0 for no bytes whatever the running value, a quirk no checksum meets).
import fc from 'fast-check';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../storage/crc32.js';

describe('crc32', () => {
  it('equals zlib crc32 on any range of any bytes, continuing from any value', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 600 }), fc.nat(), fc.nat(), fc.nat({ max: 0xffffffff }), (bytes, a, b, running) => {
        const start = a % bytes.length;
        const end = start + 1 + (b % (bytes.length - start));
        expect(crc32(bytes, start, end, running)).toBe(zlibCrc32(bytes.subarray(start, end), running));
      }),
      { numRuns: 500 },
    );
  });
});

// The ledger's fingerprint table against a model (a list of [a, b, seq]): for any sequence of adds
// and floor raises, find returns exactly the live sequences with that fingerprint, newest
// first, through every rebuild; fingerprints are drawn from a tiny domain so that probe chains and
// several matches per fingerprint are the common case, not the rare one. The table stays at most
// half full, and the size of what is live: dead slots do not pile up.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintTable, fingerprintOf } from '../../storage/fingerprint-table.js';

type Step =
  | { readonly kind: 'add'; readonly a: number; readonly b: number; readonly count: number }
  | { readonly kind: 'floor'; readonly by: number };

const half = fc.integer({ min: 0, max: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('add' as const), a: half, b: half, count: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('floor' as const), by: fc.integer({ min: 0, max: 900 }) }) },
);

describe('fingerprint table', () => {
  it('finds exactly the live sequences of a fingerprint, newest first, through rebuilds', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const table = new FingerprintTable();
        const entries: Array<[number, number, number]> = [];
        let seq = 0;
        let floor = 1;
        for (const s of steps) {
          if (s.kind === 'add') {
            for (let i = 0; i < s.count; i++) {
              seq++;
              // Spread over the domain, so that every fingerprint gets entries.
              const a = (s.a + i) % 4;
              table.add(a, s.b, seq);
              entries.push([a, s.b, seq]);
            }
          } else {
            floor = Math.min(seq + 1, floor + s.by);
            table.raiseFloor(floor);
          }
          const live = entries.filter(([, , n]) => n >= floor);
          for (let a = 0; a < 4; a++) {
            for (let b = 0; b < 4; b++) {
              const expected = live.filter(([x, y]) => x === a && y === b).map(([, , n]) => n).reverse();
              expect(table.find(a, b) ?? []).toEqual(expected);
            }
          }
          expect(table.slots * 2, 'at most half full: a probe always ends').toBeLessThanOrEqual(table.bytes / 12);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stays the size of what is live when old sequences fall below the floor as new ones come', () => {
    const table = new FingerprintTable();
    for (let seq = 1; seq <= 200_000; seq++) {
      table.add(seq * 2654435761 >>> 0, seq, seq);
      table.raiseFloor(seq - 999);
    }
    expect(table.find(200_000 * 2654435761 >>> 0, 200_000)).toEqual([200_000]);
    expect(table.find(1 * 2654435761 >>> 0, 1)).toBeUndefined();
    expect(table.bytes, '1,000 live ids: at most 4,096 slots of 12 bytes').toBeLessThanOrEqual(4_096 * 12);
  });

  it('fingerprints bytes from the given offset, and tells apart keys that differ in one byte', () => {
    const key = Buffer.from('\u0001account\u0000\u0001a-1\u0000\u0001c-1');
    const prefixed = Buffer.concat([Buffer.alloc(24, 7), key]);
    expect(fingerprintOf(prefixed, 24)).toEqual(fingerprintOf(key, 0));
    const seen = new Set<string>();
    for (let i = 0; i < key.length; i++) {
      const other = Buffer.from(key);
      other[i] = other[i]! ^ 1;
      seen.add(fingerprintOf(other, 0).join());
    }
    seen.add(fingerprintOf(key, 0).join());
    expect(seen.size).toBe(key.length + 1);
  });
});

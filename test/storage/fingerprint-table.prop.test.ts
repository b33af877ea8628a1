// The ledger's fingerprint table against a model (a list of [fingerprint, seq]): for any sequence
// of adds and floor raises, find returns exactly the live sequences with that fingerprint, newest
// first, through every rebuild; fingerprints are drawn from a tiny domain so that probe chains and
// several matches per fingerprint are the common case, not the rare one. The table stays at most
// half full, and the size of what is live: dead slots do not pile up.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintTable, fingerprintOf } from '../../storage/fingerprint-table.js';
import { ledgerKeyBytes } from '../../storage/ledger-keys.js';

type Step =
  | { readonly kind: 'add'; readonly print: number; readonly count: number }
  | { readonly kind: 'floor'; readonly by: number };

const PRINTS = 8;
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('add' as const), print: fc.integer({ min: 0, max: PRINTS - 1 }), count: fc.integer({ min: 1, max: 700 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('floor' as const), by: fc.integer({ min: 0, max: 900 }) }) },
);

describe('fingerprint table', () => {
  it('keeps the fingerprint function carried ledger entries store on disk (changing it makes every stored id miss after an upgrade)', () => {
    // Values written by the version that introduced carried entries (9a5583e): a new function
    // needs a new journal layout, not a new constant here.
    expect(fingerprintOf(ledgerKeyBytes({ type: 'account', id: 'a-1' }, 'c-1'))).toBe(2_971_265_939);
    expect(fingerprintOf(ledgerKeyBytes({ type: 'account', id: 'a\u0000é' }, '\ud800'))).toBe(3_182_276_256);
  });

  it('finds exactly the live sequences of a fingerprint, newest first, through rebuilds', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        const table = new FingerprintTable();
        const entries: Array<[number, number]> = [];
        let seq = 0;
        let floor = 1;
        for (const s of steps) {
          if (s.kind === 'add') {
            for (let i = 0; i < s.count; i++) {
              // Spread over the domain, so that every fingerprint gets entries.
              const print = (s.print + i) % PRINTS;
              table.add(print, ++seq);
              entries.push([print, seq]);
            }
          } else {
            floor = Math.min(seq + 1, floor + s.by);
            table.raiseFloor(floor);
          }
          for (let print = 0; print < PRINTS; print++) {
            const expected = entries.filter(([p, n]) => p === print && n >= floor).map(([, n]) => n).reverse();
            expect(table.find(print) ?? []).toEqual(expected);
          }
          expect(table.slots * 2, 'at most half full: a probe always ends').toBeLessThanOrEqual(table.bytes / 8);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('stays the size of what is live when old sequences fall below the floor as new ones come', () => {
    const table = new FingerprintTable();
    const print = (seq: number): number => Math.imul(seq, 2654435761) >>> 0;
    for (let seq = 1; seq <= 200_000; seq++) {
      table.add(print(seq), seq);
      table.raiseFloor(seq - 999);
    }
    expect(table.find(print(200_000))).toEqual([200_000]);
    expect(table.find(print(1))).toBeUndefined();
    expect(table.bytes, '1,000 live ids: at most 4,096 slots of 8 bytes').toBeLessThanOrEqual(4_096 * 8);
    // As many adds as the live entries at least between two rebuilds (sized to half full, every ~50).
    expect(table.rebuilds, 'rebuilt at most once per 1,000 adds').toBeLessThanOrEqual(200_000 / 1_000 + 1);
  });

  it('tells apart keys that differ in one bit of one byte, in the bits that pick a slot too', () => {
    const key = '\u0001account\u0000\u0001a-1\u0000\u0001c-\u00e9';
    const prints = [fingerprintOf(key)];
    for (let i = 0; i < key.length; i++) {
      for (let bit = 0; bit < 8; bit++) prints.push(fingerprintOf(key.slice(0, i) + String.fromCharCode(key.charCodeAt(i) ^ (1 << bit)) + key.slice(i + 1)));
    }
    expect(new Set(prints).size).toBe(prints.length);
    // The low 10 bits pick the slot of a small table: spread, not bunched.
    expect(new Set(prints.map((p) => p & 1023)).size).toBeGreaterThan(prints.length * 0.8);
  });
});

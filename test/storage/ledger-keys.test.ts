// The ledger's bytes: a key names exactly one (type, id, commandId), whatever the strings hold
// (NULs, the separator itself, lone surrogates, lengths past lmdb-js's 64-character escape limit),
// and entries and journal values read back exactly. Triples that a NUL-joined key (the old
// in-memory key) or lmdb-js array keys (the old on-disk key, for long strings) made equal stay apart.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJournalGroup, decodeLedgerValue, encodeJournalGroup, encodeLedgerValue, ledgerKey, ledgerKeyBytes, ledgerKeyFingerprint, parseLedgerKey, type JournalEntry, type LedgerEntry,
} from '../../storage/ledger-keys.js';
import { fingerprintOf } from '../../storage/fingerprint-table.js';

type Triple = readonly [type: string, id: string, commandId: string];

const key = ([type, id, commandId]: Triple): string => ledgerKey({ type, id }, commandId).toString('hex');
const long = 'x'.repeat(70);
/** Strings rich in what an encoding could confuse: NULs, the separator's bytes, surrogates, U+FFFD. */
const part = fc.string({
  unit: fc.oneof(fc.constantFrom('\u0000', '\u0001', '\u00ff', '\ud800', '\udc00', '\ud83d\ude00', '\ufffd', 'a', 'é'), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
  maxLength: 8,
});

/**
 * Pairs that collide under `type\0id\0commandId`, under lmdb-js array keys (which escape a NUL
 * only in strings under 64 characters), or once UTF-8 replaces lone surrogates with U+FFFD.
 */
const adversarial: ReadonlyArray<readonly [Triple, Triple]> = [
  [['a', 'b\u0000c', 'd'], ['a', 'b', 'c\u0000d']],
  [['a\u0000b', 'c', 'd'], ['a', 'b\u0000c', 'd']],
  [['account', `${long}\u0000${long}`, long], ['account', long, `${long}\u0000${long}`]],
  [['a', 'b\u0000\u0001c', 'd'], ['a', 'b', 'c\u0000\u0001d']],
  [['a', 'b\u0000\u00ff', 'c'], ['a', 'b\u0000', '\u00ffc']],
  [['a', 'b', '\ud800'], ['a', 'b', '\udc00']],
  [['a', 'b', '\ud800'], ['a', 'b', '\ufffd']],
  [['a', `${long}\ud83d`, 'c'], ['a', `${long}\ufffd`, 'c']],
  [['a', 'b', ''], ['a', 'b\u0000', '']],
];

describe('ledger keys', () => {
  it.each(adversarial)('keep %j and %j apart', (first, second) => {
    expect(key(first)).not.toBe(key(second));
  });

  it('where the old encodings made those pairs one key', () => {
    const joined = ([type, id, commandId]: Triple) => `${type}\u0000${id}\u0000${commandId}`;
    expect(joined(adversarial[0]![0])).toBe(joined(adversarial[0]![1]));
    expect(Buffer.from('\ud800').equals(Buffer.from('\udc00'))).toBe(true);
  });

  it('give different triples different keys (random strings rich in NULs, separators and surrogates)', () => {
    const triple = fc.tuple(part, part, part);
    fc.assert(
      fc.property(triple, triple, (first, second) => {
        const same = first.every((value, i) => value === second[i]);
        expect(key(first) === key(second)).toBe(same);
      }),
      { numRuns: 5_000 },
    );
  });

  it('read entries, and journal groups with the strings their keys name, back exactly; a key hashed by parts has its bytes\' fingerprint', () => {
    const entry = fc.record({
      version: fc.integer({ min: 0, max: 2 ** 47 }), position: fc.integer({ min: 0, max: 2 ** 47 }),
      count: fc.integer({ min: 0, max: 1_000 }), time: fc.double({ noNaN: true, noDefaultInfinity: true }),
    }).filter((e) => e.count <= e.version && e.count <= e.position);
    // A carried entry (its last event carries the key): a fingerprint and at least one event.
    const print = fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined });
    const command = fc.tuple(entry, part, part, part, print).filter(([value, , , , carried]) => carried === undefined || value.count >= 1);
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 5 }), (commands) => {
        const group = commands.map(([value, type, id, commandId, carried]) => {
          expect(decodeLedgerValue(encodeLedgerValue(value))).toEqual(value);
          const keyBytes = ledgerKeyBytes({ type, id }, commandId);
          const key = ledgerKey({ type, id }, commandId);
          expect(keyBytes, 'the plain path and the encoded one give the same bytes').toBe(key.toString('latin1'));
          expect(parseLedgerKey(Buffer.from(keyBytes, 'latin1'))).toEqual({ stream: { type, id }, commandId });
          expect(ledgerKeyFingerprint({ type, id }, commandId), 'hashed by parts, as the key read back is').toBe(fingerprintOf(keyBytes));
          const written: JournalEntry = carried === undefined ? { entry: value as LedgerEntry, keyBytes } : { entry: value as LedgerEntry, print: carried };
          return written;
        });
        const written = encodeJournalGroup(group);
        expect(written.length, 'a carried entry is 23 bytes').toBe(1 + group.reduce((sum, one) => sum + (one.print === undefined ? 29 + one.keyBytes.length : 23), 0));
        const read = group.map((one) =>
          one.print === undefined ? { entry: one.entry, keyBytes: one.keyBytes } : { position: one.entry.position, count: one.entry.count, time: one.entry.time, print: one.print });
        expect(decodeJournalGroup(written)).toEqual(read);
      }),
      { numRuns: 1_000 },
    );
  });

  it('read a group of the earlier layout (keyed entries, no tag) as it was written', () => {
    const keyBytes = ledgerKeyBytes({ type: 'a', id: 'b' }, 'c');
    const entry = { version: 3, position: 9, count: 2, time: 1 };
    const earlier = Buffer.concat([encodeLedgerValue(entry), Buffer.from([0, 0, 0, keyBytes.length]), Buffer.from(keyBytes, 'latin1')]);
    expect(decodeJournalGroup(Buffer.concat([earlier, earlier]))).toEqual([{ entry, keyBytes }, { entry, keyBytes }]);
  });

  it('refuse bytes that are not an entry', () => {
    const valid = encodeLedgerValue({ version: 3, position: 9, count: 2, time: 1 });
    expect(decodeLedgerValue(valid.subarray(0, 23))).toBeUndefined();
    expect(decodeLedgerValue('not bytes')).toBeUndefined();
    expect(decodeLedgerValue(encodeLedgerValue({ version: 1, position: 9, count: 2, time: 1 }))).toBeUndefined();
    const nanTime = Buffer.from(valid);
    nanTime.writeDoubleBE(Number.NaN, 16);
    expect(decodeLedgerValue(nanTime)).toBeUndefined();
    const group = encodeJournalGroup([{ entry: { version: 3, position: 9, count: 2, time: 1 }, keyBytes: ledgerKeyBytes({ type: 'a', id: 'b' }, 'c') }]);
    expect(decodeJournalGroup(group.subarray(0, group.length - 1)), 'cut short').toBeUndefined();
    expect(decodeJournalGroup(valid), 'no key').toBeUndefined();
    expect(decodeJournalGroup(Buffer.concat([group, valid])), 'a second entry without its key').toBeUndefined();
    expect(decodeJournalGroup(Buffer.concat([valid, Buffer.from('not a ledger key')]), true), 'the earlier layout, not a key').toBeUndefined();
    // The key follows a tag, a kind, the entry and the length.
    expect(decodeJournalGroup(Buffer.concat([valid, group.subarray(30)]), true)).toEqual([{ entry: { version: 3, position: 9, count: 2, time: 1 }, keyBytes: ledgerKeyBytes({ type: 'a', id: 'b' }, 'c') }]);
    const carried = encodeJournalGroup([{ entry: { version: 3, position: 9, count: 2, time: 1 }, print: 7 }]);
    expect(decodeJournalGroup(carried)).toEqual([{ position: 9, count: 2, time: 1, print: 7 }]);
    expect(decodeJournalGroup(carried.subarray(0, carried.length - 1)), 'a carried entry cut short').toBeUndefined();
    expect(decodeJournalGroup(encodeJournalGroup([{ entry: { version: 3, position: 9, count: 0, time: 1 }, print: 7 }])), 'a carried entry of no event').toBeUndefined();
    expect(decodeJournalGroup(Buffer.concat([carried, Uint8Array.of(9)])), 'an unknown kind').toBeUndefined();
  });
});

// The storable rule against the codecs themselves: any value `unstorable` accepts is read back
// exactly (null-prototype objects as plain ones, a Uint8Array as a Buffer: the documented
// exceptions) through the event codec and through lmdb-js's value encoding (snapshots); and each
// kind of value it refuses is named with its path.
import { open, type RootDatabase } from 'lmdb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventCodec } from '../../storage/codec.js';
import { checkKeyPart } from '../../storage/keys.js';
import { unstorable } from '../../storage/storable.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

/** `value` as the codec reads it back, invalid dates made comparable (NaN times never compare equal). */
function asRead(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value instanceof Map) return new Map([...value].map(([key, entry]) => [asRead(key), asRead(entry)]));
  if (Array.isArray(value)) return value.map(asRead);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, asRead(entry)]));
  return value;
}

const values = fc.oneof(
  // Everything: most of it refused.
  fc.anything({
    maxDepth: 4, withMap: true, withSet: true, withBigInt: true, withDate: true, withTypedArray: true, withSparseArray: true,
    withNullPrototype: true, withBoxedValues: true, withObjectString: true, withUnicodeString: true,
  }),
  // Mostly storable kinds, BigInts within 64 bits among them, so that the accepted side is well explored too.
  fc.anything({
    maxDepth: 4, withMap: true, withDate: true, withNullPrototype: true,
    values: [
      fc.boolean(), fc.integer(), fc.double(), fc.string({ unit: 'grapheme' }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.constantFrom(null, undefined, NaN, Infinity, -Infinity),
    ],
  }),
);

describe('storable values', () => {
  let dir: string;
  let env: RootDatabase;
  beforeAll(() => {
    dir = tempDataDir();
    env = open({ path: dir });
  });
  afterAll(async () => {
    await env.close();
    removeDir(dir);
  });

  it('property: what unstorable accepts reads back exactly through the event codec and lmdb-js', () => {
    let saved: unknown[] | undefined;
    const codec = createEventCodec({ load: () => saved, save: (structures) => void (saved = structures) }, false);
    let accepted = 0;
    fc.assert(fc.property(values, (value) => {
      if (unstorable({ value }, 'data') !== undefined) return;
      accepted++;
      const record = { aggregateType: 'any', aggregateId: 'x', version: 1, type: 'T', data: { value }, metadata: { timestamp: 1 } };
      expect(asRead(codec.decode(codec.encode(record, 0), 1).data.value)).toStrictEqual(asRead(value));
      env.putSync('snapshot', { state: value });
      expect(asRead((env.get('snapshot') as { state: unknown }).state)).toStrictEqual(asRead(value));
    }), { numRuns: 400 });
    expect(accepted, 'a fair share of generated values is storable').toBeGreaterThan(150);
  });

  it('names the path and the reason of what it refuses', () => {
    expect(unstorable({ a: [1, { b: new Set() }] }, 'data')).toBe('data.a[1].b is a Set, which would read back as an array: store [...set]');
    expect(unstorable({ 'odd key': -0 }, 'data')).toBe('data["odd key"] is -0, which would read back as 0');
    expect(unstorable(new Map<number, unknown>([[1, new Date(1)], [2, () => 1]]), 'state')).toBe('state.get(2) is a function, which cannot be stored');
    expect(unstorable({ a: 1n, b: new Date(0), c: new Map(), d: Buffer.alloc(1), e: undefined, f: NaN }, 'data')).toBeUndefined();
  });

  it('refuses a key part holding a lone surrogate, naming it', () => {
    expect(() => checkKeyPart('aggregate id of account "a\uD800"', 'a\uD800', 512)).toThrow(
      new TypeError('aggregate id of account "a\uD800" holds a lone surrogate (ill-formed UTF-16): it would not read back as written'),
    );
    expect(() => checkKeyPart('commandId', 'c-😀', 512)).not.toThrow();
  });
});

// withType builds the domain event a replay hands the machine, and a validated command, as
// `{ ...fields, type }` would: the same own keys in the same order, the same values, a plain
// prototype, and an own `__proto__` key kept as data (Object.assign alone would set the prototype).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withType } from '../../actors/with-type.js';

/** Field objects as events and commands carry them, with the keys that behave specially in JavaScript. */
const fields = fc
  .uniqueArray(
    fc.tuple(fc.oneof(fc.constantFrom('__proto__', 'type', 'constructor', 'toString', '0', '10', 'amount'), fc.string()), fc.jsonValue()),
    { selector: ([key]) => key, maxLength: 8 },
  )
  .map((entries) => {
    const object: Record<string, unknown> = {};
    // Defined, not assigned: a key named __proto__ stays an own property, as JSON.parse and msgpackr make it.
    for (const [key, value] of entries) Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
    return object;
  });

describe('withType', () => {
  it('equals { ...fields, type } in keys, their order, values and prototype, and leaves fields alone', () => {
    fc.assert(
      fc.property(fields, fc.string(), (input, type) => {
        const before = Object.entries(input);
        const made = withType(input, type);
        const spread = { ...input, type };
        expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
        expect(Object.keys(made)).toEqual(Object.keys(spread));
        expect(Object.entries(made)).toEqual(Object.entries(spread));
        expect(made.type).toBe(type);
        expect(Object.entries(input)).toEqual(before);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps an own __proto__ key as data, never as the prototype', () => {
    const input = JSON.parse('{"__proto__":{"polluted":true},"amount":3}') as object;
    const made = withType(input, 'MoneyDeposited');
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect((made as { polluted?: unknown }).polluted).toBeUndefined();
    expect(Object.keys(made)).toEqual(['__proto__', 'amount', 'type']);
  });
});

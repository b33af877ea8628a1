// `{ ...fields, type }`, built the fast way. V8 (Node 20) builds that literal ~10× slower than
// the same object made by Object.assign and one assignment (measured: ~650 against ~50–70 ns for
// a two-field event), and it runs once per replayed event and per validated command. The result
// is the same: own enumerable keys in order, then `type`, except that Object.assign would *set*
// an own `__proto__` key (changing the prototype) where a spread defines it: such objects take the spread.

/** A new object with the own enumerable properties of `fields`, then `type` (replacing one of theirs). */
export function withType<T extends string>(fields: object, type: T): { type: T; [key: string]: unknown } {
  const result: Record<string, unknown> = Object.hasOwn(fields, '__proto__') ? { ...fields } : Object.assign<Record<string, unknown>, object>({}, fields);
  result.type = type;
  return result as { type: T; [key: string]: unknown };
}

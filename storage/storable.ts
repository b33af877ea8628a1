// What may be stored: exactly the values msgpackr (the event codec, and lmdb-js for snapshots)
// reads back as they were written. It turns a Set into an array, a class instance into a plain
// object, -0 into 0 and a lone surrogate into U+FFFD, and renames an own `__proto__` key; stored,
// such a value would make the replayed actor differ from the live one, so it is refused instead.
// As in JSON and structuredClone, an object's data is its own enumerable string-keyed properties.

/** Deepest nesting of objects and arrays stored; msgpackr's recursion overflows the stack near 5,000. */
export const MAX_NESTING = 64;

const MIN_INT64 = -(2n ** 63n);
const MAX_UINT64 = 2n ** 64n - 1n;

type PathStep = string | number | { readonly mapKey: unknown };

/** The objects being walked, reused across calls (the walk is synchronous). */
const ancestors: object[] = [];

interface Issue {
  readonly path: PathStep[];
  readonly reason: string;
}

/** True unless `value` holds a lone surrogate (ill-formed UTF-16), which UTF-8 cannot carry. */
export function isWellFormed(value: string): boolean {
  // String.prototype.isWellFormed is in Node >= 20 but not in the ES2023 lib this compiles against.
  return (value as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Why `value` would not read back exactly as written, as a sentence starting with `name` and the
 * path to the offending part (`data.tags is a Set, …`); undefined when it would.
 */
export function unstorable(value: unknown, name: string): string | undefined {
  // Runs once per stored event: primitives (most metadata fields, most values) allocate nothing.
  const issue = issueOf(value, 0, ancestors);
  ancestors.length = 0;
  return issue && `${name}${issue.path.map(formatStep).join('')} ${issue.reason}`;
}

/** Throws a TypeError unless `value` reads back exactly as written (see `unstorable`). */
export function assertStorable(value: unknown, name: string): void {
  const reason = unstorable(value, name);
  if (reason !== undefined) throw new TypeError(reason);
}

function issueOf(value: unknown, depth: number, ancestors: object[]): Issue | undefined {
  switch (typeof value) {
    case 'string':
      return isWellFormed(value) ? undefined : issue('is a string holding a lone surrogate (ill-formed UTF-16), which would read back as U+FFFD');
    case 'number':
      return Object.is(value, -0) ? issue('is -0, which would read back as 0') : undefined;
    case 'bigint':
      return value >= MIN_INT64 && value <= MAX_UINT64 ? undefined : issue('is a BigInt outside 64 bits, which msgpack cannot hold');
    case 'boolean':
    case 'undefined':
      return undefined;
    case 'function':
      return issue('is a function, which cannot be stored');
    case 'symbol':
      return issue('is a symbol, which cannot be stored');
  }
  if (value === null) return undefined;
  const object = value as object;
  if (depth >= MAX_NESTING) return issue(`is nested deeper than ${MAX_NESTING} levels`);
  if (ancestors.includes(object)) return issue('refers back to an object that contains it (a cycle)');
  ancestors.push(object);
  const found = childIssue(object, depth + 1, ancestors);
  ancestors.pop();
  return found;
}

function childIssue(object: object, depth: number, ancestors: object[]): Issue | undefined {
  const proto = Object.getPrototypeOf(object) as object | null;
  if (proto === Object.prototype || proto === null) return objectIssue(object as Record<string, unknown>, depth, ancestors);
  if (proto === Array.prototype) return arrayIssue(object as unknown[], depth, ancestors);
  if (proto === Date.prototype || proto === Buffer.prototype || proto === Uint8Array.prototype) return undefined;
  if (proto === Map.prototype) return mapIssue(object as Map<unknown, unknown>, depth, ancestors);
  if (proto === Set.prototype) return issue('is a Set, which would read back as an array: store [...set]');
  const name = (proto as { constructor?: { name?: string } }).constructor?.name || 'an anonymous class';
  return issue(`is an instance of ${name}, which would read back as a plain object or array: store plain data`);
}

function objectIssue(object: Record<string, unknown>, depth: number, ancestors: object[]): Issue | undefined {
  for (const key of Object.keys(object)) {
    if (key === '__proto__') return issue('has an own "__proto__" key, which would read back renamed');
    if (!isWellFormed(key)) return within(key, issue('is a key holding a lone surrogate (ill-formed UTF-16)'));
    const found = issueOf(object[key], depth, ancestors);
    if (found) return within(key, found);
  }
  return undefined;
}

function arrayIssue(array: unknown[], depth: number, ancestors: object[]): Issue | undefined {
  for (let i = 0; i < array.length; i++) {
    if (!(i in array)) return within(i, issue('is a hole in a sparse array, which would read back as undefined'));
    const found = issueOf(array[i], depth, ancestors);
    if (found) return within(i, found);
  }
  return undefined;
}

function mapIssue(map: Map<unknown, unknown>, depth: number, ancestors: object[]): Issue | undefined {
  for (const [key, entry] of map) {
    const found = issueOf(key, depth, ancestors) ?? issueOf(entry, depth, ancestors);
    if (found) return within({ mapKey: key }, found);
  }
  return undefined;
}

function issue(reason: string): Issue {
  return { path: [], reason };
}

function within(step: PathStep, found: Issue): Issue {
  found.path.unshift(step);
  return found;
}

function formatStep(step: PathStep): string {
  if (typeof step === 'number') return `[${step}]`;
  if (typeof step === 'string') return /^[A-Za-z_$][\w$]*$/.test(step) ? `.${step}` : `[${JSON.stringify(step)}]`;
  return `.get(${describeKey(step.mapKey)})`;
}

/** A Map key for a message; never throws (String() does on a null-prototype object). */
function describeKey(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return JSON.stringify(key);
    case 'bigint':
      return `${key}n`;
    case 'object':
      return key === null ? 'null' : Array.isArray(key) ? '[…]' : '{…}';
    case 'function':
      return 'a function';
    default:
      return String(key);
  }
}

// Errors that cross the wire from a partition's owner to the node that forwarded the call: the
// caller gets the same class (MailboxFullError, ConcurrencyError, IllegalEventError, …) with the
// same fields as on the owner, so `instanceof`, `code` and the fields work on any node. An error
// of the user's own (a handler's `throw new Error(…)`) comes back as an Error with its name and message.

/** An error as sent: its class name, message and own fields. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly fields: Record<string, unknown>;
}

/** The error classes a node can rebuild, by name. */
export type ErrorClasses = ReadonlyMap<string, abstract new (...args: never[]) => Error>;

/** `error` as data; fields that are not plain data (a cause, a function) are left out. */
export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), fields: {} };
  const fields: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'cause' || key === 'stack') continue;
    if (isPlain(value)) fields[key] = value;
  }
  return { name: error.name, message: error.message, fields };
}

/** The error `wire` describes, of its class when `classes` knows it; `node` is named in its stack. */
export function fromWire(wire: WireError, classes: ErrorClasses, node: string): Error {
  const known = classes.get(wire.name);
  // Not constructed: constructors compose their message from arguments the wire does not carry.
  const error = Object.create(known ? known.prototype as object : Error.prototype) as Error;
  Object.assign(error, wire.fields);
  Object.defineProperty(error, 'message', { value: wire.message, writable: true, configurable: true });
  Object.defineProperty(error, 'name', { value: wire.name, writable: true, configurable: true });
  Object.defineProperty(error, 'stack', { value: `${wire.name}: ${wire.message}\n    at the owner of the aggregate (forwarded by node ${node})`, writable: true, configurable: true });
  return error;
}

function isPlain(value: unknown, depth = 0): boolean {
  if (value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value)) return true;
  if (depth > 8 || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((item) => isPlain(item, depth + 1));
  const prototype = Object.getPrototypeOf(value) as unknown;
  return (prototype === Object.prototype || prototype === null) && Object.values(value).every((item) => isPlain(item, depth + 1));
}

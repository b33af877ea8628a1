// Key shapes and size limits of the event environment. LMDB keys are at most 1,978 bytes, and
// the command ledger's key holds type + id + commandId (ledger-keys.ts), so each part is capped well below that.
import { SizeLimitError } from './errors.js';
import { isWellFormed } from './storable.js';

/** Identifies one event stream: the aggregate type and the aggregate id. */
export interface StreamRef {
  readonly type: string;
  readonly id: string;
}

/** Storage limits, documented in docs/operations.md; all in UTF-8 bytes. */
export const LIMITS = {
  aggregateTypeBytes: 128,
  aggregateIdBytes: 512,
  commandIdBytes: 512,
  /** Default for `maxEventBytes`; values over ~2 KB already cost overflow pages. */
  eventBytes: 1024 * 1024,
} as const;

/** `account/a-1`: how streams are named in messages and logs. */
export function streamName(stream: StreamRef): string {
  return `${stream.type}/${stream.id}`;
}

/** Throws unless `value` can be a key part: well-formed UTF-16 (it is stored as UTF-8) within `limit` bytes. */
export function checkKeyPart(what: string, value: string, limit: number): void {
  // A lone surrogate becomes U+FFFD in UTF-8: the key would be acknowledged, then read back as another.
  if (!isWellFormed(value)) throw new TypeError(`${what} holds a lone surrogate (ill-formed UTF-16): it would not read back as written`);
  const bytes = Buffer.byteLength(value);
  if (bytes > limit) throw new SizeLimitError(what, bytes, limit);
}

/**
 * Whether `value` is surely a valid key part within `limit` bytes, without counting them: a UTF-8
 * character is at most 3 bytes per UTF-16 unit. Checked on every append, so the usual short,
 * well-formed part costs no byte count and no message string.
 */
export function surelyFits(value: string, limit: number): boolean {
  return value.length * 3 <= limit && isWellFormed(value);
}

export function checkStreamRef(stream: StreamRef): void {
  const { type, id } = stream;
  if (!surelyFits(type, LIMITS.aggregateTypeBytes)) checkKeyPart(`aggregate type "${type.slice(0, 40)}"`, type, LIMITS.aggregateTypeBytes);
  if (!surelyFits(id, LIMITS.aggregateIdBytes)) checkKeyPart(`aggregate id of ${type} "${id.slice(0, 40)}…"`, id, LIMITS.aggregateIdBytes);
}

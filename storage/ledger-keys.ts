// The command ledger's bytes on disk. A key names one (aggregate type, aggregate id, commandId)
// and no other: NULs inside a part are escaped and parts are joined by a NUL pair, so a joined
// key cannot let 'a'/'b\0c' + 'd' pass for 'a'/'b' + 'c\0d'; lone surrogates are kept (WTF-8)
// instead of collapsing to U+FFFD. An entry is 24 bytes: version, position, count and time. A
// journal group holds the entries of consecutive sequences: keyed ones, followed by their key's
// length (4 bytes) and their key, which parses back to the exact strings; and carried ones, 23
// bytes, for a command whose last event carries its commandId. (Earlier versions wrote groups of
// keyed entries with no tag, and before that one entry per journal value, the key after it, and
// a table of key → entry; a writer migrates the last two on open, and the first reads as is.)
import { FNV_OFFSET, FNV_PRIME, finishFingerprint, fingerprintOf, hashText } from './fingerprint-table.js';
import type { StreamRef } from './keys.js';

/** First byte of every ledger key: tells this layout from the array keys of earlier versions. */
const TAG = 0x01;
const TAG_CHAR = '\u0001';
const ESCAPED_NUL = '\u0000\u00ff';
const SEPARATOR = '\u0000\u0001';
const SURROGATE = /[\ud800-\udfff]/;
/** Bytes of an entry: version, position, count, time. */
const VALUE_BYTES = 24;

/** What the ledger remembers of one command. */
export interface LedgerEntry {
  /** The stream's version after the command. */
  readonly version: number;
  /** The position of its last event (the log's head when it appended none). */
  readonly position: number;
  /** How many events it appended (0 to all of them). */
  readonly count: number;
  /** When it was handled (ms since the epoch): retention counts from here. */
  readonly time: number;
}

function escapeNul(part: string): string {
  return part.includes('\u0000') ? part.replaceAll('\u0000', ESCAPED_NUL) : part;
}

/**
 * ledgerKey's bytes as a string of one character per byte (latin1), which the ledger fingerprints
 * and writes. Most keys (ASCII, no NUL inside a part: UUIDs and most ids) are their own text, with
 * no Buffer made: at a command's rate, Buffer.from of a short string costs more than the rest of
 * the lookup.
 */
export function ledgerKeyBytes(stream: StreamRef, commandId: string): string {
  const { type, id } = stream;
  if (isPlain(type) && isPlain(id) && isPlain(commandId)) return TAG_CHAR + type + SEPARATOR + id + SEPARATOR + commandId;
  return ledgerKey(stream, commandId).toString('latin1');
}

/**
 * fingerprintOf(ledgerKeyBytes(stream, commandId)), with no key joined for a plain one: hashed
 * part by part, as it is looked up and recorded once per command.
 */
export function ledgerKeyFingerprint(stream: StreamRef, commandId: string): number {
  const { type, id } = stream;
  // Each part hashed and checked in one pass (half the time of a check, then a hash).
  let hash = hashPlain(hashText(FNV_OFFSET, TAG_CHAR), type);
  if (!Number.isNaN(hash)) hash = hashPlain(hashText(hash, SEPARATOR), id);
  if (!Number.isNaN(hash)) hash = hashPlain(hashText(hash, SEPARATOR), commandId);
  return !Number.isNaN(hash) ? finishFingerprint(hash) : fingerprintOf(ledgerKey(stream, commandId).toString('latin1'));
}

/** hashText over a plain part (its key bytes are its text: see isPlain), or NaN for any other. */
function hashPlain(hash: number, part: string): number {
  let h = hash;
  // A NUL makes `code - 1` negative and a non-ASCII unit sets a bit above 0x7f: either shows in `units`.
  let units = 0;
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    units |= code | (code - 1);
    h = Math.imul(h ^ code, FNV_PRIME);
  }
  return units >= 0 && units < 0x80 ? h : Number.NaN;
}

function isPlain(part: string): boolean {
  for (let i = 0; i < part.length; i++) {
    const code = part.charCodeAt(i);
    if (code === 0 || code >= 0x80) return false;
  }
  return true;
}

/** The ledger key of a command of `stream`. */
export function ledgerKey(stream: StreamRef, commandId: string): Buffer {
  const { type, id } = stream;
  // Buffer's UTF-8 writes a lone surrogate as U+FFFD (two ids, one key), and a NUL needs its
  // escape: only then is the key encoded by hand.
  if (!type.includes('\u0000') && !id.includes('\u0000') && !commandId.includes('\u0000')) {
    const text = TAG_CHAR + type + SEPARATOR + id + SEPARATOR + commandId;
    if (!SURROGATE.test(text)) return Buffer.from(text);
  }
  const text = TAG_CHAR + escapeNul(type) + SEPARATOR + escapeNul(id) + SEPARATOR + escapeNul(commandId);
  const key = Buffer.allocUnsafe(Buffer.byteLength(text));
  writeWtf8(text, key, 0);
  return key;
}

/** The stream and commandId a ledger key names (the inverse of ledgerKey), or undefined for other bytes. */
export function parseLedgerKey(key: Uint8Array): { stream: StreamRef; commandId: string } | undefined {
  if (key[0] !== TAG) return undefined;
  const parts: string[] = [];
  let part = '';
  const text = readWtf8(key.subarray(1));
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char !== '\u0000') {
      part += char;
    } else if (text[i + 1] === '\u00ff') {
      part += char;
      i++;
    } else if (text[i + 1] === '\u0001') {
      parts.push(part);
      part = '';
      i++;
    } else {
      return undefined;
    }
  }
  parts.push(part);
  const [type, id, commandId] = parts;
  return parts.length === 3 ? { stream: { type: type!, id: id! }, commandId: commandId! } : undefined;
}

/**
 * UTF-8, except that a lone surrogate is written as the 3 bytes of its own code point (WTF-8):
 * the same length Buffer.byteLength counts for it, and no longer the same bytes as U+FFFD.
 */
function writeWtf8(text: string, target: Buffer, offset: number): void {
  let at = offset;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    const next = text.charCodeAt(i + 1);
    if (code >= 0xd800 && code <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      code = 0x10000 + ((code - 0xd800) << 10) + (next - 0xdc00);
      i++;
    }
    if (code < 0x80) {
      target[at++] = code;
    } else if (code < 0x800) {
      target[at++] = 0xc0 | (code >> 6);
      target[at++] = 0x80 | (code & 0x3f);
    } else if (code < 0x10000) {
      target[at++] = 0xe0 | (code >> 12);
      target[at++] = 0x80 | ((code >> 6) & 0x3f);
      target[at++] = 0x80 | (code & 0x3f);
    } else {
      target[at++] = 0xf0 | (code >> 18);
      target[at++] = 0x80 | ((code >> 12) & 0x3f);
      target[at++] = 0x80 | ((code >> 6) & 0x3f);
      target[at++] = 0x80 | (code & 0x3f);
    }
  }
}

/** Whether `bytes` hold an encoded surrogate (0xED 0xA0-0xBF …); found natively, as keys are read per timer fired. */
function hasEncodedSurrogate(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(0xed); at !== -1; at = bytes.indexOf(0xed, at + 1)) {
    if (bytes[at + 1]! >= 0xa0) return true;
  }
  return false;
}

/** Decodes UTF-8 bytes, keeping the code points of encoded surrogates (WTF-8) as lone surrogates. */
function readWtf8(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // Only an encoded surrogate (0xED 0xA0-0xBF ...) differs from UTF-8, which Buffer reads exactly.
  if (!hasEncodedSurrogate(buffer)) return buffer.toString('utf8');
  let text = '';
  for (let i = 0; i < buffer.length;) {
    const byte = buffer[i]!;
    const size = byte < 0x80 ? 1 : byte < 0xe0 ? 2 : byte < 0xf0 ? 3 : 4;
    if (size === 3 && byte === 0xed && buffer[i + 1]! >= 0xa0) {
      text += String.fromCharCode(((byte & 0x0f) << 12) | ((buffer[i + 1]! & 0x3f) << 6) | (buffer[i + 2]! & 0x3f));
    } else {
      text += buffer.toString('utf8', i, i + size);
    }
    i += size;
  }
  return text;
}

/** An entry's 24 bytes: a row of the earlier ledger table (which tests of its migration write). */
export function encodeLedgerValue(entry: LedgerEntry): Buffer {
  const value = Buffer.allocUnsafe(VALUE_BYTES);
  writeEntry(entry, value, 0);
  return value;
}

function writeEntry(entry: LedgerEntry, target: Buffer, at: number): void {
  target.writeUIntBE(entry.version, at, 6);
  target.writeUIntBE(entry.position, at + 6, 6);
  target.writeUInt32BE(entry.count, at + 12);
  target.writeDoubleBE(entry.time, at + 16);
}

/** The entry a stored value holds, or undefined when the bytes are not one (corrupt, or another layout). */
export function decodeLedgerValue(value: unknown): LedgerEntry | undefined {
  if (!(value instanceof Uint8Array) || value.length !== VALUE_BYTES) return undefined;
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.length);
  const entry: LedgerEntry = {
    version: bytes.readUIntBE(0, 6), position: bytes.readUIntBE(6, 6), count: bytes.readUInt32BE(12), time: bytes.readDoubleBE(16),
  };
  return entry.count <= entry.version && entry.count <= entry.position && Number.isFinite(entry.time) ? entry : undefined;
}

/**
 * A command's entry as the ledger writes it: with its key's bytes (latin1, from ledgerKeyBytes),
 * or, when `print` is set, as a carried entry: the command's last event carries its commandId
 * (the runtime puts it in every event's metadata), so the group holds only the key's
 * fingerprint and where that event is, and a lookup confirms the key against the event.
 */
export type JournalEntry =
  | { readonly entry: LedgerEntry; readonly keyBytes: string; readonly print?: undefined }
  /** Carried: the key's fingerprint is written in place of the key. */
  | { readonly entry: LedgerEntry; readonly print: number; readonly keyBytes?: undefined };

/** A carried entry as a group holds it: the stream's version is the event's. */
export interface CarriedEntry {
  /** The position of the command's last event, which carries its stream and commandId. */
  readonly position: number;
  readonly count: number;
  readonly time: number;
  /** The fingerprint of the command's key, as the writer computed it. */
  readonly print: number;
}

/** An entry of a group as read back: keyed (its `entry` undefined when its 24 bytes do not decode), or carried. */
export type JournalRecord = { readonly entry: LedgerEntry | undefined; readonly keyBytes: string } | CarriedEntry;

/** First byte of a group in this layout; a group of the earlier one begins with a version's high byte, 0. */
const GROUP_TAG = 0x03;
const KEYED = 0x01;
const CARRIED = 0x02;
const LENGTH_BYTES = 4;
/** Kind, fingerprint, position, count, time: against ~85 bytes for a keyed entry with a UUID. */
const CARRIED_BYTES = 1 + 4 + 6 + 4 + 8;
/** Bytes before a group's first entry. */
export const GROUP_HEADER_BYTES = 1;

/** Bytes an entry takes in a journal group. */
export function journalEntryBytes(entry: JournalEntry): number {
  return entry.print === undefined ? 1 + VALUE_BYTES + LENGTH_BYTES + entry.keyBytes.length : CARRIED_BYTES;
}

/** A journal group: a tag, then the entries of consecutive sequences, each keyed (entry, key length, key) or carried. */
export function encodeJournalGroup(entries: readonly JournalEntry[]): Buffer {
  let size = GROUP_HEADER_BYTES;
  for (const entry of entries) size += journalEntryBytes(entry);
  const value = Buffer.allocUnsafe(size);
  value[0] = GROUP_TAG;
  let at = GROUP_HEADER_BYTES;
  for (const journalEntry of entries) {
    const { entry } = journalEntry;
    if (journalEntry.print !== undefined) {
      value[at] = CARRIED;
      value.writeUInt32BE(journalEntry.print, at + 1);
      value.writeUIntBE(entry.position, at + 5, 6);
      value.writeUInt32BE(entry.count, at + 11);
      value.writeDoubleBE(entry.time, at + 15);
      at += CARRIED_BYTES;
      continue;
    }
    const keyBytes = journalEntry.keyBytes;
    value[at++] = KEYED;
    writeEntry(entry, value, at);
    value.writeUInt32BE(keyBytes.length, at + VALUE_BYTES);
    at += VALUE_BYTES + LENGTH_BYTES;
    for (let i = 0; i < keyBytes.length; i++) value[at + i] = keyBytes.charCodeAt(i);
    at += keyBytes.length;
  }
  return value;
}

/**
 * The entries of a journal group, in order. Undefined when the bytes are not a group at all.
 * Reads the earlier layouts too: groups of keyed entries with no tag or kinds, and (`single`) a
 * value of one entry and its key with no length.
 */
export function decodeJournalGroup(value: Uint8Array, single = false): JournalRecord[] | undefined {
  const bytes = Buffer.from(value.buffer, value.byteOffset, value.length);
  if (single) {
    return bytes.length > VALUE_BYTES && isLedgerKey(bytes.subarray(VALUE_BYTES))
      ? [{ entry: decodeLedgerValue(bytes.subarray(0, VALUE_BYTES)), keyBytes: bytes.toString('latin1', VALUE_BYTES) }]
      : undefined;
  }
  const tagged = bytes[0] === GROUP_TAG;
  const entries: JournalRecord[] = [];
  for (let at = tagged ? GROUP_HEADER_BYTES : 0; at < bytes.length;) {
    const kind = tagged ? bytes[at++] : KEYED;
    if (kind === CARRIED) {
      const carried = at + CARRIED_BYTES - 1 <= bytes.length ? readCarried(bytes, at) : undefined;
      if (!carried) return undefined;
      entries.push(carried);
      at += CARRIED_BYTES - 1;
      continue;
    }
    if (kind !== KEYED || bytes.length - at < VALUE_BYTES + LENGTH_BYTES + 1) return undefined;
    const length = bytes.readUInt32BE(at + VALUE_BYTES);
    const keyAt = at + VALUE_BYTES + LENGTH_BYTES;
    if (length === 0 || keyAt + length > bytes.length || !isLedgerKey(bytes.subarray(keyAt))) return undefined;
    entries.push({ entry: decodeLedgerValue(bytes.subarray(at, at + VALUE_BYTES)), keyBytes: bytes.toString('latin1', keyAt, keyAt + length) });
    at = keyAt + length;
  }
  return entries.length > 0 ? entries : undefined;
}

function readCarried(bytes: Buffer, at: number): CarriedEntry | undefined {
  const position = bytes.readUIntBE(at + 4, 6);
  const count = bytes.readUInt32BE(at + 10);
  const time = bytes.readDoubleBE(at + 14);
  if (count < 1 || count > position || !Number.isFinite(time)) return undefined;
  return { print: bytes.readUInt32BE(at), position, count, time };
}

/** Whether a stored key is in this layout (earlier versions keyed the ledger by lmdb-js arrays). */
export function isLedgerKey(key: Uint8Array): boolean {
  return key[0] === TAG;
}

// The command ledger's bytes on disk. A key names one (aggregate type, aggregate id, commandId)
// and no other: NULs inside a part are escaped and parts are joined by a NUL pair, so a joined
// key cannot let 'a'/'b\0c' + 'd' pass for 'a'/'b' + 'c\0d'; lone surrogates are kept (WTF-8)
// instead of collapsing to U+FFFD. An entry is 24 bytes: version, position, count and time; a
// journal value is those 24 bytes followed by the key, which parses back to the exact strings.
// (Earlier versions also kept a table of key → entry, which a writer migrates on open.)
import type { StreamRef } from './keys.js';

/** First byte of every ledger key: tells this layout from the array keys of earlier versions. */
const TAG = 0x01;
const TAG_CHAR = '\u0001';
const ESCAPED_NUL = '\u0000\u00ff';
const SEPARATOR = '\u0000\u0001';
const SURROGATE = /[\ud800-\udfff]/;
/** Bytes of an entry: version, position, count, time. */
export const VALUE_BYTES = 24;

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

/** Decodes UTF-8 bytes, keeping the code points of encoded surrogates (WTF-8) as lone surrogates. */
function readWtf8(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  // Only an encoded surrogate (0xED 0xA0-0xBF ...) differs from UTF-8, which Buffer reads exactly.
  if (!buffer.some((byte, i) => byte === 0xed && buffer[i + 1]! >= 0xa0)) return buffer.toString('utf8');
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
  writeEntry(entry, value);
  return value;
}

function writeEntry(entry: LedgerEntry, target: Buffer): void {
  target.writeUIntBE(entry.version, 0, 6);
  target.writeUIntBE(entry.position, 6, 6);
  target.writeUInt32BE(entry.count, 12);
  target.writeDoubleBE(entry.time, 16);
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

/** A journal value: the entry, then the key its table row will have (which names the command). */
export function encodeJournalValue(entry: LedgerEntry, key: Buffer): Buffer {
  const value = Buffer.allocUnsafe(VALUE_BYTES + key.length);
  writeEntry(entry, value);
  key.copy(value, VALUE_BYTES);
  return value;
}

/** What a journal value holds (the entry, and the key it names), or undefined when the bytes are not one. */
export function decodeJournalEntry(value: unknown): { entry: LedgerEntry; key: Buffer } | undefined {
  if (!(value instanceof Uint8Array) || value.length <= VALUE_BYTES) return undefined;
  const entry = decodeLedgerValue(value.subarray(0, VALUE_BYTES));
  return entry && isLedgerKey(value.subarray(VALUE_BYTES)) ? { entry, key: Buffer.from(value.subarray(VALUE_BYTES)) } : undefined;
}

/** Whether a stored key is in this layout (earlier versions keyed the ledger by lmdb-js arrays). */
export function isLedgerKey(key: Uint8Array): boolean {
  return key[0] === TAG;
}

// send() options are checked before anything runs, so a malformed call is refused with an
// InvalidCommandError naming the aggregate and the field, and leaves nothing behind.
import { InvalidCommandError } from '../actors/errors.js';
import { LIMITS } from '../storage/keys.js';
import { isWellFormed, unstorable } from '../storage/storable.js';
import type { SendOptions } from './types.js';

function optionalString(stream: string, field: string, value: unknown, maxBytes: number): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidCommandError(stream, `options.${field} must be a non-empty string (got ${JSON.stringify(value)})`);
  }
  if (!isWellFormed(value)) {
    throw new InvalidCommandError(stream, `options.${field} holds a lone surrogate (ill-formed UTF-16): it would not read back as written`);
  }
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short string needs no count (a call into C++ per send).
  if (value.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) throw new InvalidCommandError(stream, `options.${field} is ${bytes} bytes, over ${maxBytes}`);
}

function checkMetadata(stream: string, metadata: unknown): void {
  if (metadata === undefined) return;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidCommandError(stream, 'options.metadata must be a plain object');
  }
  // Stored with every event: refused here, naming the field, rather than at encoding.
  const reason = unstorable(metadata, 'options.metadata');
  if (reason !== undefined) throw new InvalidCommandError(stream, reason);
}

/** Throws InvalidCommandError unless the send options are well formed. */
export function checkSendOptions(aggregateType: string, aggregateId: string, options: SendOptions): void {
  const stream = `${aggregateType}/${aggregateId}`;
  if (typeof options !== 'object' || options === null) throw new InvalidCommandError(stream, 'send options must be an object');
  const { expectedVersion } = options;
  if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
    throw new InvalidCommandError(stream, `options.expectedVersion must be a non-negative integer (got ${String(expectedVersion)})`);
  }
  optionalString(stream, 'commandId', options.commandId, LIMITS.commandIdBytes);
  optionalString(stream, 'correlationId', options.correlationId, LIMITS.commandIdBytes);
  optionalString(stream, 'causationId', options.causationId, LIMITS.commandIdBytes);
  checkMetadata(stream, options.metadata);
}

// send() options are checked before anything runs, so a malformed call is refused with an
// InvalidCommandError naming the aggregate and the field, and leaves nothing behind.
import { InvalidCommandError } from '../actors/errors.js';
import { LIMITS } from '../storage/keys.js';
import { isWellFormed, unstorable } from '../storage/storable.js';
import type { SendOptions } from './types.js';

/** Why a string option is refused, or undefined when it is well formed. */
function stringIssue(field: string, value: unknown, maxBytes: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0) return `options.${field} must be a non-empty string (got ${JSON.stringify(value)})`;
  if (!isWellFormed(value)) return `options.${field} holds a lone surrogate (ill-formed UTF-16): it would not read back as written`;
  // A UTF-16 unit is at most 3 UTF-8 bytes: a short string needs no count (a call into C++ per send).
  if (value.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(value);
  return bytes > maxBytes ? `options.${field} is ${bytes} bytes, over ${maxBytes}` : undefined;
}

function metadataIssue(metadata: unknown): string | undefined {
  if (metadata === undefined) return undefined;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) return 'options.metadata must be a plain object';
  // Stored with every event: refused here, naming the field, rather than at encoding.
  return unstorable(metadata, 'options.metadata');
}

/** Throws InvalidCommandError unless the send options are well formed. */
export function checkSendOptions(aggregateType: string, aggregateId: string, options: SendOptions): void {
  const issue = optionsIssue(options);
  // The stream's name is built only for the error: this runs on every send with options.
  if (issue !== undefined) throw new InvalidCommandError(`${aggregateType}/${aggregateId}`, issue);
}

function optionsIssue(options: SendOptions): string | undefined {
  if (typeof options !== 'object' || options === null) return 'send options must be an object';
  const { expectedVersion } = options;
  if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
    return `options.expectedVersion must be a non-negative integer (got ${String(expectedVersion)})`;
  }
  return stringIssue('commandId', options.commandId, LIMITS.commandIdBytes) ??
    stringIssue('correlationId', options.correlationId, LIMITS.commandIdBytes) ??
    stringIssue('causationId', options.causationId, LIMITS.commandIdBytes) ??
    metadataIssue(options.metadata);
}

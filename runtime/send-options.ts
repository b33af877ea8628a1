// send() options are checked before anything runs, so a malformed call is refused with an
// InvalidCommandError naming the aggregate and the field, and leaves nothing behind.
import { InvalidCommandError } from '../actors/errors.js';
import { LIMITS } from '../storage/keys.js';
import type { SendOptions } from './types.js';

function optionalString(stream: string, field: string, value: unknown, maxBytes: number): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidCommandError(stream, `options.${field} must be a non-empty string (got ${JSON.stringify(value)})`);
  }
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) throw new InvalidCommandError(stream, `options.${field} is ${bytes} bytes, over ${maxBytes}`);
}

/** Throws InvalidCommandError unless the send options are well formed. */
export function checkSendOptions(aggregateType: string, aggregateId: string, options: SendOptions): void {
  const stream = `${aggregateType}/${aggregateId}`;
  if (typeof options !== 'object' || options === null) throw new InvalidCommandError(stream, 'send options must be an object');
  const { expectedVersion, metadata } = options;
  if (expectedVersion !== undefined && (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0)) {
    throw new InvalidCommandError(stream, `options.expectedVersion must be a non-negative integer (got ${String(expectedVersion)})`);
  }
  optionalString(stream, 'commandId', options.commandId, LIMITS.commandIdBytes);
  optionalString(stream, 'correlationId', options.correlationId, LIMITS.commandIdBytes);
  optionalString(stream, 'causationId', options.causationId, LIMITS.commandIdBytes);
  if (metadata !== undefined && (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))) {
    throw new InvalidCommandError(stream, 'options.metadata must be a plain object');
  }
}

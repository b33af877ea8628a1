// One JetStream message of the log: the appends of one stream, decided by its owner, in one
// message so they land atomically (nats-server 2.9 has no multi-message batch). Plain MessagePack
// maps, no shared structures: any node, of any release, decodes any message on its own.
import { Packr } from 'msgpackr';
import type { StreamAppend } from '../../storage/event-log.js';

/** What a log message carries. */
export interface LogMessage {
  /** Who published it and which of its publishes it is: the publisher's commit waits for this id. */
  readonly origin: string;
  readonly appends: readonly StreamAppend[];
}

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });

/** The message's bytes; values were checked storable before (see storable.ts). */
export function encodeLogMessage(message: LogMessage): Uint8Array {
  return packr.pack(message);
}

/** The message read back; throws on bytes that are not a log message. */
export function decodeLogMessage(bytes: Uint8Array, sequence: number): LogMessage {
  const message = packr.unpack(bytes) as Partial<LogMessage> | null;
  if (!message || typeof message.origin !== 'string' || !Array.isArray(message.appends) || message.appends.length === 0) {
    throw new TypeError(`log message at stream sequence ${sequence} is not a rehydra log message`);
  }
  return message as LogMessage;
}

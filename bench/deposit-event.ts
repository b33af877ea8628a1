// The event every storage scenario writes: a MoneyDeposited of ~100 bytes once encoded (10-byte
// prev + id-hash header + msgpackr record with shared structures), so raw puts and the event log move the
// same bytes per event and only the layout and the code path differ.
import { createEventCodec } from '../storage/codec.js';
import type { NewEvent, StreamRef } from '../storage/event-log.js';

/** Chosen so that the encoded value is 100 bytes (measured with storage/codec.ts). */
const NOTE = 'x'.repeat(42);

/** The aggregate every storage scenario writes to. */
export const STREAM_TYPE = 'account';

/** Stream `i` of the workload: `account/a-<i>`. */
export function streamRef(i: number): StreamRef {
  return { type: STREAM_TYPE, id: `a-${i}` };
}

/** A deposit as the runtime would hand it to the event log. */
export function depositEvent(amount: number): NewEvent {
  return { type: 'MoneyDeposited', data: { amount, note: NOTE }, metadata: { timestamp: Date.now() } };
}

/** One deposit encoded exactly as the event log stores it, for scenarios that put raw bytes. */
export function encodedDeposit(): Buffer {
  let structures: unknown[] = [];
  const codec = createEventCodec({ load: () => structures, save: (saved) => void (structures = saved) }, false);
  const event = depositEvent(523);
  return codec.encode({ aggregateType: STREAM_TYPE, aggregateId: 'a-1234', version: 17, ...event }, 12_345);
}

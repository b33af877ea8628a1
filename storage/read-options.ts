// Read options are checked when a read is asked for, not when it is iterated: a NaN, a string or a
// negative number names the option at fault instead of quietly reading nothing (NaN compares false).
import type { ReadAllOptions, ReadStreamOptions } from './event-log.js';

/** Throws a TypeError or RangeError naming `reader`'s option unless it is absent or a non-negative integer. */
export function checkPosition(reader: string, name: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== 'number') throw new TypeError(`options.${name} of ${reader} must be a number (got ${typeof value})`);
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`options.${name} of ${reader} must be a non-negative integer (got ${value})`);
}

function checkOptions(reader: string, options: unknown): asserts options is Record<string, unknown> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`the options of ${reader} must be an object`);
}

/** Throws unless `options` are valid `readAll` options. */
export function checkReadAllOptions(options: ReadAllOptions): void {
  checkOptions('readAll', options);
  checkPosition('readAll', 'fromPosition', options.fromPosition);
  checkPosition('readAll', 'limit', options.limit);
}

/** Throws unless `options` are valid `readStream` options; `stream` names it in messages. */
export function checkReadStreamOptions(stream: string, options: ReadStreamOptions): void {
  const reader = `readStream(${stream})`;
  checkOptions(reader, options);
  checkPosition(reader, 'fromVersion', options.fromVersion);
  checkPosition(reader, 'toVersion', options.toVersion);
}

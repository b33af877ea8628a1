// Reads are synchronous underneath (LMDB reads are memory-mapped), so the iterables the runtime
// returns work with plain for…of as well as the for await…of that the DESIGN shows.
import type { StoredEvent } from '../storage/event-log.js';
import type { EventIterable } from './types.js';

/** Makes a lazy sync iterator also async-iterable, without reading ahead. */
export function bothIterable(events: IterableIterator<StoredEvent>): EventIterable {
  const both = events as EventIterable;
  // Not `yield* events`: in an async generator that would delegate to this very asyncIterator.
  both[Symbol.asyncIterator] = async function* () {
    for (const event of events) yield event;
  };
  return both;
}

// Old events meet the new machine on every read path (replay, readStream, readAll, subscribe):
// upcasters are applied per stored type, repeatedly, so v1 → v2 → v3 chains compose.
import type { StoredEvent } from '../storage/event-log.js';
import type { AggregateDefinition } from './define-aggregate.js';
import { UpcastError } from './errors.js';
import { withType } from './with-type.js';

const MAX_CHAIN = 16;

/** Returns the event as the current definition expects it (the same object if no upcaster applies). */
export function upcast(definition: AggregateDefinition | undefined, event: StoredEvent): StoredEvent {
  if (!definition) return event;
  let current = event;
  for (let step = 0; step < MAX_CHAIN; step++) {
    // Own keys only: an event type like "valueOf" must not find Object.prototype's method.
    if (!Object.hasOwn(definition.upcasters, current.type)) return current;
    const upcaster = definition.upcasters[current.type]!;
    const next = upcaster(current);
    const changedType = next.type !== current.type;
    current = { ...current, ...next, position: event.position, version: event.version, aggregateId: event.aggregateId };
    if (!changedType) return current;
  }
  throw new UpcastError(definition.type, current.type, MAX_CHAIN);
}

/** The domain event (type plus data) that the machine receives for a stored event. */
export function toDomainEvent(event: StoredEvent): { type: string; [key: string]: unknown } {
  return withType(event.data, event.type);
}

// Explaining a command: it is decided exactly as send would decide it (the same admit and decide),
// but on a throwaway actor restored from the live actor's persisted snapshot, so nothing is
// persisted and the live actor never moves, whatever the handler or the statechart does.
import type { LiveActor } from './live-actor.js';
import type { StreamRef } from '../storage/keys.js';
import { decide } from './decide.js';
import type { AggregateDefinition, Command, DomainEvent } from './define-aggregate.js';
import { startActor } from './replay.js';

/**
 * What a command would do against the aggregate's current state: the events it would produce,
 * or the error `send` would reject with (a handler's own error, IllegalEventError, …).
 */
export type Explanation<E extends { readonly type: string } = DomainEvent> =
  | { readonly accepted: true; readonly events: readonly E[] }
  | { readonly accepted: false; readonly error: unknown };

/** Decides an admitted `command` against `actor`'s current state without touching `actor`. */
export function explainCommand(definition: AggregateDefinition, stream: StreamRef, actor: LiveActor, command: Command): Explanation {
  const fork = startActor(definition, actor.getPersistedSnapshot());
  try {
    return { accepted: true, events: decide(definition, stream, fork, command) };
  } catch (error) {
    return { accepted: false, error };
  } finally {
    fork.stop();
  }
}

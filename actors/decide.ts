// Deciding a command, the one place it is written: a command is admitted (well formed, known,
// valid for its schema) before anything runs, then its handler runs against the actor's current
// snapshot, its output must be domain events, and each event is sent to the live actor in turn,
// which is both the statechart's legality check and the apply (one transition per event). A
// refusal is a typed error; the actor has moved (and must be rebuilt) iff its snapshot changed.
import type { LiveActor } from './live-actor.js';
import { streamName, type StreamRef } from '../storage/keys.js';
import { isWellFormed } from '../storage/storable.js';
import { applyEvent, failureOf } from './apply-event.js';
import { validateCommand } from './command-schema.js';
import type { AggregateDefinition, Command, DomainEvent } from './define-aggregate.js';
import { ApplyError, IllegalEventError, InvalidCommandError, UnknownCommandError } from './errors.js';
import type { ActorInspector } from './inspection.js';
import { refusalOf } from './refusal.js';

function toEvents(stream: StreamRef, commandType: string, output: unknown): DomainEvent[] {
  const events = output === undefined ? [] : Array.isArray(output) ? output : [output];
  for (const event of events) {
    if (typeof event !== 'object' || event === null || typeof (event as DomainEvent).type !== 'string') {
      throw new InvalidCommandError(streamName(stream), `handler "${commandType}" must return events ({ type: string, ... }), an array of them, or nothing`);
    }
    const reason = eventTypeProblem((event as DomainEvent).type);
    if (reason) throw new InvalidCommandError(streamName(stream), `handler "${commandType}" returned event type ${JSON.stringify((event as DomainEvent).type)}: ${reason}`);
  }
  return events as DomainEvent[];
}

/** Why an event type cannot be stored, or undefined. */
function eventTypeProblem(type: string): string | undefined {
  if (type.length === 0) return 'an event type must not be empty';
  // XState's own events (xstate.stop, xstate.init, …) act on the actor itself: one stored would
  // stop or reset the aggregate on every replay.
  if (type.startsWith('xstate.')) return 'types starting with "xstate." are XState\'s own events and cannot be stored';
  if (!isWellFormed(type)) return 'it holds a lone surrogate (ill-formed UTF-16) and would not read back as written';
  return undefined;
}

/**
 * The command as its handler will receive it (the schema's output, when its type has a schema);
 * throws InvalidCommandError (malformed, or failing its schema, with the schema's issues) or
 * UnknownCommandError. Runs before the command is queued: a refused one never waits for a turn.
 */
export function admit(definition: AggregateDefinition, aggregateId: string, command: unknown): Command {
  if (typeof command !== 'object' || command === null || typeof (command as Command).type !== 'string') {
    throw new InvalidCommandError(`${definition.type}/${aggregateId}`, 'the command must be an object with a string `type`');
  }
  const { type } = command as Command;
  if (!Object.hasOwn(definition.commands, type)) throw new UnknownCommandError(definition.type, type, Object.keys(definition.commands));
  return validateCommand(definition.schemas, definition.type, aggregateId, command as Command);
}

/**
 * Runs an admitted `command`'s handler on `actor` and applies the events it returns; returns them,
 * or throws UnknownCommandError, the handler's own error, InvalidCommandError, IllegalEventError or
 * ApplyError. `inspector`, when the runtime has an `inspect` option, hears of each applied event.
 */
export function decide(definition: AggregateDefinition, stream: StreamRef, actor: LiveActor, command: Command, inspector?: ActorInspector): DomainEvent[] {
  const handler = Object.hasOwn(definition.commands, command.type) ? definition.commands[command.type] : undefined;
  if (!handler) throw new UnknownCommandError(definition.type, command.type, Object.keys(definition.commands));
  const events = toEvents(stream, command.type, handler(command, actor.getSnapshot()));
  for (const event of events) {
    const before = actor.getSnapshot();
    const outcome = applyEvent(actor, event);
    if (outcome === 'rejected') {
      const { accepted, guard } = refusalOf(before, event);
      throw new IllegalEventError(streamName(stream), event.type, before.value, accepted, guard);
    }
    if (outcome === 'failed') throw new ApplyError(streamName(stream), event.type, failureOf(actor));
    inspector?.applied(event, actor);
  }
  return events;
}

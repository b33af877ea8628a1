// Rehydration: the latest snapshot whose fingerprint matches the machine (never one written by
// another definition), then the events after it through a started actor. An event the machine
// does not accept on replay is schema drift and fails loudly, naming stream, version and type.
import { createActor, type AnyActor } from 'xstate';
import { ReplayError } from '../runtime/errors.js';
import type { EventLog, StoredSnapshot } from '../storage/event-log.js';
import { streamName, type StreamRef } from '../storage/keys.js';
import { applyEvent, failureOf } from './apply-event.js';
import type { AggregateDefinition } from './define-aggregate.js';
import { toDomainEvent, upcast } from './upcast.js';

/** A live actor and the stream version it reflects. */
export interface Rehydrated {
  readonly actor: AnyActor;
  readonly version: number;
  /** Events replayed after the snapshot (or from the start). */
  readonly replayed: number;
}

/** Where replay stops: a version, or the last event at or before a time (ms). */
export interface ReplayTarget {
  readonly toVersion?: number;
  readonly at?: number;
}

// Errors of actions surface through the snapshot status; this observer only keeps XState from
// rethrowing them as unhandled errors.
const IGNORE_ERRORS = { error: () => undefined };

/** Creates and starts an actor of the definition, from a persisted snapshot if given. */
export function startActor(definition: AggregateDefinition, snapshot?: StoredSnapshot): AnyActor {
  const actor = createActor(definition.machine, snapshot ? { snapshot: snapshot.state as never } : undefined);
  actor.subscribe(IGNORE_ERRORS);
  actor.start();
  return actor;
}

function usableSnapshot(definition: AggregateDefinition, log: EventLog, stream: StreamRef, target: ReplayTarget): StoredSnapshot | undefined {
  const snapshot = log.latestSnapshot(stream);
  if (!snapshot || snapshot.fingerprint !== definition.fingerprint) return undefined;
  if (target.toVersion !== undefined && snapshot.version > target.toVersion) return undefined;
  if (target.at !== undefined) {
    const covered = log.eventAt(snapshot.position);
    if (!covered || covered.metadata.timestamp > target.at) return undefined;
  }
  return snapshot;
}

/** Rebuilds a stream's actor from storage, up to `target` (default: the whole stream). */
export function rehydrate(definition: AggregateDefinition, log: EventLog, stream: StreamRef, target: ReplayTarget = {}): Rehydrated {
  const snapshot = usableSnapshot(definition, log, stream, target);
  const actor = startActor(definition, snapshot);
  let version = snapshot?.version ?? 0;
  let replayed = 0;
  for (const stored of log.readStream(stream, { fromVersion: version + 1, toVersion: target.toVersion })) {
    if (target.at !== undefined && stored.metadata.timestamp > target.at) break;
    const event = upcast(definition, stored);
    const outcome = applyEvent(actor, toDomainEvent(event));
    if (outcome !== 'applied') {
      actor.stop();
      const reason =
        outcome === 'rejected'
          ? `no state of the machine accepts it in state ${JSON.stringify(actor.getSnapshot().value)}`
          : `an action threw: ${String((failureOf(actor) as Error)?.message ?? failureOf(actor))}`;
      throw new ReplayError(streamName(stream), stored.version, event.type, reason);
    }
    version = stored.version;
    replayed++;
  }
  return { actor, version, replayed };
}

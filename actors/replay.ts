// Replay, the one loop that rebuilds state from stored events (rehydration, time travel, the
// testing kit, the CLI): each event is upcast, then sent to a started actor; one the machine
// does not accept is schema drift and fails loudly, naming stream, version, type and state.
// Rehydration starts from the latest snapshot whose fingerprint matches the machine (never one
// written by another definition).
import { createActor } from 'xstate';
import type { LogReader, SnapshotStore, StoredEvent, StoredSnapshot, StreamReader } from '../storage/event-log.js';
import { streamName, type StreamRef } from '../storage/keys.js';
import { applyEvent, failureOf } from './apply-event.js';
import { CompiledActor } from './compiled-actor.js';
import type { AggregateDefinition } from './define-aggregate.js';
import { ReplayError } from './errors.js';
import type { LiveActor } from './live-actor.js';
import { INERT_CLOCK, inspectTimers, isTimed } from './timers.js';
import { toDomainEvent, upcast } from './upcast.js';

/** A live actor and the stream version it reflects. */
export interface Rehydrated {
  readonly actor: LiveActor;
  readonly version: number;
  /** Events replayed after the snapshot (or from the start). */
  readonly replayed: number;
}

/** What rehydration reads: the stream, its latest snapshot, and the event a snapshot covers. */
export type ReplaySource = Pick<StreamReader, 'readStream'> & Pick<SnapshotStore, 'latestSnapshot'> & Pick<LogReader, 'eventAt'>;

/** Where replay stops: a version, or the last event at or before a time (ms). */
export interface ReplayTarget {
  readonly toVersion?: number;
  readonly at?: number;
}

/**
 * The RangeError for a replay target past the stream's head (`head` is 0 for a stream without
 * events), or undefined when `toVersion` is within it. The API's `state({ version })` and the
 * CLI's `inspect … state --version` both refuse with it, so both say the same thing.
 */
export function versionPastHead(stream: StreamRef, toVersion: number | undefined, head: number): RangeError | undefined {
  if (toVersion === undefined || toVersion <= head) return undefined;
  return new RangeError(`${streamName(stream)} is at version ${head}, so it has no version ${toVersion}: ask for a version from 0 to ${head}`);
}

// Errors of actions surface through the snapshot status; this observer only keeps XState from
// rethrowing them as unhandled errors.
const IGNORE_ERRORS = { error: () => undefined };

/**
 * Creates and starts an actor of the definition, from an XState persisted snapshot if given: on
 * its compiled machine when it has one, on XState otherwise (both read and write the same snapshots).
 */
export function startActor(definition: AggregateDefinition, persisted?: unknown): LiveActor {
  if (definition.compiled) return new CompiledActor(definition.compiled, persisted).start();
  // Only a machine with `after` needs the inert clock and the inspection (both cost memory per actor).
  const options = isTimed(definition.machine) ? { snapshot: persisted as never, clock: INERT_CLOCK, inspect: inspectTimers }
    : persisted === undefined ? undefined : { snapshot: persisted as never };
  const actor = createActor(definition.machine, options);
  actor.subscribe(IGNORE_ERRORS);
  actor.start();
  return actor;
}

/**
 * Applies stored events in order to a started actor, each upcast first, up to the first one
 * `stopBefore` names; returns the version of the last one applied (or `version` if none) and how
 * many were. Throws ReplayError, with the actor stopped, at an event the machine refuses.
 */
export function replay(
  definition: AggregateDefinition, actor: LiveActor, events: Iterable<StoredEvent>, version = 0,
  stopBefore?: (event: StoredEvent) => boolean,
): { version: number; replayed: number } {
  let replayed = 0;
  for (const stored of events) {
    if (stopBefore?.(stored)) break;
    const event = upcast(definition, stored);
    const state = actor.getSnapshot().value;
    const outcome = applyEvent(actor, toDomainEvent(event));
    if (outcome !== 'applied') {
      const cause = outcome === 'failed' ? failureOf(actor) : undefined;
      actor.stop();
      throw new ReplayError(streamName({ type: stored.aggregateType, id: stored.aggregateId }), stored.version, event.type, state, cause);
    }
    version = stored.version;
    replayed++;
  }
  return { version, replayed };
}

function usableSnapshot(definition: AggregateDefinition, log: ReplaySource, stream: StreamRef, target: ReplayTarget): StoredSnapshot | undefined {
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
export function rehydrate(definition: AggregateDefinition, log: ReplaySource, stream: StreamRef, target: ReplayTarget = {}): Rehydrated {
  const snapshot = usableSnapshot(definition, log, stream, target);
  const actor = startActor(definition, snapshot?.state);
  const from = snapshot?.version ?? 0;
  const at = target.at;
  const events = log.readStream(stream, { fromVersion: from + 1, toVersion: target.toVersion });
  const { version, replayed } = replay(definition, actor, events, from, at === undefined ? undefined : (event) => event.metadata.timestamp > at);
  return { actor, version, replayed };
}

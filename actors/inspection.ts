// XState-shaped inspection of a live aggregate, emitted from rehydra's own apply path (so compiled
// machines, which never run an XState actor, are inspected too): the aggregate appears as an actor
// (`@xstate.actor`) with its start (`xstate.init` and the state it was rehydrated to, as XState
// reports an actor's start), then each applied domain event is an `@xstate.event` followed by the
// `@xstate.snapshot` it produced: the shapes `@statelyai/inspect` reads.
import type { AnyEventObject, AnyStateMachine, InspectedActorEvent, InspectedEventEvent, InspectedSnapshotEvent, Snapshot } from 'xstate';
import type { LiveActor } from './live-actor.js';

/** The actor reference of an inspected aggregate: its `sessionId` is the stream, e.g. `account/a-1`. */
export interface InspectedAggregateRef {
  readonly sessionId: string;
  readonly id: string;
  /** The aggregate's machine, from which inspectors draw the statechart. */
  readonly logic: AnyStateMachine;
  getSnapshot(): Snapshot<unknown>;
  /** Aggregates take commands through `runtime.send`; this reference only describes one. */
  send(event: AnyEventObject): void;
}

/** What the `inspect` option receives: XState's inspection events for aggregates. */
export type RehydraInspectionEvent = InspectedActorEvent | InspectedEventEvent | InspectedSnapshotEvent;

/** Receives inspection events; XState's and `@statelyai/inspect`'s `inspect` functions fit. */
export type Inspect = (event: RehydraInspectionEvent) => void;

/** One aggregate's inspection: called by the apply path for each event applied to its live actor. */
export interface ActorInspector {
  /** `event` was applied to `actor`; emits the event and the snapshot it produced. */
  applied(event: AnyEventObject, actor: LiveActor): void;
}

/** Announces an aggregate's live actor to `inspect` and returns what reports its applied events. */
export function inspectActor(inspect: Inspect, sessionId: string, machine: AnyStateMachine, actor: LiveActor): ActorInspector {
  const actorRef: InspectedAggregateRef = {
    sessionId,
    id: sessionId,
    logic: machine,
    getSnapshot: () => actor.getSnapshot(),
    send: () => {
      throw new TypeError(`${sessionId} is inspected, not driven: send its commands with runtime.send`);
    },
  };
  const inspector: ActorInspector = {
    applied(event, live) {
      inspect({ type: '@xstate.event', rootId: sessionId, actorRef, sourceRef: undefined, event });
      inspect({ type: '@xstate.snapshot', rootId: sessionId, actorRef, event, snapshot: live.getSnapshot() });
    },
  };
  // Each aggregate is its own root: rehydra's aggregates have no parent actor.
  inspect({ type: '@xstate.actor', rootId: sessionId, actorRef });
  // Replay is not reported event by event: the start shows the state it arrived at.
  inspector.applied({ type: 'xstate.init' }, actor);
  return inspector;
}

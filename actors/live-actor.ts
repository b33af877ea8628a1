// What rehydra asks of a live aggregate's actor: XState's Actor has it, and so does the actor of
// a compiled machine. Everything in actors/ and above is written against this, never against
// XState's Actor class, so either can stand behind an aggregate.
import type { AnyMachineSnapshot, EventObject, Snapshot } from 'xstate';

/** A started actor of an aggregate's machine. */
export interface LiveActor {
  getSnapshot(): AnyMachineSnapshot;
  getPersistedSnapshot(): Snapshot<unknown>;
  send(event: EventObject): void;
  stop(): unknown;
}

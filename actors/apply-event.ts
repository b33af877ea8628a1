// Sending an event to a live actor is both the legality check and the apply: one transition
// computation per event (can() then send() would compute it twice). XState keeps the same
// snapshot object when nothing changed, which is the usual sign of a refusal; only then is the
// chart asked whether some transition was enabled after all (a targetless transition without
// actions, or one that only raises an event nobody handles): such an event is handled, and stored.
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import type { DomainEvent } from './types.js';
import type { LiveActor } from './live-actor.js';

/** 'applied', 'rejected' (no enabled transition in the current state) or 'failed' (a guard or action threw). */
export type ApplyOutcome = 'applied' | 'rejected' | 'failed';

/** Applies one domain event to a live actor and says whether the statechart accepted it. */
export function applyEvent(actor: LiveActor, event: DomainEvent): ApplyOutcome {
  const before = actor.getSnapshot();
  actor.send(event);
  const after = actor.getSnapshot();
  if (after === before) return handles(before, event) ? 'applied' : 'rejected';
  return after.status === 'error' ? 'failed' : 'applied';
}

/**
 * Whether `snapshot` has an enabled transition for `event` (XState's getTransitionData: guards
 * evaluated, targetless transitions without actions included). A stopped or done machine handles nothing.
 */
function handles(snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  return snapshot.status === 'active' && (snapshot.machine.getTransitionData(snapshot as never, event as never) as unknown[]).length > 0;
}

/** The error an action threw, from a failed actor's snapshot. */
export function failureOf(actor: LiveActor): unknown {
  return (actor.getSnapshot() as { error?: unknown }).error;
}

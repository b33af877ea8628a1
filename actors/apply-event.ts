// Sending an event to a live XState actor is both the legality check and the apply: one transition
// computation per event (can() then send() would compute it twice). XState returns the same
// snapshot object when no transition with a target or actions is enabled, exactly what can() tests.
import type { LiveActor } from './live-actor.js';
import type { DomainEvent } from './define-aggregate.js';

/** 'applied', 'rejected' (no enabled transition: state unchanged) or 'failed' (an action threw). */
export type ApplyOutcome = 'applied' | 'rejected' | 'failed';

/** Applies one domain event to a live actor and says whether the statechart accepted it. */
export function applyEvent(actor: LiveActor, event: DomainEvent): ApplyOutcome {
  const before = actor.getSnapshot();
  actor.send(event);
  const after = actor.getSnapshot();
  if (after === before) return 'rejected';
  return after.status === 'error' ? 'failed' : 'applied';
}

/** The error an action threw, from a failed actor's snapshot. */
export function failureOf(actor: LiveActor): unknown {
  return (actor.getSnapshot() as { error?: unknown }).error;
}

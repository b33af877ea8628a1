// Why the statechart refused an event, worked out only after a refusal (never on the accepted
// path): the event types the current state has transitions for, and the first guard of the
// event's candidate transitions that returns false. Guards are pure, so evaluating one again
// is safe; this mirrors XState's own guard evaluation (string, object, inline, and/or/not/stateIn).
import { getNextTransitions, type AnyMachineSnapshot, type EventObject } from 'xstate';
import { guardName, passes } from './guards.js';

/** What the refusing state accepts and, when a guard said no, that guard's name. */
export interface Refusal {
  readonly accepted: string[];
  readonly guard: string | undefined;
}

function matches(eventType: string, descriptor: string): boolean {
  return descriptor === eventType || descriptor === '*' || (descriptor.endsWith('.*') && eventType.startsWith(descriptor.slice(0, -1)));
}

/** The domain event types `snapshot` has a transition for (guards aside; XState's own and delayed events left out). */
export function acceptedEvents(snapshot: AnyMachineSnapshot): string[] {
  const accepted = new Set<string>();
  for (const transition of getNextTransitions(snapshot)) {
    const type = String(transition.eventType);
    if (type !== '' && !type.startsWith('xstate.')) accepted.add(type);
  }
  return [...accepted];
}

/** Explains why `snapshot` refused `event` (applying it left the snapshot unchanged). */
export function refusalOf(snapshot: AnyMachineSnapshot, event: EventObject): Refusal {
  const transitions = getNextTransitions(snapshot);
  let guard: string | undefined;
  for (const transition of transitions) {
    if (transition.guard === undefined || !matches(event.type, String(transition.eventType))) continue;
    let passed: boolean;
    try {
      passed = passes(transition.guard, snapshot, event);
    } catch {
      continue; // a guard that throws made the apply fail (ApplyError), not refuse: not this refusal's reason
    }
    if (!passed) {
      guard = guardName(transition.guard);
      break;
    }
  }
  return { accepted: acceptedEvents(snapshot), guard };
}

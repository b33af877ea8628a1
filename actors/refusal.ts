// Why the statechart refused an event, worked out only after a refusal (never on the accepted
// path): the event types the current state has transitions for, and the first guard of the
// event's candidate transitions that returns false. Guards are pure, so evaluating one again
// is safe; this mirrors XState's own guard evaluation (string, object, inline, and/or/not/stateIn).
import { getNextTransitions, type AnyMachineSnapshot, type AnyTransitionDefinition, type EventObject } from 'xstate';

/** What the refusing state accepts and, when a guard said no, that guard's name. */
export interface Refusal {
  readonly accepted: string[];
  readonly guard: string | undefined;
}

interface BuiltinGuard {
  (...args: never[]): unknown;
  check?: (snapshot: AnyMachineSnapshot, args: { context: unknown; event: EventObject }, guard: unknown) => boolean;
  guards?: readonly unknown[];
  stateValue?: unknown;
}

function matches(eventType: string, descriptor: string): boolean {
  return descriptor === eventType || descriptor === '*' || (descriptor.endsWith('.*') && eventType.startsWith(descriptor.slice(0, -1)));
}

function isInert(transition: AnyTransitionDefinition): boolean {
  return transition.target === undefined && transition.actions.length === 0 && !transition.reenter;
}

/** A guard as people wrote it: its name, `and(a, b)`, `stateIn("open")`, or `inline` for an anonymous function. */
export function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const builtin = guard as BuiltinGuard;
    if (builtin.guards) return `${builtin.name}(${builtin.guards.map(guardName).join(', ')})`;
    if (builtin.check && 'stateValue' in builtin) return `${builtin.name}(${JSON.stringify(builtin.stateValue)})`;
    // An arrow in `{ guard: (…) => … }` takes the property's name: that names nothing.
    return builtin.name === '' || builtin.name === 'guard' ? 'inline' : builtin.name;
  }
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') return (guard as { type: string }).type;
  return 'inline';
}

function passes(guard: unknown, snapshot: AnyMachineSnapshot, event: EventObject): boolean {
  const reference = typeof guard === 'object' && guard !== null ? (guard as { type?: unknown; params?: unknown }) : undefined;
  const resolved: unknown =
    typeof guard === 'function' ? guard : snapshot.machine.implementations.guards[typeof guard === 'string' ? guard : String(reference?.type)];
  if (typeof resolved !== 'function') {
    if (resolved === undefined || resolved === guard) throw new Error(`guard ${guardName(guard)} is not implemented`);
    return passes(resolved, snapshot, event);
  }
  const args = { context: snapshot.context, event };
  const builtin = resolved as BuiltinGuard;
  if (builtin.check) return builtin.check(snapshot, args, resolved);
  const params = typeof reference?.params === 'function' ? (reference.params as (a: typeof args) => unknown)(args) : reference?.params;
  return Boolean((resolved as (a: typeof args, p: unknown) => unknown)(args, params));
}

/** The domain event types `snapshot` has a transition for (guards aside; XState's own and delayed events left out). */
export function acceptedEvents(snapshot: AnyMachineSnapshot): string[] {
  const accepted = new Set<string>();
  for (const transition of getNextTransitions(snapshot)) {
    const type = String(transition.eventType);
    if (type !== '' && !type.startsWith('xstate.') && !isInert(transition)) accepted.add(type);
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

// Evaluating a guard as XState does (a name or `{ type, params }` from the machine's
// implementations, an inline function, or a builtin and/or/not/stateIn that checks the snapshot),
// and naming it as people wrote it. Used by refusals (which guard said no) and by compiled
// machines (which evaluate guards themselves, without an XState actor).
import type { AnyMachineSnapshot, EventObject } from 'xstate';

interface BuiltinGuard {
  (...args: never[]): unknown;
  check?: (snapshot: AnyMachineSnapshot, args: { context: unknown; event: EventObject }, guard: unknown) => boolean;
  guards?: readonly unknown[];
  stateValue?: unknown;
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

/** Whether `guard` passes for `event` in `snapshot` (its context and, for builtins, its state). */
export function passes(guard: unknown, snapshot: AnyMachineSnapshot, event: EventObject): boolean {
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

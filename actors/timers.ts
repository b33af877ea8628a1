// Durable `after` timers, the actor's half. XState arms a delayed transition by raising its
// `xstate.after.<delay>.<state>` event with a delay on the system's clock when the state is entered,
// and cancels it on exit. Here the runtime owns time: every actor gets a clock that never fires,
// and while a command (or a firing) is decided, the delayed raises and cancels XState executes are
// recorded through its inspection API. They become the timers that command arms and clears, stored
// in its commit; replay, which must not arm anything, records nothing.
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import type { LiveActor } from './live-actor.js';
import type { NewEvent, PendingTimer, TimerChanges } from '../storage/event-log.js';
import { applyEvent, type ApplyOutcome } from './apply-event.js';

/** What XState did to a timer while an event was applied. */
export type TimerAction = { readonly kind: 'arm'; readonly id: string; readonly delay: number } | { readonly kind: 'cancel'; readonly id: string };

/** The actors' clock: XState's own timeouts never fire (the runtime fires stored timers instead). */
export const INERT_CLOCK = {
  setTimeout: (): number => 0,
  clearTimeout: (): void => undefined,
};

/** The recording under way: decisions run synchronously, so one at a time. */
let recording: TimerAction[] | undefined;

/** Notes a timer action while a recording runs (compiled machines note theirs directly). */
export function noteTimer(action: TimerAction): void {
  recording?.push(action);
}

/** Inspection observer of a timed machine's XState actors: records delayed raises and cancels while a recording runs. */
export function inspectTimers(event: InspectionEvent): void {
  if (recording === undefined || event.type !== '@xstate.action') return;
  const { type, params } = event.action as { type: string; params?: { id?: unknown; delay?: unknown; sendId?: unknown } };
  if (type === 'xstate.raise' && typeof params?.delay === 'number' && typeof params.id === 'string') {
    noteTimer({ kind: 'arm', id: params.id, delay: params.delay });
  } else if (type === 'xstate.cancel' && typeof params?.sendId === 'string') {
    noteTimer({ kind: 'cancel', id: params.sendId });
  }
}

/** Runs `decide`, returning its value and the timer actions XState executed meanwhile. */
export function recordTimers<T>(decide: () => T): { value: T; actions: TimerAction[] } {
  const outer = recording;
  const actions: TimerAction[] = [];
  recording = actions;
  try {
    return { value: decide(), actions };
  } finally {
    recording = outer;
  }
}

const timed = new WeakMap<AnyStateMachine, boolean>();

/** Whether any state of the machine has a delayed transition (`after`): only those actors are inspected. */
export function isTimed(machine: AnyStateMachine): boolean {
  let known = timed.get(machine);
  if (known === undefined) {
    const visit = (node: StateNodeShape): boolean => node.after.length > 0 || Object.values(node.states).some(visit);
    known = visit(machine.root as unknown as StateNodeShape);
    timed.set(machine, known);
  }
  return known;
}

interface StateNodeShape {
  readonly after: readonly unknown[];
  readonly states: Record<string, StateNodeShape>;
}

/**
 * A stream's pending timers after `actions` (recorded at `now`), starting from `pending`, with
 * `fired` consumed first; and the changes that take the stored timers there (undefined: none).
 */
export function applyTimerActions(
  pending: ReadonlyMap<string, number>, actions: readonly TimerAction[], now: number, fired?: string,
): { next: Map<string, number>; changes: TimerChanges | undefined } {
  const next = new Map(pending);
  if (fired !== undefined) next.delete(fired);
  for (const action of actions) {
    if (action.kind === 'cancel') next.delete(action.id);
    else next.set(action.id, now + action.delay);
  }
  const set: Array<PendingTimer & { previous?: number }> = [];
  const clear: PendingTimer[] = [];
  for (const [id, dueAt] of next) {
    const previous = pending.get(id);
    if (previous === undefined) set.push({ id, dueAt });
    else if (previous !== dueAt) set.push({ id, dueAt, previous });
  }
  for (const [id, dueAt] of pending) if (!next.has(id)) clear.push({ id, dueAt });
  return { next, changes: set.length + clear.length === 0 ? undefined : { set, clear } };
}

/** What firing a pending timer did: the event to store (none unless the state took it) and the timers after it. */
export interface Firing {
  readonly outcome: ApplyOutcome;
  readonly events: NewEvent[];
  readonly next: Map<string, number>;
  readonly changes: TimerChanges | undefined;
}

/**
 * Fires the pending timer `id` at `now` on a live actor: its delayed event (type = the timer id)
 * is applied, and the timers its transition armed or cancelled are applied to `pending`. Refused
 * (a guard said no) or failed, the timer is spent all the same, as in XState, and nothing is stored.
 * The runtime's actor and the testing kit both fire through here, so they cannot disagree.
 */
export function fireTimer(actor: LiveActor, pending: ReadonlyMap<string, number>, id: string, now: number): Firing {
  const { value: outcome, actions } = recordTimers(() => applyEvent(actor, { type: id }));
  const { next, changes } = applyTimerActions(pending, outcome === 'applied' ? actions : [], now, id);
  const events = outcome === 'applied' ? [{ type: id, data: {}, metadata: { timestamp: now, timer: true } }] : [];
  return { outcome, events, next, changes };
}

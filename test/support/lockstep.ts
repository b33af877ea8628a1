// Runs one machine on two actors side by side (XState's, the reference, and a candidate) and
// asserts that after every event a user could tell no difference: value, context, status, error,
// can() for every event type, tags, matches, the persisted snapshot, and whether the snapshot
// object stayed the same (rehydra reads "same object" as "event refused"); and, for machines with
// `after`, the timers each step arms and cancels (what the runtime stores). A `FIRE` event stands
// for firing one of the pending timers (its `v` picks which), as the runtime fires a stored one.
import { expect } from 'vitest';
import { createActor, type AnyStateMachine, type EventObject } from 'xstate';
import { CompiledActor } from '../../actors/compiled-actor.js';
import type { CompiledMachine } from '../../actors/compiled-machine.js';
import { INERT_CLOCK, inspectTimers, isTimed, recordTimers, type TimerAction } from '../../actors/timers.js';

/** The event type that fires a pending timer instead (its `v`, modulo the pending ones, picks which). */
export const FIRE = 'FIRE';

/** The parts of an actor rehydra uses, which both sides provide. */
export interface Side {
  send(event: EventObject): void;
  getSnapshot(): SnapshotView;
  getPersistedSnapshot(): unknown;
}

/** The parts of a snapshot rehydra's handlers and runtime read. */
export interface SnapshotView {
  readonly status: string;
  readonly value: unknown;
  readonly context: unknown;
  readonly output: unknown;
  readonly error: unknown;
  matches(value: never): boolean;
  hasTag(tag: never): boolean;
  can(event: never): boolean;
}

/** Starts an actor of `machine`, from an XState persisted snapshot if given. */
export type StartSide = (machine: AnyStateMachine, persisted?: unknown) => Side;

// Errors surface through the snapshot's status; this observer keeps XState from rethrowing them.
const IGNORE_ERRORS = { error: () => undefined };

/** XState's own actor, started the way rehydra starts one (a timed machine on the inert clock, inspected for its timers). */
export const xstateSide: StartSide = (machine, persisted) => {
  const timed = isTimed(machine) ? { clock: INERT_CLOCK, inspect: inspectTimers } : {};
  const actor = createActor(machine, { ...timed, ...(persisted === undefined ? {} : { snapshot: persisted as never }) });
  actor.subscribe(IGNORE_ERRORS);
  return actor.start() as unknown as Side;
};

/** The compiled actor of `compiled` (the machine it is handed is the one compiled). */
export const compiledSide = (compiled: CompiledMachine): StartSide => (_machine, persisted) =>
  new CompiledActor(compiled, persisted).start() as unknown as Side;

/** What a user can ask of a snapshot, and of the machine at it. */
export interface Probes {
  /** Every event type `can` is asked about (the machine's alphabet and one it does not know). */
  readonly events: readonly EventObject[];
  readonly tags: readonly string[];
  /** State values `matches` is asked about. */
  readonly values: readonly string[];
}

const outcome = (probe: () => boolean): boolean | string => {
  try {
    return probe();
  } catch (error) {
    return `throws ${describeError(error)}`;
  }
};

const describeError = (error: unknown): unknown => (error instanceof Error ? `${error.name}: ${error.message}` : error);

/** Everything observable about a side, as plain data `toEqual` can compare. */
export function observe(side: Side, probes: Probes): Record<string, unknown> {
  const snapshot = side.getSnapshot();
  return {
    status: snapshot.status,
    value: snapshot.value,
    context: snapshot.context,
    output: snapshot.output,
    error: describeError(snapshot.error),
    can: Object.fromEntries(probes.events.map((event) => [event.type, outcome(() => snapshot.can(event as never))])),
    tags: probes.tags.filter((tag) => snapshot.hasTag(tag as never)),
    matches: probes.values.filter((value) => snapshot.matches(value as never)),
    persisted: persistedView(side.getPersistedSnapshot()),
  };
}

// An errored snapshot holds the Error itself; each side threw its own instance of it.
const persistedView = (persisted: unknown): unknown => {
  const { error, ...rest } = persisted as { error?: unknown };
  return { ...rest, error: describeError(error) };
};

/**
 * Sends `events` to both sides in lockstep, comparing them after the start and after every event;
 * at `cut` both restart from the reference's persisted snapshot and carry on. It stops one event
 * after the reference is done or failed (that one must be ignored). Returns the final status.
 */
export function lockstep(
  machine: AnyStateMachine, events: readonly EventObject[], cut: number, probes: Probes,
  reference: StartSide, candidate: StartSide,
): string {
  // The timers pending as the reference armed and cancelled them (ids in arming order).
  const pending = new Set<string>();
  const follow = (actions: readonly TimerAction[]): void => {
    for (const action of actions) {
      if (action.kind === 'arm') pending.delete(action.id), pending.add(action.id);
      else pending.delete(action.id);
    }
  };
  const started = recordTimers(() => reference(machine));
  const startedToo = recordTimers(() => candidate(machine));
  let expected = started.value;
  let actual = startedToo.value;
  expect(startedToo.actions, 'timers armed at the start').toStrictEqual(started.actions);
  follow(started.actions);
  expect(observe(actual, probes), 'at the start').toStrictEqual(observe(expected, probes));
  for (const [i, sent] of events.entries()) {
    if (i === cut) {
      const persisted = expected.getPersistedSnapshot();
      expected = reference(machine, structuredClone(persisted));
      actual = candidate(machine, structuredClone(persisted));
      expect(observe(actual, probes), `restored before event #${i}`).toStrictEqual(observe(expected, probes));
    }
    let event = sent;
    if (sent.type === FIRE) {
      const ids = [...pending];
      if (ids.length === 0) continue;
      event = { type: ids[Number((sent as { v?: number }).v ?? 0) % ids.length]! };
      // Fired, the timer is spent whatever the state does with it (as the runtime's fireTimer).
      pending.delete(event.type);
    }
    const [expectedBefore, actualBefore] = [expected.getSnapshot(), actual.getSnapshot()];
    const armed = recordTimers(() => expected.send(event)).actions;
    const armedToo = recordTimers(() => actual.send(event)).actions;
    const step = `after event #${i} ${JSON.stringify(event)}`;
    expect(armedToo, `${step}: timers armed and cancelled`).toStrictEqual(armed);
    follow(armed);
    expect(actual.getSnapshot() === actualBefore, `${step}: snapshot unchanged (event refused)`).toBe(expected.getSnapshot() === expectedBefore);
    expect(observe(actual, probes), step).toStrictEqual(observe(expected, probes));
    // One event after the end showed it is ignored; XState warns about every further one.
    if (expectedBefore.status !== 'active') break;
  }
  return expected.getSnapshot().status;
}

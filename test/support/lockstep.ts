// Runs one machine on two actors side by side (XState's, the reference, and a candidate) and
// asserts that after every event a user could tell no difference: value, context, status, error,
// can() for every event type, tags, matches, the persisted snapshot, and whether the snapshot
// object stayed the same (rehydra reads "same object" as "event refused").
import { expect } from 'vitest';
import { createActor, type AnyStateMachine, type EventObject } from 'xstate';
import { CompiledActor } from '../../actors/compiled-actor.js';
import type { CompiledMachine } from '../../actors/compiled-machine.js';

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

/** XState's own actor, started the way rehydra starts one. */
export const xstateSide: StartSide = (machine, persisted) => {
  const actor = createActor(machine, persisted === undefined ? undefined : { snapshot: persisted as never });
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
  let expected = reference(machine);
  let actual = candidate(machine);
  expect(observe(actual, probes), 'at the start').toStrictEqual(observe(expected, probes));
  for (const [i, event] of events.entries()) {
    if (i === cut) {
      const persisted = expected.getPersistedSnapshot();
      expected = reference(machine, structuredClone(persisted));
      actual = candidate(machine, structuredClone(persisted));
      expect(observe(actual, probes), `restored before event #${i}`).toStrictEqual(observe(expected, probes));
    }
    const [expectedBefore, actualBefore] = [expected.getSnapshot(), actual.getSnapshot()];
    expected.send(event);
    actual.send(event);
    const step = `after event #${i} ${JSON.stringify(event)}`;
    expect(actual.getSnapshot() === actualBefore, `${step}: snapshot unchanged (event refused)`).toBe(expected.getSnapshot() === expectedBefore);
    expect(observe(actual, probes), step).toStrictEqual(observe(expected, probes));
    // One event after the end showed it is ignored; XState warns about every further one.
    if (expectedBefore.status !== 'active') break;
  }
  return expected.getSnapshot().status;
}

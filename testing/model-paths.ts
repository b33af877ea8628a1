// Model-based tests from the chart: xstate/graph walks an aggregate's reachable states, where a
// step is a command (mapped by the user from each domain event the chart accepts) or time skipped
// to the next pending deadline, and every transition it finds becomes a path from a new stream.
// States are told apart by state value and pending timers (in firing order), not by context, so
// the walk ends for machines whose context grows without bound (a balance), and every transition
// of the chart is still taken once. Each path's expected outcomes come from the in-memory aggregate
// (memory-aggregate.ts); `run()` (model-path-check.ts) plays it on the real runtime.
import { getAdjacencyMap, type AdjacencyValue } from 'xstate/graph';
import type { ActorLogic } from 'xstate';
import type { AggregateDefinition, Command, CommandOf, EventOf } from '../actors/define-aggregate.js';
import { checkModelPath, type ModelStep } from './model-path-check.js';
import { MemoryAggregate } from './memory-aggregate.js';

/** For each domain event type of the machine, the command (or commands) that produce it. */
export type EventCommands<TDefinition extends AggregateDefinition> = {
  readonly [TType in EventOf<TDefinition>['type']]?: CommandOf<TDefinition> | readonly CommandOf<TDefinition>[];
};

/** Options of `modelPaths`. */
export interface ModelPathsOptions<TDefinition extends AggregateDefinition> {
  /**
   * Wherever the chart accepts a domain event, the walk sends each command mapped to that event's
   * type; each must be accepted and store that event. An event the chart accepts somewhere but
   * that maps to no command is an error: the walk would leave its transitions untested.
   */
  readonly commands: EventCommands<TDefinition>;
}

/** One generated case: steps from a new stream, with what each must store and lead to. */
export interface ModelPath {
  /** The steps in words, e.g. `place {"total":30} → placed; after 600000 ms → placed; pay → paid`: a test name. */
  readonly description: string;
  /** What each step does and must lead to, in order. */
  readonly steps: readonly ModelStep[];
  /**
   * Plays the path on a fresh test runtime with a manual clock, twice: with snapshots off (each
   * restart replays the whole stream) and with a snapshot after every event (each restart starts
   * from it). After every step it checks the stored events, the state, the pending timers and a
   * fresh full replay of the stream against the model; then restarts the runtime and checks again.
   * A time step first advances to one ms before its deadline (nothing may fire), then onto it.
   * Rejects with an AssertionError naming the path, the mode and the step.
   */
  run(): Promise<void>;
}

/** What the walk holds at each state: the aggregate there, and the steps that led to it. */
interface Vertex {
  readonly status: 'active';
  readonly output: undefined;
  readonly error: undefined;
  readonly aggregate: MemoryAggregate;
  readonly steps: readonly ModelStep[];
}

/** An edge of the walk: a mapped command (labelled by the event it must store), or time to the next deadline. */
type Move = { readonly type: string; readonly command: Command } | { readonly type: string; readonly after: number };

/** `options.commands` as the walk reads it. */
type MappedCommands = Readonly<Record<string, Command | readonly Command[] | undefined>>;

const MODEL_ID = 'model';

export type { ModelStep };

function describeState(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function describeStep(step: ModelStep): string {
  if (step.kind === 'after') return `after ${step.ms} ms → ${describeState(step.state.value)}`;
  const { type, ...fields } = step.command;
  const data = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${type}${data} → ${describeState(step.state.value)}`;
}

/** The walk's key of a state: its value and its pending timers in firing order. */
function keyOf(vertex: Vertex): string {
  return JSON.stringify([vertex.aggregate.state().value, vertex.aggregate.pending().map((timer) => timer.id)]);
}

/** The moves from a state: each command mapped to an event the chart accepts there, and time to the next deadline. */
function movesFrom(name: string, commands: MappedCommands, { aggregate }: Vertex): Move[] {
  const moves: Move[] = [];
  for (const type of aggregate.accepts()) {
    const mapped = commands[type];
    if (mapped === undefined) {
      throw new TypeError(`${name}: in state ${describeState(aggregate.state().value)} the chart accepts ${type}, but options.commands maps no command to it`);
    }
    for (const command of Array.isArray(mapped) ? mapped : [mapped]) moves.push({ type, command });
  }
  const [next] = aggregate.pending();
  if (next) moves.push({ type: next.id, after: next.dueAt - aggregate.now });
  return moves;
}

/** Takes `move` from a copy of `from`'s aggregate: the vertex reached, with the step that reached it. */
function take(name: string, from: Vertex, move: Move): Vertex {
  const aggregate = from.aggregate.fork();
  const before = aggregate.version;
  const state = describeState(aggregate.state().value);
  let kind: { readonly kind: 'command'; readonly command: Command } | { readonly kind: 'after'; readonly ms: number };
  try {
    if ('after' in move) {
      kind = { kind: 'after', ms: move.after };
      aggregate.advance(move.after);
    } else {
      kind = { kind: 'command', command: move.command };
      const events = aggregate.send(move.command);
      if (!events.some((event) => event.type === move.type)) {
        throw new Error(`it stored ${JSON.stringify(events.map((event) => event.type))}, not ${move.type}`);
      }
    }
  } catch (error) {
    const what = 'after' in move ? `the timer ${move.type}` : `the command ${JSON.stringify(move.command)} (mapped to ${move.type})`;
    throw new Error(`${name}: in state ${state}, ${what} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const step: ModelStep = {
    ...kind,
    events: aggregate.history.slice(before).map(({ type, data }) => ({ type, ...data })),
    at: aggregate.now,
    state: aggregate.state(),
    timers: aggregate.pending().map((timer) => timer.dueAt),
  };
  return { ...from, aggregate, steps: [...from.steps, step] };
}

/**
 * Generates model-based test cases from an aggregate's chart: one path for every transition the
 * chart can take from a new stream (commands the user maps from its events, and timers firing in
 * deadline order), paths that are prefixes of others left out. Each path knows what every step must
 * store and lead to; `path.run()` checks that on the real runtime across restarts and snapshots.
 * Throws when the chart accepts an event no command is mapped to, or a mapped command is refused.
 * @example
 * for (const path of modelPaths(order, { commands: { OrderPlaced: { type: 'place', total: 30 }, OrderPaid: { type: 'pay' }, OrderCancelled: { type: 'cancel' } } })) {
 *   it(path.description, () => path.run());
 * }
 */
export function modelPaths<TDefinition extends AggregateDefinition>(definition: TDefinition, options: ModelPathsOptions<TDefinition>): ModelPath[] {
  if (typeof options !== 'object' || options === null || typeof options.commands !== 'object' || options.commands === null) {
    throw new TypeError(`modelPaths(${definition?.type}) needs options.commands: for each event type, the command(s) that produce it`);
  }
  const commands = options.commands as MappedCommands;
  const name = `modelPaths(${definition.type})`;
  const start: Vertex = { status: 'active', output: undefined, error: undefined, aggregate: MemoryAggregate.start(definition, MODEL_ID), steps: [] };
  const logic: ActorLogic<Vertex, Move> = {
    transition: (vertex, move) => take(name, vertex, move),
    getInitialSnapshot: () => start,
    getPersistedSnapshot: (vertex) => vertex,
  };
  // Keyed by branded strings, which Object.values cannot see through.
  const graph = getAdjacencyMap(logic, { events: (vertex) => movesFrom(name, commands, vertex), serializeState: keyOf }) as Record<string, AdjacencyValue<Vertex, Move>>;
  // Every transition found ends a path: the steps that reached its source, then its own.
  const ends = Object.values(graph).flatMap(({ transitions }) => Object.values(transitions as Record<string, { state: Vertex }>).map(({ state }) => state.steps));
  const kept = ends.filter((steps) => !ends.some((other) => other.length > steps.length && steps.every((step, i) => other[i] === step)));
  return kept.map((steps) => {
    const description = steps.map(describeStep).join('; ');
    return { description, steps, run: () => checkModelPath(definition, MODEL_ID, description, steps) };
  });
}

// An aggregate is a pure declaration: a deterministic XState machine whose events are domain
// events, plus command handlers that decide which events a command produces. Everything that
// makes a definition unusable (bad names, non-replayable machines) is refused here, up front.
import type { AnyStateMachine, SnapshotFrom } from 'xstate';
import type { StoredEvent } from '../storage/event-log.js';
import { assertDeterministic } from './determinism-guard.js';
import { machineFingerprint } from './fingerprint.js';

/** A domain event: past tense `type` plus its data. */
export interface DomainEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A command: imperative `type` plus its arguments. */
export interface Command {
  readonly type: string;
  readonly [key: string]: unknown;
}

/**
 * Decides the events of a command from the current XState snapshot; throw to reject. The return
 * type is loose on purpose (literal types widen in annotated handlers); the statechart checks it.
 */
export type CommandHandler<TMachine extends AnyStateMachine> = (
  // `never` lets each handler annotate its own command shape (parameters are contravariant).
  command: never,
  state: SnapshotFrom<TMachine>,
) => DomainEvent | readonly DomainEvent[] | void | undefined;

/** Rewrites a stored event of an old shape into the shape the current machine accepts. */
export type Upcaster = (event: StoredEvent) => Pick<StoredEvent, 'type' | 'data'> & Partial<StoredEvent>;

/** What `defineAggregate` takes. */
export interface AggregateConfig<TMachine extends AnyStateMachine, TCommands extends Record<string, CommandHandler<TMachine>>> {
  /** The aggregate type, e.g. 'account'; part of every stream name. */
  readonly type: string;
  /** A deterministic machine whose events are the aggregate's domain events. */
  readonly machine: TMachine;
  /** Command handlers by command type. */
  readonly commands: TCommands;
  /** Write a snapshot every this many events; 0 never. @default 100 */
  readonly snapshotEvery?: number;
  /** Bump by hand to invalidate stored snapshots when the fingerprint cannot see a change. @default 0 */
  readonly snapshotVersion?: number;
  /** Upcasters by stored event type, applied on every read. */
  readonly upcasters?: Readonly<Record<string, Upcaster>>;
}

/** A validated aggregate definition, ready for `createRuntime({ aggregates })`. */
export interface AggregateDefinition<TMachine extends AnyStateMachine = AnyStateMachine> {
  readonly type: string;
  readonly machine: TMachine;
  readonly commands: Readonly<Record<string, (command: Command, state: SnapshotFrom<TMachine>) => unknown>>;
  readonly snapshotEvery: number;
  readonly fingerprint: string;
  readonly upcasters: Readonly<Record<string, Upcaster>>;
}

const TYPE_PATTERN = /^[A-Za-z][\w.-]{0,127}$/;

/**
 * Declares an aggregate: an XState machine of domain events plus command handlers.
 * @example
 * export const account = defineAggregate({ type: 'account', machine, commands: { deposit: (cmd: { amount: number }) => ({ type: 'MoneyDeposited', amount: cmd.amount }) } });
 */
export function defineAggregate<TMachine extends AnyStateMachine, TCommands extends Record<string, CommandHandler<TMachine>>>(
  config: AggregateConfig<TMachine, TCommands>,
): AggregateDefinition<TMachine> {
  if (typeof config !== 'object' || config === null) throw new TypeError('defineAggregate needs an options object');
  const { type, machine, commands, snapshotEvery = 100, snapshotVersion = 0, upcasters = {} } = config;
  if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
    throw new TypeError(`options.type must be a name of letters, digits, '_', '.' or '-' starting with a letter (got ${JSON.stringify(type)})`);
  }
  if (typeof machine !== 'object' || machine === null || typeof (machine as { transition?: unknown }).transition !== 'function') {
    throw new TypeError(`options.machine of aggregate "${type}" must be an XState machine (createMachine or setup().createMachine)`);
  }
  if (typeof commands !== 'object' || commands === null || Object.keys(commands).length === 0) {
    throw new TypeError(`options.commands of aggregate "${type}" must map at least one command type to a handler`);
  }
  for (const [name, handler] of Object.entries(commands)) {
    if (typeof handler !== 'function') throw new TypeError(`options.commands.${name} of aggregate "${type}" must be a function`);
  }
  if (!Number.isSafeInteger(snapshotEvery) || snapshotEvery < 0) {
    throw new RangeError(`options.snapshotEvery of aggregate "${type}" must be a non-negative integer (got ${snapshotEvery})`);
  }
  if (!Number.isSafeInteger(snapshotVersion)) {
    throw new RangeError(`options.snapshotVersion of aggregate "${type}" must be an integer (got ${snapshotVersion})`);
  }
  for (const [name, upcaster] of Object.entries(upcasters)) {
    if (typeof upcaster !== 'function') throw new TypeError(`options.upcasters.${name} of aggregate "${type}" must be a function`);
  }
  assertDeterministic(type, machine);
  return Object.freeze({
    type,
    machine,
    commands: Object.freeze({ ...commands }) as unknown as AggregateDefinition<TMachine>['commands'],
    snapshotEvery,
    fingerprint: machineFingerprint(machine, snapshotVersion),
    upcasters: Object.freeze({ ...upcasters }),
  });
}

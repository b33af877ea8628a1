// An aggregate is a pure declaration: a deterministic XState machine whose events are domain
// events, plus command handlers that decide which events a command produces. Everything that
// makes a definition unusable (bad names, non-replayable machines) is refused here, up front.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';
import type { StoredEvent } from '../storage/event-log.js';
import { compileMachine, type CompiledMachine } from './compiled-machine.js';
import { assertDeterministic } from './determinism-guard.js';
import { machineFingerprint } from './fingerprint.js';
import type { CheckedHandlers, CommandHandler, CommandUnion } from './inference.js';
import type { Command } from './types.js';
import { checkSchemas } from './command-schema.js';

export type { CommandHandler } from './inference.js';
export type { Command, DomainEvent } from './types.js';

/** Rewrites a stored event of an old shape into the shape the current machine accepts. */
export type Upcaster = (event: StoredEvent) => Pick<StoredEvent, 'type' | 'data'> & Partial<StoredEvent>;

/** What `defineAggregate` takes; the type parameters are inferred from the object given. */
export interface AggregateConfig<
  TMachine extends AnyStateMachine,
  TEventType extends string,
  TCommands extends Record<string, CommandHandler<TMachine, TEventType>>,
  TSchemas extends Readonly<Record<string, StandardSchemaV1>>,
> {
  /** The aggregate type, e.g. 'account'; part of every stream name. */
  readonly type: string;
  /** A deterministic machine whose events are the aggregate's domain events. */
  readonly machine: TMachine;
  /**
   * Command handlers by command type: `(command, state) => event | events | undefined`; throw to
   * reject. Each returned event must be one of the machine's events (checked at compile time).
   */
  readonly commands: TCommands & CheckedHandlers<TMachine, TCommands, TSchemas>;
  /**
   * Per command, a Standard Schema v1 validator (zod, valibot, arktype) of its fields (all but
   * `type`); it must validate synchronously. Its output is what the handler receives.
   */
  readonly schemas?: TSchemas & { readonly [K in Exclude<keyof TSchemas, keyof NoInfer<TCommands>>]: never };
  /** Write a snapshot every this many events; 0 never. @default 100 */
  readonly snapshotEvery?: number;
  /** Bump by hand to invalidate stored snapshots when the fingerprint cannot see a change. @default 0 */
  readonly snapshotVersion?: number;
  /** Upcasters by stored event type, applied on every read. */
  readonly upcasters?: Readonly<Record<string, Upcaster>>;
  /**
   * Run the machine as compiled transitions (the same steps as XState, far cheaper) when its shape
   * allows; `false` keeps it on an XState actor. A machine that cannot be compiled (delays,
   * always, invoke, history, custom actions, …) runs on XState either way. @default true
   */
  readonly compile?: boolean;
}

/** A validated aggregate definition, ready for `createRuntime({ aggregates })`. */
export interface AggregateDefinition<TMachine extends AnyStateMachine = AnyStateMachine, TCommand extends { readonly type: string } = Command> {
  readonly type: string;
  readonly machine: TMachine;
  readonly commands: Readonly<Record<string, (command: Command, state: SnapshotFrom<TMachine>) => unknown>>;
  /** The command schemas by command type (a null-prototype object). */
  readonly schemas: Readonly<Record<string, StandardSchemaV1>>;
  readonly snapshotEvery: number;
  readonly fingerprint: string;
  readonly upcasters: Readonly<Record<string, Upcaster>>;
  /** The compiled machine, or undefined when the aggregate runs on XState (see `compilation`). */
  readonly compiled: CompiledMachine | undefined;
  /** Whether the machine runs compiled, or why not ('compile: false', or what the compiler could not reproduce). */
  readonly compilation: { readonly compiled: true } | { readonly compiled: false; readonly reason: string };
  /** Type-only, never set: the command union inferred from the handlers (see `CommandOf`). */
  readonly '~command'?: TCommand;
}

/** The domain events of an aggregate definition, e.g. `StoredEvent<EventOf<typeof account>>`. */
export type EventOf<TDefinition extends AggregateDefinition> = EventFromLogic<TDefinition['machine']>;

/** The commands of an aggregate definition, e.g. `{ type: 'deposit'; amount: number } | …`. */
export type CommandOf<TDefinition extends AggregateDefinition> = NonNullable<TDefinition['~command']>;

const TYPE_PATTERN = /^[A-Za-z][\w.-]{0,127}$/;

/**
 * Declares an aggregate: an XState machine of domain events plus command handlers, and optional
 * command schemas. The command union and the handlers' events are inferred and checked from it.
 * @example
 * export const account = defineAggregate({ type: 'account', machine, commands: { deposit: (cmd: { amount: number }) => ({ type: 'MoneyDeposited', amount: cmd.amount }) } });
 */
export function defineAggregate<
  TMachine extends AnyStateMachine,
  TEventType extends string,
  TCommands extends Record<string, CommandHandler<TMachine, TEventType>>,
  // No defaults here: a type parameter with a default makes TypeScript widen the handlers'
  // literal event types while it infers them, and then no handler would type-check.
  TSchemas extends Readonly<Record<string, StandardSchemaV1>>,
>(config: AggregateConfig<TMachine, TEventType, TCommands, TSchemas>): AggregateDefinition<TMachine, CommandUnion<TCommands, TSchemas>> {
  if (typeof config !== 'object' || config === null) throw new TypeError('defineAggregate needs an options object');
  const { type, machine, commands, schemas = {}, snapshotEvery = 100, snapshotVersion = 0, upcasters = {}, compile = true } = config;
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
  if (typeof compile !== 'boolean') throw new TypeError(`options.compile of aggregate "${type}" must be a boolean (got ${String(compile)})`);
  assertDeterministic(type, machine);
  const compilation = compile ? compileMachine(machine) : { declined: 'compile: false' };
  return Object.freeze({
    type,
    machine,
    commands: Object.freeze({ ...commands }) as unknown as AggregateDefinition<TMachine>['commands'],
    schemas: checkSchemas(type, Object.keys(commands), schemas),
    snapshotEvery,
    fingerprint: machineFingerprint(machine, snapshotVersion),
    upcasters: Object.freeze({ ...upcasters }),
    compiled: 'compiled' in compilation ? compilation.compiled : undefined,
    compilation: Object.freeze('compiled' in compilation ? { compiled: true as const } : { compiled: false as const, reason: compilation.declined }),
  });
}

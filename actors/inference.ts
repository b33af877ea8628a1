// Type-level only: what `defineAggregate` infers from a definition. The command union comes from
// the handlers (key = `type`, first parameter or schema input = fields) and every handler's events
// are checked against the machine's event union, so a typo is a compile error at the definition.
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';

/** Flattens an intersection into one object type (readable hovers; interfaces gain an index signature). */
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/**
 * The named fields of `T` but `type`: index signatures dropped, so that a schema of no fields
 * (`z.object({})`, input `Record<string, never>`) means a command of no fields.
 */
type Fields<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K extends 'type' ? never : K]: T[K] };

/** What a handler returns: an event, an array of events, or nothing. */
type Output<E> = E | readonly E[] | void | undefined;

/** The events a handler of `TMachine` may return: the machine's own event union. */
export type HandlerOutput<TMachine extends AnyStateMachine> = Output<EventFromLogic<TMachine>>;

/**
 * A command handler of `TMachine`. `TEventType` only keeps the literal `type` of the events a
 * handler returns from widening to `string` while TypeScript infers it; `CheckedHandlers` then
 * holds each handler to the machine's event union.
 */
export type CommandHandler<TMachine extends AnyStateMachine, TEventType extends string = string> = (
  // `never` lets each handler annotate its own command shape (parameters are contravariant).
  command: never,
  state: SnapshotFrom<TMachine>,
) => Output<{ readonly type: TEventType; readonly [key: string]: unknown }> | HandlerOutput<TMachine>;

/** The fields a handler reads from its command (its first parameter without `type`); `{}` for none. */
export type CommandFields<THandler> = THandler extends (command: infer P, ...rest: never[]) => unknown
  ? unknown extends P
    ? {}
    : Fields<P>
  : {};

/** The output type of the schema of command `K`, or `undefined` when it has none. */
type SchemaOutput<TSchemas, K> = string extends keyof TSchemas
  ? undefined // no schemas given: TSchemas is its constraint, a record
  : K extends keyof TSchemas
    ? TSchemas[K] extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<TSchemas[K]> : undefined
    : undefined;

/** True when a handler's events are the machine's and its schema (if any) outputs the fields it reads. */
type HandlerFits<TMachine extends AnyStateMachine, THandler, TOutput> = THandler extends (...args: never[]) => infer R
  ? [R] extends [HandlerOutput<TMachine>]
    ? [TOutput] extends [undefined] ? true : [TOutput] extends [CommandFields<THandler>] ? true : false
    : false
  : true;

/**
 * `unknown` (no constraint) for a handler that fits; otherwise the handler type it should have
 * (reading what its schema outputs, returning the machine's events), so the compile error lands
 * on that handler. Schemas are checked here, not on `schemas`: naming the handlers' type there
 * would make TypeScript fix it before the handlers that read `state` are typed.
 */
export type CheckedHandlers<TMachine extends AnyStateMachine, TCommands, TSchemas> = {
  [K in keyof TCommands]: HandlerFits<TMachine, TCommands[K], SchemaOutput<TSchemas, K>> extends true
    ? unknown
    : (command: [SchemaOutput<TSchemas, K>] extends [undefined] ? never : SchemaOutput<TSchemas, K>, state: SnapshotFrom<TMachine>) => HandlerOutput<TMachine>;
};

/** The fields a caller sends: the schema's input where there is a schema, else the handler's fields. */
type SentFields<TCommands, TSchemas, K extends keyof TCommands> = string extends keyof TSchemas
  ? CommandFields<TCommands[K]>
  : K extends keyof TSchemas
  ? TSchemas[K] extends StandardSchemaV1
    ? Fields<StandardSchemaV1.InferInput<TSchemas[K]>>
    : CommandFields<TCommands[K]>
  : CommandFields<TCommands[K]>;

/** The command union of a definition: `{ type: 'deposit', amount: number } | …`. */
export type CommandUnion<TCommands, TSchemas> = {
  [K in keyof TCommands & string]: Simplify<{ readonly type: K } & SentFields<TCommands, TSchemas, K>>;
}[keyof TCommands & string];

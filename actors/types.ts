// The shapes a live aggregate takes and returns: commands and domain events, the options of a
// command, its result, and the state a query answers with. The public entry re-exports them by name.
import type { StoredEvent } from '../storage/event-log.js';

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

/** Options of `send`. */
export interface SendOptions {
  /** Reject with ConcurrencyError unless the aggregate is at this version. */
  readonly expectedVersion?: number;
  /** A repeated commandId (per aggregate) returns the first result without running the handler. */
  readonly commandId?: string;
  /** Stored on every event; defaults to the commandId. */
  readonly correlationId?: string;
  /** Stored on every event; defaults to the commandId. */
  readonly causationId?: string;
  /** Caller metadata stored on every event of the command (e.g. userId). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The result of `send`: the aggregate's version, the position of its last event, and its events. */
export interface SendResult<E extends { readonly type: string } = { readonly type: string }> {
  /** The stream's version after the command. */
  readonly version: number;
  /** Position of the command's last event, or the log's head when it produced none. */
  readonly position: number;
  readonly events: readonly StoredEvent<E>[];
}

/** The state of an aggregate as `state()` returns it; typed by the machine through `runtime.aggregate()`. */
export interface AggregateState<TContext = unknown, TValue = unknown> {
  /** The statechart's state value, e.g. 'open'. */
  readonly value: TValue;
  readonly context: TContext;
  /** The stream version this state reflects; 0 for a stream with no events. */
  readonly version: number;
}

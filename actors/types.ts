// The shapes a live aggregate takes and returns: the options of a command, its result, and the
// state a query answers with. The runtime's public types re-export them by name.
import type { AppendResult } from '../storage/event-log.js';

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

/** The result of `send`: the aggregate's version and the position of its last event. */
export type SendResult = AppendResult;

/** The state of an aggregate as `state()` returns it. */
export interface AggregateState {
  /** The statechart's state value, e.g. 'open'. */
  readonly value: unknown;
  readonly context: unknown;
  /** The stream version this state reflects; 0 for a stream with no events. */
  readonly version: number;
}

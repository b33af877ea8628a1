// The public shapes of the runtime: what users pass to createRuntime and send, and what they
// get back. Kept apart from the implementation so the entry point lists them by name.
import type { AggregateDefinition, Command } from '../actors/define-aggregate.js';
import type { AggregateState, SendOptions, SendResult } from '../actors/types.js';
import type { ReadAllOptions, ReadStreamOptions, StoredEvent } from '../storage/event-log.js';
import type { Durability } from '../storage/group-commit.js';
import type { ProjectionDefinition } from '../projections/define-projection.js';
import type { Projection } from '../projections/projection-controller.js';

export type { AggregateState, SendOptions, SendResult } from '../actors/types.js';

/** Options of `createRuntime`. */
export interface RuntimeOptions {
  /** The data directory (created if missing); one writing runtime at a time. */
  readonly path: string;
  /** The aggregate definitions this runtime serves. */
  readonly aggregates: readonly AggregateDefinition[];
  /** Projections, run in worker threads from the log. @default [] */
  readonly projections?: readonly ProjectionDefinition[];
  /**
   * Ack after fsync ('sync'), or at commit with the fsync in the background ('async': faster; a
   * power loss can take the last few milliseconds of commits and, LMDB noSync, the file's
   * integrity; see docs/operations.md). @default 'sync'
   */
  readonly durability?: Durability;
  /** Most commands and state() queries queued or in flight per aggregate before MailboxFullError. @default 1024 */
  readonly mailboxCapacity?: number;
  /** Passivate an actor idle this long (ms); 0 disables. @default 60000 */
  readonly idleTimeoutMs?: number;
  /**
   * Hard cap on live actors: the least recently used idle one is passivated to make room; when all
   * are busy, a command or state() for another aggregate is refused with ActorLimitError. @default 100000
   */
  readonly maxActiveActors?: number;
  /** Projection worker threads. @default min(2, available cores) */
  readonly workers?: number;
  /** Largest encoded event in bytes. @default 1048576 */
  readonly maxEventBytes?: number;
  /**
   * How long a `commandId` is remembered, in ms from when its command was handled: a repeated id
   * sent within that time returns the first result; from then on it runs as a new command.
   * `Infinity` keeps every id for good. @default 86400000 (24 h)
   */
  readonly commandIdRetentionMs?: number;
}

/** Options of `state`: current (default), as of a version, or as of a time. */
export interface StateOptions {
  readonly version?: number;
  /** A Date or milliseconds since the epoch. */
  readonly at?: Date | number;
}

/** An iterable usable with both `for…of` and `for await…of`. */
export type EventIterable = IterableIterator<StoredEvent> & AsyncIterable<StoredEvent>;

/** Options of `subscribe`. */
export interface SubscribeOptions {
  /** First position delivered. @default 1 */
  readonly fromPosition?: number;
  /**
   * Called once when the subscription stops on an error: the handler threw (or its promise
   * rejected) on `event`, or reading the log failed (`event` undefined). If it throws in turn,
   * both errors are logged. @default console.error
   */
  readonly onError?: (error: unknown, event: StoredEvent | undefined) => void;
}

/** Histogram summary of command latency, milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** What `metrics()` returns. */
export interface RuntimeMetrics {
  readonly liveActors: number;
  /** Commands queued in mailboxes or waiting for durability, over all actors. */
  readonly queuedCommands: number;
  readonly maxMailboxDepth: number;
  readonly commandsAccepted: number;
  readonly commandsRejected: number;
  readonly commits: number;
  readonly eventsCommitted: number;
  readonly meanBatchSize: number;
  readonly maxBatchSize: number;
  readonly latency: LatencySummary;
  readonly rehydrations: number;
  readonly passivations: number;
  readonly snapshotsWritten: number;
  /** Snapshot writes that failed (a state that cannot be encoded, a failed commit); commands are not affected. */
  readonly snapshotsFailed: number;
  readonly headPosition: number;
  /** Per projection: position and lag behind the head. */
  readonly projections: Readonly<Record<string, { readonly position: number; readonly lag: number }>>;
}

/** A running rehydra instance. */
export interface Runtime {
  /** Runs a command on an aggregate; resolves once its events are durable. */
  send(aggregateType: string, aggregateId: string, command: Command, options?: SendOptions): Promise<SendResult>;
  /** The aggregate's state: current, or as of a version or time. */
  state(aggregateType: string, aggregateId: string, options?: StateOptions): Promise<AggregateState>;
  /** One aggregate's durable events in version order (upcast); options checked at the call. */
  readStream(aggregateType: string, aggregateId: string, options?: ReadStreamOptions): EventIterable;
  /** All durable events in global order (upcast). */
  readAll(options?: ReadAllOptions): EventIterable;
  /** Catch-up from a position, then live, in global order; returns the unsubscribe function. */
  subscribe(options: SubscribeOptions, handler: (event: StoredEvent) => void): () => void;
  /** A projection by name; throws UnknownProjectionError. */
  projection(name: string): Projection;
  /** Counters, gauges and latency percentiles. */
  metrics(): RuntimeMetrics;
  /** metrics() in the Prometheus text exposition format, for a /metrics endpoint. */
  metricsText(): string;
  /** Refuses new commands, drains mailboxes, flushes, stops workers and releases the data directory. */
  close(): Promise<void>;
}

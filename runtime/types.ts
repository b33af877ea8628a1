// The public shapes of the runtime: what users pass to createRuntime and send, and what they
// get back. Kept apart from the implementation so the entry point lists them by name.
import type { Registry } from 'prom-client';
import type { AnyStateMachine, EventFromLogic, SnapshotFrom } from 'xstate';
import type { AggregateDefinition, Command } from '../actors/define-aggregate.js';
import type { Explanation } from '../actors/explain.js';
import type { AggregateState, SendOptions, SendResult } from '../actors/types.js';
import type { ReadAllOptions, ReadStreamOptions, StoredEvent } from '../storage/event-log.js';
import type { Durability } from '../storage/group-commit.js';
import type { ProjectionDefinition } from '../projections/define-projection.js';
import type { Projection } from '../projections/projection-controller.js';
import type { Inspect } from '../actors/inspection.js';
import type { RuntimeLogger } from './runtime-log.js';
import type { ClusterOptions } from './cluster/cluster-options.js';

export type { AggregateState, SendOptions, SendResult } from '../actors/types.js';
export type { Explanation } from '../actors/explain.js';

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
   * sent within that time (and within `commandIdRetentionCount`) returns the first result; from
   * then on it runs as a new command. `Infinity`: no time limit. @default 86400000 (24 h)
   */
  readonly commandIdRetentionMs?: number;
  /**
   * How many `commandId`s are remembered: the newest ones. A repeated id returns the first result
   * only while fewer than this many commands with an id were handled after it (and within
   * `commandIdRetentionMs`). Each retained id takes 16–32 bytes of memory and about 100 bytes on
   * disk, and is read once when the runtime opens. `Infinity`: no count limit. @default 1000000
   */
  readonly commandIdRetentionCount?: number;
  /**
   * Receives XState inspection events for every live aggregate (`@xstate.actor` when it starts or
   * is rehydrated, then `@xstate.event` and `@xstate.snapshot` for each event applied to it),
   * compiled machines included; `sessionId` is the stream, e.g. `account/a-1`. Pass
   * `createWebSocketInspector().inspect` of `@statelyai/inspect` to watch them in Stately Inspector.
   * Runs on the command path: keep it cheap. @default none (no inspection work)
   */
  readonly inspect?: Inspect;
  /**
   * A pino-compatible logger for what the runtime does on its own: a snapshot not written, a
   * projection stopped or resumed, a mailbox full (at most one line a second), a timer fired over
   * a second late. Each call gets an object with `event` (`rehydra.…`) and a message. @default none
   */
  readonly logger?: RuntimeLogger;
  /** Where the runtime's prom-client metrics go (see MetricsOptions). @default a registry of the runtime's own */
  readonly metrics?: MetricsOptions;
  /**
   * Cluster mode: run this runtime as one node of a cluster on NATS JetStream (see ClusterOptions
   * and docs/operations.md, "Running a cluster"). `path` then holds this node's replica of the log,
   * its snapshots, projection views and timer index. @default none (the embedded LMDB log)
   */
  readonly cluster?: ClusterOptions;
}

/** Options of the runtime's Prometheus metrics (prom-client). */
export interface MetricsOptions {
  /**
   * The service's prom-client registry: the runtime registers its `rehydra_*` families there and
   * takes them back at close. One open runtime per registry: a second is refused with a TypeError.
   * @default a registry of the runtime's own, rendered by `metricsText()`
   */
  readonly registry?: Registry;
}

/** Options of `state`: current (default), as of a version, or as of a time. */
export interface StateOptions {
  /** A version from 0 (the initial state) to the stream's head; past the head is a RangeError naming the stream and its head. */
  readonly version?: number;
  /** A Date or milliseconds since the epoch; before the stream's first event, the initial state at version 0. */
  readonly at?: Date | number;
}

/** An iterable of stored events usable with both `for…of` and `for await…of`. */
export type EventIterable<E extends { readonly type: string } = { readonly type: string }> = IterableIterator<StoredEvent<E>> &
  AsyncIterable<StoredEvent<E>>;

/** The state of an aggregate of machine `TMachine`: its context and state value, typed. */
export type StateOf<TMachine extends AnyStateMachine> = AggregateState<SnapshotFrom<TMachine>['context'], SnapshotFrom<TMachine>['value']>;

/**
 * The runtime seen through one aggregate definition (`runtime.aggregate(account)`): commands,
 * state and events typed from the definition. Same guarantees and errors as the untyped calls.
 */
export interface AggregateHandle<TMachine extends AnyStateMachine = AnyStateMachine, TCommand extends { readonly type: string } = Command> {
  /** The aggregate type, e.g. 'account'. */
  readonly type: string;
  /** Runs a command on aggregate `id`; resolves once its events are durable. */
  send(id: string, command: TCommand, options?: SendOptions): Promise<SendResult<EventFromLogic<TMachine>>>;
  /** The aggregate's state: current, or as of a version or time. */
  state(id: string, options?: StateOptions): Promise<StateOf<TMachine>>;
  /** What the command would do now (its events, or the error send would reject with); persists nothing. */
  explain(id: string, command: TCommand): Promise<Explanation<EventFromLogic<TMachine>>>;
  /** The aggregate's events in version order (upcast). */
  readStream(id: string, options?: ReadStreamOptions): EventIterable<EventFromLogic<TMachine>>;
}

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
/** Options of `runtime.timers()`. */
export interface TimersOptions {
  /** Only timers due before this time (a Date or ms since the epoch). */
  readonly before?: Date | number;
}

/** A pending durable timer: the aggregate it belongs to and when it is due (ms since the epoch). */
export interface PendingTimerInfo {
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly dueAt: number;
}

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
  /** Durable timers armed by this runtime's commits. */
  readonly timersArmed: number;
  /** Durable timers fired (their delayed event appended, or spent on a state that no longer took it). */
  readonly timersFired: number;
  /** Fired timers whose deadline had passed before this runtime started (due while no runtime ran). */
  readonly timersOverdue: number;
  /** Timer firings that failed and wait to be retried (the aggregate could not be rehydrated, its mailbox was full). */
  readonly timersFailed: number;
  /** How late timers fired past their deadline, until their event was durable. */
  readonly timerLateness: LatencySummary;
  readonly headPosition: number;
  /** Per projection: position and lag behind the head. */
  readonly projections: Readonly<Record<string, { readonly position: number; readonly lag: number }>>;
  /** Cluster mode only: this node's id and the partitions it serves now, ascending. */
  readonly cluster?: { readonly nodeId: string; readonly partitions: readonly number[] };
}

/** A running rehydra instance. */
export interface Runtime {
  /**
   * A typed handle on one of this runtime's aggregates; throws UnknownAggregateError unless the
   * runtime serves this very definition.
   */
  aggregate<TMachine extends AnyStateMachine, TCommand extends { readonly type: string }>(
    definition: AggregateDefinition<TMachine, TCommand>,
  ): AggregateHandle<TMachine, TCommand>;
  /** Runs a command on an aggregate; resolves once its events are durable. */
  send(aggregateType: string, aggregateId: string, command: Command, options?: SendOptions): Promise<SendResult>;
  /**
   * What the command would do against the aggregate's current state: `{ accepted: true, events }`
   * or `{ accepted: false, error }` (the error send would reject with). Nothing is persisted and
   * the aggregate is unchanged. Rejects only for the call itself (unknown aggregate, bad id, closed).
   */
  explain(aggregateType: string, aggregateId: string, command: Command): Promise<Explanation>;
  /** The aggregate's state: current, or as of a version or time. */
  state(aggregateType: string, aggregateId: string, options?: StateOptions): Promise<AggregateState>;
  /**
   * Pending durable timers (delayed transitions, `after`), earliest deadline first: all of them,
   * or those due before `options.before` (a Date or ms since the epoch).
   */
  timers(options?: TimersOptions): PendingTimerInfo[];
  /** One aggregate's durable events in version order (upcast); options checked at the call. */
  readStream(aggregateType: string, aggregateId: string, options?: ReadStreamOptions): EventIterable;
  /** All durable events in global order (upcast). */
  readAll(options?: ReadAllOptions): EventIterable;
  /**
   * Catch-up from a position, then live, in global order; returns the unsubscribe function. `E`
   * types the events (e.g. `EventOf<typeof account>`): it is yours to keep true, as every
   * aggregate's events are delivered (check `event.aggregateType`).
   */
  subscribe<E extends { readonly type: string } = { readonly type: string }>(
    options: SubscribeOptions, handler: (event: StoredEvent<E>) => void,
  ): () => void;
  /** A projection by name; throws UnknownProjectionError. */
  projection(name: string): Projection;
  /** Counters, gauges and latency percentiles. */
  metrics(): RuntimeMetrics;
  /**
   * This runtime's prom-client families in the Prometheus text exposition format, rendered by
   * prom-client, for a /metrics endpoint (a service with its own registry serves that instead).
   */
  metricsText(): Promise<string>;
  /** Refuses new commands, drains mailboxes, flushes, stops workers and releases the data directory. */
  close(): Promise<void>;
}

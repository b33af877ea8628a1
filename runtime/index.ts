// The single public entry of rehydra: every export is listed by name.
export { createRuntime } from './runtime.js';
export { defineAggregate } from '../actors/define-aggregate.js';
export { defineProjection } from './projection-definition.js';
export type {
  ProjectionDefinition, ProjectionOptions, ProjectionFilter, ProjectionView, ProjectionModule,
} from './projection-definition.js';
export type { Projection, ProjectionStatus, PartitionStatus, PartitionError, WaitForOptions } from './projection.js';
export type { ViewEntry, ViewRange } from '../storage/views.js';
export type {
  AggregateConfig, AggregateDefinition, Command, CommandHandler, DomainEvent, Upcaster,
} from '../actors/define-aggregate.js';
export type {
  Runtime, RuntimeOptions, SendOptions, SendResult, AggregateState, StateOptions, EventIterable, SubscribeOptions,
  RuntimeMetrics, LatencySummary,
} from './types.js';
export {
  RehydraError, UnknownAggregateError, UnknownCommandError, InvalidCommandError, ConcurrencyError, IllegalEventError,
  MailboxFullError, EncodingError, ApplyError, SizeLimitError, PersistenceError, StorageLockedError, CorruptDataError,
  ReplayError, RuntimeClosedError, NonDeterministicMachineError, UnknownProjectionError, ProjectionTimeoutError,
  ProjectionFailedError,
} from './errors.js';
export { openEventLog } from '../storage/lmdb-event-log.js';
export type { EventLogOptions } from '../storage/lmdb-event-log.js';
export type {
  EventLog, StoredEvent, EventMetadata, NewEvent, StreamAppend, AppendResult, StagedAppend, StoredSnapshot, StreamHead,
  StreamRef, ReadStreamOptions, ReadAllOptions, CommitStats,
} from '../storage/event-log.js';
export type { Durability } from '../storage/group-commit.js';

// The single public entry of rehydra: every export is listed by name.
export { createRuntime } from './runtime.js';
export { checkStreams } from './check-streams.js';
export type { CheckOptions, CheckProgress } from './check-options.js';
export type { CheckResult, FailedStream, UnknownStateStream, UncheckedType } from './check-result.js';
export { defineAggregate } from '../actors/define-aggregate.js';
export { defineProjection } from '../projections/define-projection.js';
export type {
  ProjectionDefinition, ProjectionOptions, ProjectionFilter, ProjectionView, ProjectionModule,
} from '../projections/define-projection.js';
export type { Projection, ProjectionStatus, PartitionStatus, PartitionError, WaitForOptions } from '../projections/projection-controller.js';
export type { ViewEntry, ViewRange } from '../storage/views.js';
export type {
  AggregateConfig, AggregateDefinition, Command, CommandHandler, CommandOf, DomainEvent, EventOf, Upcaster,
} from '../actors/define-aggregate.js';
export type {
  Runtime, RuntimeOptions, SendOptions, SendResult, AggregateState, StateOptions, EventIterable, SubscribeOptions,
  RuntimeMetrics, LatencySummary, MetricsOptions, AggregateHandle, StateOf, Explanation,
} from './types.js';
export {
  RehydraError, ConcurrencyError, EncodingError, SizeLimitError, PersistenceError, StorageLockedError, CorruptDataError, RuntimeClosedError,
  NotADataDirectoryError, ReadOnlyStorageError,
} from '../storage/errors.js';
export type { ErrorCode } from '../storage/errors.js';
export type { CommandIssue } from '../actors/errors.js';
export {
  UnknownCommandError, InvalidCommandError, IllegalEventError, MailboxFullError, ApplyError, ReplayError, NonDeterministicMachineError,
  UpcastError,
} from '../actors/errors.js';
export {
  UnknownProjectionError, ProjectionTimeoutError, ProjectionFailedError, ProjectionHandlerTimeoutError, ProjectionUpcastersError,
  ProjectionModuleError,
} from '../projections/errors.js';
export type { ProjectionModuleProblem } from '../projections/errors.js';
export { UnknownAggregateError, ActorLimitError, ClusterUnavailableError } from './errors.js';
export type { ClusterOptions, ClusterConnection } from './cluster/cluster-options.js';
export { openEventLog } from '../storage/lmdb-event-log.js';
export type { EventLogOptions } from '../storage/lmdb-event-log.js';
export type {
  EventLog, StoredEvent, EventMetadata, NewEvent, StreamAppend, AppendResult, StagedAppend, StoredSnapshot, StreamHead,
  StreamRef, ReadStreamOptions, ReadAllOptions, CommitStats,
} from '../storage/event-log.js';
export type { Durability } from '../storage/group-commit.js';
export type { Inspect, InspectedAggregateRef, RehydraInspectionEvent } from '../actors/inspection.js';
export type { RuntimeLogger, RuntimeLogEvent } from './runtime-log.js';

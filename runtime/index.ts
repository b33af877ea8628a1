// The single public entry of rehydra: every export is listed by name.
export {
  RehydraError, UnknownAggregateError, UnknownCommandError, InvalidCommandError, ConcurrencyError, IllegalEventError,
  MailboxFullError, EncodingError, ApplyError, SizeLimitError, PersistenceError, StorageLockedError, CorruptDataError,
  ReplayError, RuntimeClosedError, NonDeterministicMachineError,
} from './errors.js';
export { openEventLog } from '../storage/lmdb-event-log.js';
export type { EventLogOptions } from '../storage/lmdb-event-log.js';
export type {
  EventLog, StoredEvent, EventMetadata, NewEvent, StreamAppend, AppendResult, StagedAppend, StoredSnapshot, StreamHead,
  StreamRef, ReadStreamOptions, ReadAllOptions,
} from '../storage/event-log.js';
export type { Durability } from '../storage/group-commit.js';

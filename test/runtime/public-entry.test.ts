// The public entry lists every export by name and nothing users should not call: no test seam
// (openLmdbEventLog, LmdbEventLog, injectCommitFailure), no internal helper.
import { describe, expect, it } from 'vitest';

describe('the rehydra entry', () => {
  it('exports exactly the public API', async () => {
    const entry = await import('rehydra');
    expect(Object.keys(entry).sort()).toEqual([
      'ActorLimitError', 'ApplyError', 'ClusterUnavailableError', 'ConcurrencyError', 'CorruptDataError', 'EncodingError', 'IllegalEventError', 'InvalidCommandError',
      'MailboxFullError', 'NonDeterministicMachineError', 'NotADataDirectoryError', 'PersistenceError', 'ProjectionFailedError',
      'ProjectionHandlerTimeoutError', 'ProjectionModuleError', 'ProjectionTimeoutError', 'ProjectionUpcastersError', 'ReadOnlyStorageError', 'RehydraError', 'ReplayError', 'RuntimeClosedError', 'SizeLimitError',
      'StorageLockedError', 'UnknownAggregateError', 'UnknownCommandError', 'UnknownProjectionError', 'UpcastError',
      'checkStreams', 'createRuntime', 'defineAggregate', 'defineProjection', 'openEventLog',
    ]);
  });

  it('derives every exported error class from RehydraError', async () => {
    const entry = (await import('rehydra')) as Record<string, unknown>;
    const classes = Object.entries(entry).filter(([name]) => name.endsWith('Error')) as Array<[string, abstract new (...args: never[]) => Error]>;
    for (const [name, errorClass] of classes) {
      expect(errorClass.prototype instanceof (entry.RehydraError as typeof Error) || name === 'RehydraError', name).toBe(true);
    }
  });
});

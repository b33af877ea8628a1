// Every failure a caller can meet is a RehydraError with a stable `code`, so callers branch on
// class or code, never on message text. This file holds the base class and the errors the storage
// floor raises; each floor above declares its own. Messages name the stream, version or path at fault.

/** Every `code` a RehydraError can carry; stable across releases, so callers may switch on it. */
export type ErrorCode =
  | 'ERR_ACTOR_LIMIT'
  | 'ERR_APPLY'
  | 'ERR_CLI_USAGE'
  | 'ERR_CLUSTER_UNAVAILABLE'
  | 'ERR_CONCURRENCY'
  | 'ERR_CORRUPT_DATA'
  | 'ERR_ENCODING'
  | 'ERR_ILLEGAL_EVENT'
  | 'ERR_INVALID_COMMAND'
  | 'ERR_MAILBOX_FULL'
  | 'ERR_NON_DETERMINISTIC'
  | 'ERR_NOT_A_DATA_DIRECTORY'
  | 'ERR_PERSISTENCE'
  | 'ERR_PROJECTION_FAILED'
  | 'ERR_PROJECTION_HANDLER_TIMEOUT'
  | 'ERR_PROJECTION_MODULE'
  | 'ERR_PROJECTION_TIMEOUT'
  | 'ERR_PROJECTION_UPCASTERS'
  | 'ERR_READ_ONLY'
  | 'ERR_REPLAY'
  | 'ERR_RUNTIME_CLOSED'
  | 'ERR_SIZE_LIMIT'
  | 'ERR_STORAGE_LOCKED'
  | 'ERR_UNKNOWN_AGGREGATE'
  | 'ERR_UNKNOWN_COMMAND'
  | 'ERR_UNKNOWN_PROJECTION'
  | 'ERR_UPCAST';

/** Base class of every error rehydra raises on purpose; `code` is stable across releases. */
export class RehydraError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `expectedVersion` (or a storage append's expected version) differs from the stream's version. */
export class ConcurrencyError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      'ERR_CONCURRENCY',
      `${stream} is at version ${actual}, not ${expected}: reload its state and retry the command`,
    );
  }
}

/**
 * An event (or a snapshot) could not be encoded (e.g. a function, a cycle or a BigInt over 64 bits
 * in it); nothing was persisted.
 */
export class EncodingError extends RehydraError {
  /** `what` names the value: `event "MoneyDeposited"`, `its snapshot at version 100`. */
  constructor(stream: string, what: string, cause: unknown) {
    super('ERR_ENCODING', `${stream}: ${what} cannot be encoded: ${String((cause as Error)?.message ?? cause)}`, {
      cause,
    });
  }
}

/** An id, type or event is over the storage limits; refused before anything was written. */
export class SizeLimitError extends RehydraError {
  constructor(what: string, size: number, limit: number) {
    super('ERR_SIZE_LIMIT', `${what} is ${size} bytes, over the limit of ${limit} bytes: nothing was written`);
  }
}

/**
 * The write of this command's events was not confirmed durable; the actor is rebuilt from the
 * file before its next command. `written` tells the two cases apart: false, the events are not in
 * the log and the command may be retried; true, they are in the log (the commit was written and
 * its fsync failed, so a power loss may still take them): retry only with the same `commandId`
 * (which returns this result) or after reading the stream, or they are applied twice.
 */
export class PersistenceError extends RehydraError {
  constructor(
    stream: string,
    cause: unknown,
    readonly written = false,
  ) {
    const why = String((cause as Error)?.message ?? cause);
    super(
      'ERR_PERSISTENCE',
      written
        ? `${stream}: events were written but not confirmed durable (${why}); they are in the log: retry only with the same commandId, or read the stream first`
        : `${stream}: events were not made durable (${why}); the command may be retried`,
      { cause },
    );
  }
}

/** Another writer (this process or another live one) holds the data directory. */
export class StorageLockedError extends RehydraError {
  constructor(
    readonly path: string,
    readonly ownerPid: number,
    what = 'close it first, or open it with readOnly: true',
  ) {
    super('ERR_STORAGE_LOCKED', `${path} is already open for writing by process ${ownerPid}: ${what}`);
  }
}

/** A stored value failed to decode: the bytes at `key` are not what rehydra wrote. */
export class CorruptDataError extends RehydraError {
  constructor(
    readonly key: string,
    cause: unknown,
  ) {
    super('ERR_CORRUPT_DATA', `stored value at ${key} cannot be decoded: ${String((cause as Error)?.message ?? cause)}`, {
      cause,
    });
  }
}

/** The runtime was closed; no further commands are accepted. */
export class RuntimeClosedError extends RehydraError {
  constructor(what: string) {
    super('ERR_RUNTIME_CLOSED', `${what}: the runtime is closed`);
  }
}

/** The path holds no rehydra data (or another program's LMDB files): nothing was opened or written. */
export class NotADataDirectoryError extends RehydraError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super('ERR_NOT_A_DATA_DIRECTORY', `${path} is not a rehydra data directory (${reason}): pass the path a runtime writes to`);
  }
}

/** A write was attempted on storage opened read-only (inspection). */
export class ReadOnlyStorageError extends RehydraError {
  constructor(readonly path: string) {
    super('ERR_READ_ONLY', `${path} is open read-only: writes are refused; open it without readOnly to write`);
  }
}

// Every failure a caller can meet is one of these classes, each with a stable `code`, so
// callers branch on class or code, never on message text. Messages name the aggregate/stream,
// version or option at fault and say what to do.

/** Base class of every error rehydra raises on purpose; `code` is stable across releases. */
export class RehydraError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** `send`/`state` named an aggregate type that was not passed to `createRuntime`. */
export class UnknownAggregateError extends RehydraError {
  constructor(
    readonly aggregateType: string,
    known: readonly string[],
  ) {
    super(
      'ERR_UNKNOWN_AGGREGATE',
      `unknown aggregate type "${aggregateType}": register it in createRuntime({ aggregates }) (known: ${known.join(', ') || 'none'})`,
    );
  }
}

/** The command's `type` has no handler in the aggregate's `commands`. */
export class UnknownCommandError extends RehydraError {
  constructor(
    readonly aggregateType: string,
    readonly commandType: string,
    known: readonly string[],
  ) {
    super(
      'ERR_UNKNOWN_COMMAND',
      `aggregate "${aggregateType}" has no command "${commandType}" (known: ${known.join(', ')})`,
    );
  }
}

/** The command, id or send options are malformed; nothing was run or persisted. */
export class InvalidCommandError extends RehydraError {
  constructor(
    readonly stream: string,
    reason: string,
  ) {
    super('ERR_INVALID_COMMAND', `invalid command for ${stream}: ${reason}`);
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

/** A command handler returned an event the statechart does not accept in its current state. */
export class IllegalEventError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly eventType: string,
    readonly stateValue: unknown,
  ) {
    super(
      'ERR_ILLEGAL_EVENT',
      `${stream} does not accept event "${eventType}" in state ${JSON.stringify(stateValue)}: nothing was persisted`,
    );
  }
}

/** The aggregate already holds `capacity` unacknowledged commands: back off and retry. */
export class MailboxFullError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly capacity: number,
  ) {
    super(
      'ERR_MAILBOX_FULL',
      `${stream} has ${capacity} commands queued or in flight (mailboxCapacity): retry after some are acknowledged`,
    );
  }
}

/** An event could not be encoded (e.g. a function or a cycle in its data); nothing was persisted. */
export class EncodingError extends RehydraError {
  constructor(stream: string, eventType: string, cause: unknown) {
    super('ERR_ENCODING', `${stream}: event "${eventType}" cannot be encoded: ${String((cause as Error)?.message ?? cause)}`, {
      cause,
    });
  }
}

/** An action of the statechart threw while applying an event; nothing was persisted. */
export class ApplyError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly eventType: string,
    cause: unknown,
  ) {
    super(
      'ERR_APPLY',
      `${stream}: an action threw while applying "${eventType}": ${String((cause as Error)?.message ?? cause)}; nothing was persisted`,
      { cause },
    );
  }
}

/** An id, type or event is over the storage limits; refused before anything was written. */
export class SizeLimitError extends RehydraError {
  constructor(what: string, size: number, limit: number) {
    super('ERR_SIZE_LIMIT', `${what} is ${size} bytes, over the limit of ${limit} bytes: nothing was written`);
  }
}

/** The write of this command's events did not become durable; the actor is rehydrated next time. */
export class PersistenceError extends RehydraError {
  constructor(stream: string, cause: unknown) {
    super(
      'ERR_PERSISTENCE',
      `${stream}: events were not made durable (${String((cause as Error)?.message ?? cause)}); the command may be retried`,
      { cause },
    );
  }
}

/** Another writer (this process or another live one) holds the data directory. */
export class StorageLockedError extends RehydraError {
  constructor(
    readonly path: string,
    readonly ownerPid: number,
  ) {
    super(
      'ERR_STORAGE_LOCKED',
      `${path} is already open for writing by process ${ownerPid}: close it first, or open it with readOnly: true`,
    );
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

/** A stored event is not accepted by the current machine on replay (schema drift): add an upcaster. */
export class ReplayError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly version: number,
    readonly eventType: string,
    reason: string,
  ) {
    super(
      'ERR_REPLAY',
      `${stream} cannot replay event "${eventType}" at version ${version}: ${reason}; add an upcaster for "${eventType}" to the aggregate definition`,
    );
  }
}

/** The runtime was closed; no further commands are accepted. */
export class RuntimeClosedError extends RehydraError {
  constructor(what: string) {
    super('ERR_RUNTIME_CLOSED', `${what}: the runtime is closed`);
  }
}

/** The aggregate definition cannot be replayed deterministically (delays, invoked or spawned actors). */
export class NonDeterministicMachineError extends RehydraError {
  constructor(aggregateType: string, reason: string) {
    super(
      'ERR_NON_DETERMINISTIC',
      `aggregate "${aggregateType}": ${reason}; event-sourced machines must be replayable, so keep timers and child actors outside the aggregate`,
    );
  }
}

/** `projection(name)` named a projection that was not passed to `createRuntime({ projections })`. */
export class UnknownProjectionError extends RehydraError {
  constructor(
    readonly projection: string,
    known: readonly string[],
  ) {
    super(
      'ERR_UNKNOWN_PROJECTION',
      `unknown projection "${projection}": register it in createRuntime({ projections }) (known: ${known.join(', ') || 'none'})`,
    );
  }
}

/** `waitFor` gave up: the projection had not applied the position within `timeoutMs`. */
export class ProjectionTimeoutError extends RehydraError {
  constructor(
    readonly projection: string,
    readonly position: number,
    readonly reached: number,
    timeoutMs: number,
  ) {
    super(
      'ERR_PROJECTION_TIMEOUT',
      `projection "${projection}" did not reach position ${position} within ${timeoutMs} ms (it is at ${reached}): check status() for lag or an error`,
    );
  }
}

/** A projection partition is stopped by its handler (or by its worker dying) at `position`; `resume()` retries. */
export class ProjectionFailedError extends RehydraError {
  constructor(
    readonly projection: string,
    readonly partition: number,
    readonly position: number,
    reason: string,
  ) {
    super(
      'ERR_PROJECTION_FAILED',
      `projection "${projection}" partition ${partition} stopped at position ${position}: ${reason}; fix the handler, then call resume()`,
    );
  }
}

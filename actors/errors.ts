// The errors the actors floor raises: a command refused at the aggregate (unknown, malformed,
// illegal for the statechart, over the mailbox) and a stream that cannot be replayed or upcast.
import { RehydraError } from '../storage/errors.js';

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

/** One problem a command schema found: where (the field path) and what. */
export interface CommandIssue {
  /** The path of the field at fault, e.g. `['amount']`; empty for the command as a whole. */
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/**
 * The command, id or send options are malformed, or the command failed its schema (then `issues`
 * holds the schema's issues); nothing was run or persisted.
 */
export class InvalidCommandError extends RehydraError {
  constructor(
    readonly stream: string,
    reason: string,
    /** The schema's issues when a command schema refused the command; empty otherwise. */
    readonly issues: readonly CommandIssue[] = [],
  ) {
    super('ERR_INVALID_COMMAND', `invalid command for ${stream}: ${reason}`);
  }
}

/**
 * A command handler returned an event the statechart does not accept in its current state:
 * `accepted` lists the event types that state has transitions for, and `guard` names the guard
 * that returned false when one did.
 */
export class IllegalEventError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly eventType: string,
    /** The state value the event met, e.g. 'closed'. */
    readonly state: unknown,
    readonly accepted: readonly string[],
    readonly guard?: string,
  ) {
    const refusal = guard === undefined ? '' : `: guard "${guard}" returned false`;
    const accepts = accepted.length === 0 ? 'it accepts no event there' : `it accepts ${accepted.join(', ')}`;
    super(
      'ERR_ILLEGAL_EVENT',
      `${stream} does not accept event "${eventType}" in state ${JSON.stringify(state)}${refusal} (${accepts}); nothing was persisted`,
    );
  }
}

/** The aggregate already holds `capacity` unanswered commands and queries: back off and retry. */
export class MailboxFullError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly capacity: number,
  ) {
    super(
      'ERR_MAILBOX_FULL',
      `${stream} has ${capacity} commands or queries queued or in flight (mailboxCapacity): retry after some are answered`,
    );
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

/** A stored event is not accepted by the current machine on replay (schema drift): add an upcaster. */
export class ReplayError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly version: number,
    readonly eventType: string,
    /** The state value the event met. */
    readonly state: unknown,
    /** What the action threw, when the machine accepted the event but applying it failed. */
    cause?: unknown,
  ) {
    const reason =
      cause === undefined
        ? `no state of the machine accepts it in state ${JSON.stringify(state)}`
        : `an action threw: ${String((cause as Error)?.message ?? cause)}`;
    super(
      'ERR_REPLAY',
      `${stream} cannot replay event "${eventType}" at version ${version}: ${reason}; add an upcaster for "${eventType}" to the aggregate definition`,
      cause === undefined ? undefined : { cause },
    );
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

/** An aggregate's upcasters turn an event type back into itself (or into a longer chain than allowed). */
export class UpcastError extends RehydraError {
  constructor(
    readonly aggregateType: string,
    readonly eventType: string,
    steps: number,
  ) {
    super(
      'ERR_UPCAST',
      `upcasters of aggregate "${aggregateType}" loop on event type "${eventType}" (more than ${steps} steps): an upcaster must lead to a type with none`,
    );
  }
}

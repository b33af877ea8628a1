// Maps every failure to one HTTP status and a `{ error: code, message }` body. Statuses follow the
// runtime's error classes (never message text), so a client can branch on `error` alone.
import {
  ConcurrencyError, IllegalEventError, InvalidCommandError, MailboxFullError, ProjectionTimeoutError, RehydraError,
  RuntimeClosedError, SizeLimitError, UnknownCommandError,
} from 'rehydra';

/** A failure the service itself detects (route, method, body), already carrying its status. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const statusByClass: ReadonlyArray<readonly [abstract new (...args: never[]) => RehydraError, number]> = [
  [UnknownCommandError, 404],
  [InvalidCommandError, 400],
  [ConcurrencyError, 409],
  [IllegalEventError, 409],
  [SizeLimitError, 413],
  [MailboxFullError, 503],
  [ProjectionTimeoutError, 503],
  [RuntimeClosedError, 503],
];

/**
 * The HTTP form of `error`. `fromCommand` marks errors that `runtime.send` rejected with: there a
 * plain Error is the command handler refusing the command (a domain rule such as insufficient
 * funds), hence 422; anywhere else it is a bug, hence 500.
 */
export function toHttpError(error: unknown, fromCommand: boolean): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof RehydraError) {
    const status = statusByClass.find(([type]) => error instanceof type)?.[1] ?? 500;
    return new HttpError(status, error.code, error.message);
  }
  const message = error instanceof Error ? error.message : String(error);
  return fromCommand ? new HttpError(422, 'ERR_REJECTED', message) : new HttpError(500, 'ERR_INTERNAL', message);
}

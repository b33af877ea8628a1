// Maps every failure to one HTTP status and an RFC 9457 problem+json body. Statuses follow the
// runtime's error classes (never message text), so a client can branch on `code` alone; a command
// that fails its schema names each field at fault in `errors`.
import { STATUS_CODES } from 'node:http';
import {
  ConcurrencyError, IllegalEventError, InvalidCommandError, MailboxFullError, ProjectionTimeoutError, RehydraError,
  RuntimeClosedError, SizeLimitError, UnknownCommandError, type CommandIssue,
} from 'rehydra';

/** One field a request got wrong: its name, a JSON Pointer into the body, and what is wrong. */
export interface FieldProblem {
  readonly field: string;
  readonly pointer: string;
  readonly detail: string;
}

/** A failure with its HTTP status and stable code; `errors` names the fields at fault, if any. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The RFC 9457 body of an HttpError: `type` and `code` identify it, `detail` explains it. */
export function problemOf(error: HttpError): Record<string, unknown> {
  return {
    type: `urn:rehydra:error:${error.code}`,
    title: STATUS_CODES[error.status] ?? 'Error',
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors.length > 0 && { errors: error.errors }),
  };
}

const statusByClass: ReadonlyArray<readonly [abstract new (...args: never[]) => RehydraError, number]> = [
  [UnknownCommandError, 404],
  [InvalidCommandError, 400],
  // Only If-Match sets an expected version: a mismatch is a failed precondition.
  [ConcurrencyError, 412],
  [IllegalEventError, 409],
  [SizeLimitError, 413],
  [MailboxFullError, 503],
  [ProjectionTimeoutError, 503],
  [RuntimeClosedError, 503],
];

function fieldProblem(issue: CommandIssue): FieldProblem {
  const path = issue.path.map(String);
  return { field: path.join('.'), pointer: `/${path.map((key) => key.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`, detail: issue.message };
}

/**
 * The HTTP form of `error`. `fromCommand` marks errors that `runtime.send` rejected with: there a
 * plain Error is the command handler refusing the command (a domain rule such as insufficient
 * funds), hence 422; anywhere else it is a bug, hence 500.
 */
export function toHttpError(error: unknown, fromCommand: boolean): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof RehydraError) {
    const status = statusByClass.find(([type]) => error instanceof type)?.[1] ?? 500;
    const fields = error instanceof InvalidCommandError ? error.issues.map(fieldProblem) : [];
    return new HttpError(status, error.code, error.message, fields);
  }
  const message = error instanceof Error ? error.message : String(error);
  return fromCommand ? new HttpError(422, 'ERR_REJECTED', message) : new HttpError(500, 'ERR_INTERNAL', message);
}

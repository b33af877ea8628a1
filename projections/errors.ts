// The errors the projections floor raises: an unknown projection, a wait that timed out, and a
// partition stopped by its handler.
import { RehydraError } from '../storage/errors.js';

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

// The errors the projections floor raises: an unknown projection, a wait that timed out, a
// partition stopped by its handler (a throw or a call past its time limit), a module that cannot
// be loaded, and a module that would see events its runtime upcasts in their stored shape.
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

/** A handler call (`handle` or `init`) ran past `handlerTimeoutMs`: its worker was stopped and the partition with it. */
export class ProjectionHandlerTimeoutError extends RehydraError {
  constructor(
    readonly projection: string,
    readonly partition: number,
    readonly position: number,
    readonly timeoutMs: number,
  ) {
    super(
      'ERR_PROJECTION_HANDLER_TIMEOUT',
      `projection "${projection}" partition ${partition} stopped at position ${position}: ${position === 0 ? 'init()' : 'handle()'} ran past its time limit of ${timeoutMs} ms (handlerTimeoutMs); fix the handler, then call resume()`,
    );
  }
}

/**
 * The runtime upcasts events of `aggregateType` that the projection reads, but the projection
 * module does not export the same upcasters, so its handler would see the stored shapes.
 */
export class ProjectionUpcastersError extends RehydraError {
  constructor(
    readonly projection: string,
    readonly aggregateType: string,
    /** Upcasters (by stored event type) the runtime applies and the module does not. */
    readonly missing: readonly string[],
    /** Upcasters the module applies and the runtime does not. */
    readonly unexpected: readonly string[],
  ) {
    const list = (types: readonly string[]) => types.join(', ') || 'none';
    super(
      'ERR_PROJECTION_UPCASTERS',
      `projection "${projection}" reads "${aggregateType}" events, but its module does not upcast them as the runtime does ` +
        `(missing upcasters: ${list(missing)}; unexpected: ${list(unexpected)}): export the definition the runtime uses ` +
        `from the projection module (\`export const aggregates = [...]\`)`,
    );
  }
}

/** What is wrong with a projection module that cannot be loaded. */
export type ProjectionModuleProblem =
  /** No file at the module's path (or URL). */
  | 'not-found'
  /** Importing it threw: a syntax error, a throw at its top level, a missing dependency, TypeScript the thread cannot run. */
  | 'import-failed'
  /** It loads, but does not export a `handle(event, view)` function (or `init`/`aggregates` have the wrong shape). */
  | 'invalid-exports';

const ADVICE: Record<ProjectionModuleProblem, string> = {
  'not-found': 'check defineProjection({ module }): a relative path resolves against the working directory; new URL("./x.js", import.meta.url) names a file next to yours',
  'import-failed': 'fix what importing it throws, then start again',
  'invalid-exports': 'export a synchronous `handle(event, view)` function, and optionally `init(view)` and `aggregates`',
};

/** `createRuntime` could not load a projection's module in a worker thread; nothing was started. */
export class ProjectionModuleError extends RehydraError {
  constructor(
    readonly projection: string,
    /** The module's URL, as `defineProjection` resolved it. */
    readonly module: string,
    readonly reason: ProjectionModuleProblem,
    /** What the import or the export check said. */
    readonly detail: string,
  ) {
    super('ERR_PROJECTION_MODULE', `projection "${projection}" cannot load its module ${module} (${reason}): ${detail}; ${ADVICE[reason]}`);
  }
}

// The errors the runtime itself raises at its door; the floors below declare theirs, and
// runtime/index.ts re-exports every class by name.
import { RehydraError } from '../storage/errors.js';

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

/** Every one of the `maxActiveActors` live actors is busy: a command or query for another aggregate is refused at once. */
export class ActorLimitError extends RehydraError {
  constructor(
    readonly stream: string,
    readonly maxActiveActors: number,
  ) {
    super(
      'ERR_ACTOR_LIMIT',
      `${stream} cannot be loaded: all ${maxActiveActors} live actors (maxActiveActors) have work queued or in flight; retry after some commands are acknowledged`,
    );
  }
}

/** Cluster mode could not start: NATS unreachable, credentials refused, or the log's stream or lease bucket not usable. */
export class ClusterUnavailableError extends RehydraError {
  constructor(
    readonly servers: string,
    what: string,
    cause: unknown,
  ) {
    super('ERR_CLUSTER_UNAVAILABLE', `cluster on ${servers}: ${what} (${String((cause as Error)?.message ?? cause)})`, { cause });
  }
}

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

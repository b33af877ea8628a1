// What `checkStreams` resolves to: plain data (no class, no error object), so the CLI prints it
// as text or as one JSON document for CI, and tests compare it by value.

/** A stream the current machines cannot replay: where it stops, and why. */
export interface FailedStream {
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The version of the first event that failed: refused by the machine, or its upcaster or an action threw. */
  readonly version: number;
  /** That event's type as stored (before upcasting): the type an upcaster would be keyed by. */
  readonly eventType: string;
  /** The state value the stream was in when the event failed, e.g. `'open'`. */
  readonly state: unknown;
  /** What went wrong, as a message (a `ReplayError`'s names the stream, version, type and state). */
  readonly error: string;
}

/** A stream whose latest stored snapshot is in a state the current machine no longer has. */
export interface UnknownStateStream {
  readonly aggregateType: string;
  readonly aggregateId: string;
  /** The version the snapshot covers (the stream may have moved on since, under the old machine). */
  readonly version: number;
  /** The state value the snapshot holds. */
  readonly state: unknown;
  /** The first state of `state` the machine lacks, as a dotted path: `'frozen'`, `'open.review'`. */
  readonly missing: string;
}

/** Streams of an aggregate type that no definition given to the check has: they were not replayed. */
export interface UncheckedType {
  readonly aggregateType: string;
  readonly streams: number;
}

/**
 * The outcome of `checkStreams`. The check passes when `failed` and `unchecked` are both empty;
 * stale snapshots and unknown states are warnings (the runtime replays those streams in full).
 */
export interface CheckResult {
  /** How many streams were replayed. */
  readonly streams: number;
  /** The streams that would fail to rehydrate, in the order checked: stream key order, then named streams as given. */
  readonly failed: readonly FailedStream[];
  /** How many stored snapshots of the replayed streams the current fingerprints invalidate. */
  readonly staleSnapshots: number;
  /** Replayed streams whose stored snapshot names a state the current machine does not have. */
  readonly unknownStates: readonly UnknownStateStream[];
  /** Per aggregate type without a definition, how many of its streams went unchecked (only when no `types` or `streams` were named). */
  readonly unchecked: readonly UncheckedType[];
}

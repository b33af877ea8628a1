// What an actor reports to a command's trace, when the runtime traces (OpenTelemetry, see
// runtime/tracing.ts). Absent on the untraced path: an actor then does no tracing work at all.

/** How a command ended, as its span's `rehydra.outcome` says. */
export type CommandOutcome = 'accepted' | 'rejected';

/** One command's trace: its span and the child spans of its decide/apply and durable commit. */
export interface CommandTrace {
  /** The W3C trace context of the command's span, stored as `metadata.traceparent` on its events. */
  readonly traceparent: string;
  /** Runs `work` (the handler and the apply of its events) in a `rehydra.decide` child span. */
  decide<T>(work: () => T): T;
  /** A `rehydra.commit` child span from now until `commit` (the durable write) settles. */
  commit(commit: Promise<unknown>): void;
  /** Ends the command's span: accepted at `version` and `position`, or rejected with `error`. */
  end(outcome: CommandOutcome, result: { readonly version: number; readonly position: number } | undefined, error?: unknown): void;
}

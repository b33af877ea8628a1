// What a worker reports of the events it handled when the runtime traces: enough for the host to
// record a span per event under the command that stored it (workers have no tracer of their own:
// the service registers its tracer provider on the main thread). Bounded per task, so tracing a
// catch-up over millions of events costs a few kilobytes a task, not one record per event.

/** One traced event a projection handled, timed in epoch milliseconds. */
export interface HandledEvent {
  /** The `metadata.traceparent` of the event: the command that stored it. */
  readonly traceparent: string;
  readonly position: number;
  readonly type: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly startMs: number;
  readonly endMs: number;
}

/** Most handled events one task reports; the rest of a long catch-up goes untraced. */
export const MAX_HANDLED_PER_TASK = 1_024;

/** Receives the traced events projections handled; the runtime's tracing implements it. */
export interface ProjectionTracer {
  /** Whether workers should report handled events now (a tracer provider is registered). */
  enabled(): boolean;
  /** Events of `projection`'s `partition` that were handled and committed. */
  handled(projection: string, partition: number, events: readonly HandledEvent[]): void;
}

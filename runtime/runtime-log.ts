// What the runtime does on its own (no caller is waiting to hear it), told to the service's
// logger as one structured object and a message per occurrence, pino's calling convention. A
// mailbox refusing under overload would log once per command: that one is told once a second.
import type { StreamRef } from '../storage/keys.js';
import type { PartitionError } from '../projections/generation.js';

/** A pino-compatible logger (pino, or anything with these three methods). */
export interface RuntimeLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** The `event` field of every object the runtime logs. */
export type RuntimeLogEvent = 'rehydra.snapshot_failed' | 'rehydra.mailbox_full' | 'rehydra.timer_late' | 'rehydra.projection_stopped' | 'rehydra.projection_resumed';

/** A timer whose event became durable this long past its deadline is logged as late. */
export const LATE_TIMER_MS = 1_000;
const MAILBOX_LOG_INTERVAL_MS = 1_000;

/** The runtime's log lines; every method is a no-op without a logger. */
export class RuntimeLog {
  private mailboxLoggedAt = Number.NEGATIVE_INFINITY;
  private mailboxRefusals = 0;

  constructor(private readonly logger: RuntimeLogger | undefined) {}

  snapshotFailed(stream: StreamRef, error: unknown): void {
    this.logger?.warn({ event: 'rehydra.snapshot_failed', aggregateType: stream.type, aggregateId: stream.id, err: error },
      'rehydra: snapshot not written (commands are unaffected; rehydration replays more events)');
  }

  /** Logs the first refusal, then at most one line a second with the refusals since the last line. */
  mailboxFull(stream: StreamRef, capacity: number, now: number): void {
    if (!this.logger) return;
    this.mailboxRefusals++;
    if (now - this.mailboxLoggedAt < MAILBOX_LOG_INTERVAL_MS) return;
    this.logger.warn({ event: 'rehydra.mailbox_full', aggregateType: stream.type, aggregateId: stream.id, capacity, refused: this.mailboxRefusals },
      'rehydra: mailbox full, commands refused with MailboxFullError (the aggregate is overloaded)');
    this.mailboxLoggedAt = now;
    this.mailboxRefusals = 0;
  }

  /** A timer fired `latenessMs` past its deadline; `overdue` when it came due while no runtime ran. */
  timerFired(stream: StreamRef, dueAt: number, latenessMs: number, overdue: boolean): void {
    if (!this.logger || latenessMs < LATE_TIMER_MS) return;
    const obj = { event: 'rehydra.timer_late', aggregateType: stream.type, aggregateId: stream.id, dueAt, latenessMs, overdue };
    // Overdue timers are late by design (nothing ran to fire them); late ones under a running runtime are not.
    if (overdue) this.logger.info(obj, 'rehydra: timer fired after a restart, past its deadline');
    else this.logger.warn(obj, 'rehydra: timer fired late');
  }

  projectionStopped(projection: string, generation: number, error: PartitionError): void {
    this.logger?.error({ event: 'rehydra.projection_stopped', projection, generation, ...error },
      `rehydra: projection "${projection}" stopped at position ${error.position}; fix the cause and call resume()`);
  }

  projectionResumed(projection: string, generation: number, partitions: readonly number[]): void {
    this.logger?.info({ event: 'rehydra.projection_resumed', projection, generation, partitions }, `rehydra: projection "${projection}" resumed`);
  }
}

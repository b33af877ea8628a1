// What the runtime does on its own (no caller is waiting to hear it), told to the service's
// logger as one structured object and a message, pino's calling convention. What can happen once
// per command or timer under load (a full mailbox, late timers) is told at most once a second,
// with the count since the previous line, so an overload does not become a flood of log lines.
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
const THROTTLE_MS = 1_000;

/** One kind of line told at most once per THROTTLE_MS: the first occurrence, then one with the count since. */
class Throttle {
  private toldAt = Number.NEGATIVE_INFINITY;
  private count = 0;

  /** Counts an occurrence at `now` (ms); calls `tell` with the count when a line is due. */
  occurred(now: number, tell: (count: number) => void): void {
    this.count++;
    if (now - this.toldAt < THROTTLE_MS) return;
    tell(this.count);
    this.toldAt = now;
    this.count = 0;
  }
}

/** The runtime's log lines; every method is a no-op without a logger. */
export class RuntimeLog {
  private readonly mailbox = new Throttle();
  private readonly late = new Throttle();
  private readonly overdue = new Throttle();

  constructor(private readonly logger: RuntimeLogger | undefined) {}

  snapshotFailed(stream: StreamRef, error: unknown): void {
    this.logger?.warn({ event: 'rehydra.snapshot_failed', aggregateType: stream.type, aggregateId: stream.id, err: error },
      'rehydra: snapshot not written (commands are unaffected; rehydration replays more events)');
  }

  /** A command or query for `stream` was refused at `now` (ms); the line names the latest one and counts them. */
  mailboxFull(stream: StreamRef, capacity: number, now: number): void {
    const logger = this.logger;
    if (!logger) return;
    this.mailbox.occurred(now, (refused) => logger.warn({ event: 'rehydra.mailbox_full', aggregateType: stream.type, aggregateId: stream.id, capacity, refused },
      'rehydra: mailbox full, commands refused with MailboxFullError (the aggregate is overloaded)'));
  }

  /** A timer fired `latenessMs` past its deadline at `now` (ms); `overdue` when it came due while no runtime ran. */
  timerFired(stream: StreamRef, dueAt: number, latenessMs: number, overdue: boolean, now: number): void {
    const logger = this.logger;
    if (!logger || latenessMs < LATE_TIMER_MS) return;
    const obj = (timers: number) => ({ event: 'rehydra.timer_late', aggregateType: stream.type, aggregateId: stream.id, dueAt, latenessMs, overdue, timers });
    // Overdue timers are late by design (nothing ran to fire them); late ones under a running runtime are not.
    if (overdue) this.overdue.occurred(now, (timers) => logger.info(obj(timers), 'rehydra: timers fired after a restart, past their deadline'));
    else this.late.occurred(now, (timers) => logger.warn(obj(timers), 'rehydra: timers fired late'));
  }

  projectionStopped(projection: string, generation: number, error: PartitionError): void {
    this.logger?.error({ event: 'rehydra.projection_stopped', projection, generation, ...error },
      `rehydra: projection "${projection}" stopped at position ${error.position}; fix the cause and call resume()`);
  }

  projectionResumed(projection: string, generation: number, partitions: readonly number[]): void {
    this.logger?.info({ event: 'rehydra.projection_resumed', projection, generation, partitions }, `rehydra: projection "${projection}" resumed`);
  }
}

// One scheduler for every durable timer: it sleeps until the earliest deadline in the index,
// then fires what is due, a bounded batch at a time, each through its aggregate's mailbox (a
// passivated aggregate is rehydrated to fire). Overdue timers (due while the process was down)
// fire at start. A firing that fails (the aggregate cannot be rehydrated, its mailbox is full)
// is retried after a pause instead of spinning.
import type { DueTimer, TimerStore } from '../storage/event-log.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { RuntimeClock } from './clock.js';

/**
 * Timers fired per batch: each firing decides synchronously (~50 µs), so a batch holds the main
 * thread for its whole length; 256 keep that to about 10-15 ms and still fill a group commit.
 */
const BATCH = 256;
/** A timer whose firing failed waits this long (ms) before it is tried again. */
const RETRY_MS = 1_000;

/** What the scheduler counts. */
export interface TimerCounters {
  /** `timer` fired `latenessMs` after its deadline (its event durable, or the timer spent). */
  fired(timer: DueTimer, latenessMs: number): void;
  failed(error: unknown): void;
}

export class TimerScheduler {
  private wake: unknown;
  /** The deadline the current wake-up is set for. */
  private wakeAt = Number.POSITIVE_INFINITY;
  private pass: Promise<void> | undefined;
  /** A pass is under way and another was asked for meanwhile. */
  private again = false;
  private stopped = false;
  /** Timers whose firing failed, by key, with when they may be tried again. */
  private readonly retryAt = new Map<string, number>();

  constructor(
    private readonly store: Pick<TimerStore, 'dueTimers'>,
    private readonly clock: RuntimeClock,
    private readonly fire: (timer: DueTimer) => Promise<void>,
    private readonly counters: TimerCounters,
  ) {}

  /** Looks at the index now: overdue timers fire at once, the earliest pending one sets the wake-up. */
  start(): void {
    // Through the clock, as every pass: a manual clock's advance runs (and awaits) it.
    this.sleepUntil(this.clock.now());
  }

  /** A commit armed a timer due at `dueAt` (it is in the index now): wake earlier if it is the earliest. */
  armed(dueAt: number): void {
    if (this.stopped) return;
    // A pass under way may have read the index before that commit: it looks again when it ends.
    if (this.pass) this.again = true;
    else if (dueAt < this.wakeAt) this.sleepUntil(dueAt);
  }

  /** Stops waking up; resolves once the pass under way (if any) has settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.wake !== undefined) this.clock.clearTimeout(this.wake);
    this.wake = undefined;
    await this.pass;
  }

  /** Starts a pass, or asks the one under way for another; resolves when no pass is left. */
  private run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pass) {
      this.again = true;
      return this.pass;
    }
    this.pass = this.firePasses().finally(() => (this.pass = undefined));
    return this.pass;
  }

  private async firePasses(): Promise<void> {
    do {
      this.again = false;
      await this.fireDue();
    } while (this.again && !this.stopped);
    if (!this.stopped) this.sleepUntilNext();
  }

  /** Fires every timer due now, a batch at a time (each batch's commits settle before the next scan). */
  private async fireDue(): Promise<void> {
    for (;;) {
      if (this.stopped) return;
      const now = this.clock.now();
      // Past the failed ones still waiting out their pause: they stay in the index.
      const due = this.store.dueTimers(now + 1, BATCH + this.retryAt.size).filter((timer) => this.retryAfter(timer) <= now);
      if (due.length === 0) return;
      await Promise.all(due.slice(0, BATCH).map((timer) => this.fireOne(timer, now)));
      // Between batches, I/O and commands get their turn: a million overdue timers must not starve them.
      await yieldToLoop();
    }
  }

  /** When a timer whose firing failed may be tried again (0: it has not failed). */
  private retryAfter(timer: DueTimer): number {
    return this.retryAt.size === 0 ? 0 : (this.retryAt.get(keyOf(timer)) ?? 0);
  }

  private async fireOne(timer: DueTimer, now: number): Promise<void> {
    try {
      await this.fire(timer);
      if (this.retryAt.size > 0) this.retryAt.delete(keyOf(timer));
      // Late until durable: the clock after the commit, not when the pass began.
      this.counters.fired(timer, Math.max(0, this.clock.now() - timer.dueAt));
    } catch (error) {
      this.retryAt.set(keyOf(timer), now + RETRY_MS);
      this.counters.failed(error);
    }
  }

  private sleepUntilNext(): void {
    const now = this.clock.now();
    const [next] = this.store.dueTimers(Number.POSITIVE_INFINITY, 1 + this.retryAt.size)
      .map((timer) => Math.max(timer.dueAt, this.retryAfter(timer)))
      .sort((a, b) => a - b);
    if (next === undefined) {
      this.wakeAt = Number.POSITIVE_INFINITY;
      return;
    }
    this.sleepUntil(Math.max(next, now));
  }

  private sleepUntil(dueAt: number): void {
    if (this.wake !== undefined) this.clock.clearTimeout(this.wake);
    this.wakeAt = dueAt;
    this.wake = this.clock.setTimeout(() => {
      this.wake = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      return this.run();
    }, dueAt - this.clock.now());
  }
}

function keyOf(timer: DueTimer): string {
  return JSON.stringify([timer.stream.type, timer.stream.id, timer.id, timer.dueAt]);
}

// Callers waiting until the replica holds a given JetStream sequence. The sequence only grows, and
// most calls find it reached already; the rest are few at a time (actors being synced), so a
// list scanned only when the lowest awaited sequence is reached is enough.

interface Waiter {
  readonly sequence: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** Waiters on a growing sequence. */
export class SequenceWaiters {
  private reached = 0;
  private waiters: Waiter[] = [];
  private lowest = Number.POSITIVE_INFINITY;
  private failure: { error: unknown } | undefined;

  /** The highest sequence reached so far. */
  get current(): number {
    return this.reached;
  }

  /** Resolves once `sequence` is reached (at once if it is); rejects if the sequence fails first. */
  wait(sequence: number): Promise<void> {
    if (sequence <= this.reached) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure.error);
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ sequence, resolve, reject });
      this.lowest = Math.min(this.lowest, sequence);
    });
  }

  /** The sequence reached `sequence`: every waiter at or below it resolves. */
  advance(sequence: number): void {
    if (sequence <= this.reached) return;
    this.reached = sequence;
    if (sequence < this.lowest) return;
    const waiting: Waiter[] = [];
    this.lowest = Number.POSITIVE_INFINITY;
    for (const waiter of this.waiters) {
      if (waiter.sequence <= sequence) waiter.resolve();
      else {
        waiting.push(waiter);
        this.lowest = Math.min(this.lowest, waiter.sequence);
      }
    }
    this.waiters = waiting;
  }

  /** The sequence will not grow any more: every waiter, present and future, rejects with `error`. */
  fail(error: unknown): void {
    this.failure = { error };
    for (const waiter of this.waiters) waiter.reject(error);
    this.waiters = [];
    this.lowest = Number.POSITIVE_INFINITY;
  }
}

// Readers awaiting a position of one projection (read-your-writes). Owns: each waiter settles
// exactly once, by reaching its position, by a failure that blocks it, by its timeout or by
// close, and its timer is cleared when it does.

interface Waiter {
  readonly position: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/** What a waiter's position currently means: reached, still pending, or blocked by an error. */
export type WaitOutcome = 'reached' | 'pending' | Error;

/** The pending `waitFor` calls of one projection. */
export class PositionWaiters {
  private waiters: Waiter[] = [];

  /** Adds a waiter; `onTimeout` builds the rejection after `timeoutMs` (Infinity: never). */
  add(position: number, timeoutMs: number, onTimeout: () => Error): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = Number.isFinite(timeoutMs)
        ? setTimeout(() => {
            this.waiters = this.waiters.filter((waiter) => waiter !== entry);
            reject(onTimeout());
          }, timeoutMs)
        : undefined;
      const entry: Waiter = { position, resolve, reject, timer };
      this.waiters.push(entry);
    });
  }

  /** Settles every waiter whose outcome is no longer pending. */
  settle(outcome: (position: number) => WaitOutcome): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => {
      const result = outcome(waiter.position);
      if (result === 'pending') return true;
      clearTimeout(waiter.timer);
      if (result === 'reached') waiter.resolve();
      else waiter.reject(result);
      return false;
    });
  }

  /** The lowest awaited position, 0 when nobody waits. */
  lowest(): number {
    let lowest = 0;
    for (const { position } of this.waiters) if (lowest === 0 || position < lowest) lowest = position;
    return lowest;
  }

  /** Rejects every waiter with `error` (the host is closing). */
  rejectAll(error: Error): void {
    this.settle(() => error);
  }
}

// Stops a projection handler call that runs past its time limit. Owns: a worker thread is
// terminated only inside a handler call the host has claimed (never while it commits, so no LMDB
// write is cut short), and close() waits at most CLOSE_GRACE_MS for a call still running.
import type { GenerationSignals } from './signals.js';

/** How long close() lets a running handler call finish before it stops the call's worker. */
export const CLOSE_GRACE_MS = 1_000;

/**
 * Watches partition `partition`'s handler calls while one of its tasks runs. When a single call has
 * run for `limitMs` (for at most CLOSE_GRACE_MS once `closing()`), claims it and calls
 * `expired(position, closing)`, which must stop the worker. Returns the function that stops watching.
 */
export function watchCalls(
  signals: GenerationSignals,
  partition: number,
  limitMs: number,
  closing: () => boolean,
  expired: (position: number, closing: boolean) => void,
): () => void {
  const closeLimit = Math.min(limitMs, CLOSE_GRACE_MS);
  let seen = 0;
  let since = 0;
  // A call is first seen at most one period after it began, so it is stopped once it has run for
  // the limit and at most two periods (half the limit, half a second at most) later.
  const timer = setInterval(() => {
    const call = signals.call(partition);
    const now = performance.now();
    if (call !== seen) {
      seen = call;
      since = now;
      return;
    }
    const isClosing = closing();
    if (now - since < (isClosing ? closeLimit : limitMs)) return;
    const position = signals.claimCall(partition, call);
    if (position === undefined) return;
    clearInterval(timer);
    expired(position, isClosing);
  }, Math.max(1, closeLimit / 4));
  timer.unref();
  return () => clearInterval(timer);
}

// The runtime's sense of time: event timestamps, timer deadlines, and when the timer scheduler
// wakes. The system clock in production; the testing kit's manual clock in tests, so that "30
// minutes later" takes no time and fires exactly what is due.

/** A clock the runtime reads and schedules its wake-ups on. */
export interface RuntimeClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `wake` after `ms` (at the earliest); what `wake` returns is awaited by a manual clock. */
  setTimeout(wake: () => unknown, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** setTimeout's longest delay (about 24.8 days): longer waits wake early and look again. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** Date.now and Node's timers; its wake-ups never keep a process alive on their own. */
export const SYSTEM_CLOCK: RuntimeClock = {
  now: () => Date.now(),
  setTimeout: (wake, ms) => setTimeout(wake, Math.min(Math.max(0, ms), MAX_TIMEOUT_MS)).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

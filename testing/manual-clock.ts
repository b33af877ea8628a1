// A clock that only moves when a test says so: `advance(ms)` walks time forward deadline by
// deadline, running each wake-up due on the way (the timer scheduler's) and waiting for what it
// returns, so every timer due by then has fired, durably, when advance resolves.
import type { RuntimeClock } from '../runtime/clock.js';

interface Waiting {
  readonly at: number;
  readonly wake: () => unknown;
}

export class ManualClock implements RuntimeClock {
  private time: number;
  private readonly waiting = new Map<number, Waiting>();
  private nextHandle = 1;

  constructor(start: number) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(wake: () => unknown, ms: number): unknown {
    const handle = this.nextHandle++;
    this.waiting.set(handle, { at: this.time + Math.max(0, ms), wake });
    return handle;
  }

  clearTimeout(handle: unknown): void {
    this.waiting.delete(handle as number);
  }

  /** Moves time `ms` forward, running (and awaiting) every wake-up due on the way, in deadline order. */
  async advance(ms: number): Promise<void> {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`advanceTime(ms) needs a non-negative number of milliseconds (got ${String(ms)})`);
    const target = this.time + ms;
    for (;;) {
      let earliest: [number, Waiting] | undefined;
      for (const entry of this.waiting) if (entry[1].at <= target && (!earliest || entry[1].at < earliest[1].at)) earliest = entry;
      if (!earliest) break;
      this.waiting.delete(earliest[0]);
      this.time = Math.max(this.time, earliest[1].at);
      await earliest[1].wake();
    }
    this.time = target;
  }
}

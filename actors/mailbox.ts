// A FIFO of work waiting for its actor (while it rehydrates). Capacity is enforced by the actor,
// which counts queued and in-flight commands together: back-pressure, never unbounded memory.

/** A first-in first-out queue with O(1) push and shift. */
export class Mailbox<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.head++;
    // Compact once the consumed prefix dominates, so a long-lived mailbox does not leak.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Empties the mailbox, returning what was queued in order. */
  drain(): T[] {
    const rest = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return rest;
  }
}

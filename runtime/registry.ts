// The live actors, at most one per stream. Map insertion order doubles as recency order (an
// actor is re-inserted on each use), so passivation walks from the least recently used end and
// stops at the first actor too recent to go. Only idle actors (nothing queued or in flight) are
// passivated, so no command is ever dropped or reordered by passivation.
import type { AggregateActor } from '../actors/aggregate-actor.js';

/** Live actors with LRU and idle-time passivation. */
export class Registry {
  private readonly live = new Map<string, AggregateActor>();

  constructor(
    private readonly maxActive: number,
    private readonly idleTimeoutMs: number,
    private readonly passivated: () => void,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** The live actor for `key`, marked most recently used. */
  use(key: string, now: number): AggregateActor | undefined {
    const actor = this.live.get(key);
    if (actor) {
      this.live.delete(key);
      this.live.set(key, actor);
      actor.lastUsed = now;
    }
    return actor;
  }

  add(key: string, actor: AggregateActor, now: number): void {
    actor.lastUsed = now;
    this.live.set(key, actor);
    if (this.live.size > this.maxActive) this.evict(this.live.size - this.maxActive, Infinity);
  }

  values(): IterableIterator<AggregateActor> {
    return this.live.values();
  }

  /** Passivates actors idle for longer than the idle timeout. */
  sweep(now: number): void {
    if (this.idleTimeoutMs > 0) this.evict(this.live.size, now - this.idleTimeoutMs);
  }

  /** Passivates up to `count` idle actors last used before `before`, oldest first. */
  private evict(count: number, before: number): void {
    let evicted = 0;
    for (const [key, actor] of this.live) {
      if (evicted >= count || actor.lastUsed >= before) return;
      if (!actor.idle) continue;
      actor.stop();
      this.live.delete(key);
      this.passivated();
      evicted++;
    }
  }

  /** Stops every actor (on close, once all are idle). */
  clear(): void {
    for (const actor of this.live.values()) actor.stop();
    this.live.clear();
  }
}

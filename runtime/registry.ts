// The live actors, at most one per stream. A use only stamps `lastUsed` (no reordering on the
// hot path); eviction walks the Map from its oldest insertion and gives recently used actors a
// second chance by moving them to the end (the CLOCK approximation of LRU). Only idle actors
// (nothing queued or in flight) are passivated, so passivation never drops or reorders a command.
import type { AggregateActor } from '../actors/aggregate-actor.js';

/** Live actors with LRU-approximate and idle-time passivation. */
export class Registry {
  private readonly live = new Map<string, AggregateActor>();
  private lastTrim = -Infinity;

  constructor(
    private readonly maxActive: number,
    private readonly idleTimeoutMs: number,
    private readonly passivated: () => void,
  ) {}

  get size(): number {
    return this.live.size;
  }

  /** The live actor for `key`, stamped as used now. */
  use(key: string, now: number): AggregateActor | undefined {
    const actor = this.live.get(key);
    if (actor) actor.lastUsed = now;
    return actor;
  }

  add(key: string, actor: AggregateActor, now: number): void {
    actor.lastUsed = now;
    this.live.set(key, actor);
    this.trim(now);
  }

  values(): IterableIterator<AggregateActor> {
    return this.live.values();
  }

  /** Passivates every idle actor unused for longer than the idle timeout. */
  sweep(now: number): void {
    if (this.idleTimeoutMs > 0) {
      const cutoff = now - this.idleTimeoutMs;
      for (const [key, actor] of this.live) if (actor.lastUsed < cutoff && actor.idle) this.passivate(key, actor);
    }
    this.trim(now);
  }

  /** Brings the live set back under maxActiveActors, least recently used idle actors first. */
  private trim(now: number): void {
    // Every call is a pass of the clock hand, also when nothing has to go: otherwise the first pass
    // over capacity would find everyone "used since the previous pass" and the next would evict the
    // newest actors first.
    const previousPass = this.lastTrim;
    this.lastTrim = now;
    let excess = this.live.size - this.maxActive;
    if (excess <= 0) return;
    let budget = this.live.size;
    for (const [key, actor] of this.live) {
      if (excess === 0 || budget-- === 0) break;
      if (!actor.idle) continue;
      // Used since the previous pass (or added by it): a second chance at the young end of the Map.
      if (actor.lastUsed >= previousPass) {
        this.live.delete(key);
        this.live.set(key, actor);
        continue;
      }
      this.passivate(key, actor);
      excess--;
    }
  }

  private passivate(key: string, actor: AggregateActor): void {
    actor.stop();
    this.live.delete(key);
    this.passivated();
  }

  /** Stops every actor (on close, once all are idle). */
  clear(): void {
    for (const actor of this.live.values()) actor.stop();
    this.live.clear();
  }
}

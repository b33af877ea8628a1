// The live actors, at most one per stream. A use only stamps `lastUsed` (no reordering on the
// hot path); eviction walks `order` from its oldest insertion and gives actors used since the
// previous pass a second chance by moving them to the end (the CLOCK approximation of LRU). Only
// idle actors (nothing queued or in flight) are passivated, so no command is dropped or reordered;
// maxActiveActors is a hard cap, so when every live actor is busy a new one is not admitted.
import type { AggregateActor } from '../actors/aggregate-actor.js';
import { StreamMap } from '../storage/stream-map.js';

/** Live actors with LRU-approximate and idle-time passivation. */
export class Registry {
  private readonly live = new StreamMap<AggregateActor>();
  /** Insertion order is the clock's sweep order. */
  private readonly order = new Set<AggregateActor>();
  private lastTrim = -Infinity;

  constructor(
    private readonly maxActive: number,
    private readonly idleTimeoutMs: number,
    private readonly passivated: (actor: AggregateActor) => void,
  ) {}

  get size(): number {
    return this.order.size;
  }

  /** The live actor of the stream, stamped as used now. */
  use(type: string, id: string, now: number): AggregateActor | undefined {
    const actor = this.live.get(type, id);
    if (actor) actor.lastUsed = now;
    return actor;
  }

  /**
   * Makes room for one more actor, passivating idle ones (least recently used first, then any);
   * false when all `maxActiveActors` live actors are busy.
   */
  admit(now: number): boolean {
    if (this.order.size < this.maxActive) return true;
    this.trim(now, 1);
    if (this.order.size < this.maxActive) return true;
    // Every idle actor was given its second chance by that pass: the oldest one goes now.
    for (const actor of this.order) {
      if (!actor.idle) continue;
      this.passivate(actor);
      return true;
    }
    return false;
  }

  /** Adds an actor `admit` made room for. */
  add(actor: AggregateActor, now: number): void {
    actor.lastUsed = now;
    this.live.set(actor.stream.type, actor.stream.id, actor);
    this.order.add(actor);
    this.trim(now);
  }

  values(): IterableIterator<AggregateActor> {
    return this.order.values();
  }

  /** Passivates every idle actor unused for longer than the idle timeout. */
  sweep(now: number): void {
    if (this.idleTimeoutMs > 0) {
      const cutoff = now - this.idleTimeoutMs;
      for (const actor of this.order) if (actor.lastUsed < cutoff && actor.idle) this.passivate(actor);
    }
    this.trim(now);
  }

  /** Brings the live set to `room` under maxActiveActors, least recently used idle actors first. */
  private trim(now: number, room = 0): void {
    // Every call is a pass of the clock hand, also when nothing has to go: otherwise the first pass
    // over capacity would find everyone "used since the previous pass" and the next would evict the
    // newest actors first.
    const previousPass = this.lastTrim;
    this.lastTrim = now;
    let excess = this.order.size - this.maxActive + room;
    if (excess <= 0) return;
    let budget = this.order.size;
    for (const actor of this.order) {
      if (excess === 0 || budget-- === 0) break;
      if (!actor.idle) continue;
      // Used since the previous pass (an actor added by that pass included): a second chance at the young end.
      if (actor.lastUsed >= previousPass) {
        this.order.delete(actor);
        this.order.add(actor);
        continue;
      }
      this.passivate(actor);
      excess--;
    }
  }

  private passivate(actor: AggregateActor): void {
    actor.stop();
    this.live.delete(actor.stream.type, actor.stream.id);
    this.order.delete(actor);
    this.passivated(actor);
  }

  /** Passivates every idle actor `stale` picks (a cluster node's actors of a partition whose owner changed). */
  evict(stale: (actor: AggregateActor) => boolean): void {
    for (const actor of this.order) if (actor.idle && stale(actor)) this.passivate(actor);
  }

  /** Stops every actor (on close, once all are idle). */
  clear(): void {
    for (const actor of this.order) actor.stop();
    this.live.clear();
    this.order.clear();
  }
}

// Who serves which partition. Every node writes a heartbeat key and watches the bucket; the live
// nodes are those whose heartbeat changed within the last lease period, as seen on the watcher's
// own clock (no clock is compared across machines). Each partition belongs to the live node that
// rendezvous hashing ranks first, so a join or a leave moves only the partitions it must, and no
// node coordinates the others. Ownership is a lease key taken with create or compare-and-set and
// renewed every quarter period:
// - the owner serves a partition only within three quarters of a period from the start of its
//   last successful renewal, so it stops before anyone else may take the lease;
// - another node takes a lease only when its revision has not changed for a whole period (as it saw it).
// Leases only place work: the expected-sequence check on every append is what keeps a stream whole.
import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { ClusterNames } from './cluster-names.js';
import { rendezvousOwner } from './rendezvous.js';

/**
 * How much of a lease period its owner serves after starting a renewal: the quarter left covers a
 * watcher seeing that renewal late and clocks running at slightly different rates.
 */
const SERVE_FRACTION = 0.75;

/** What the rest of the node hears about its partitions. */
export interface LeaseEvents {
  gained(partition: number): void;
  lost(partition: number): void;
}

interface Seen {
  readonly revision: number;
  /** When this node saw the revision appear (performance.now()). */
  readonly at: number;
  readonly deleted: boolean;
  readonly node: string | undefined;
}

interface Held {
  readonly revision: number;
  /** When the write that produced `revision` was started (performance.now()). */
  readonly from: number;
}

/** The node's leases and its view of the other nodes. */
export class PartitionLeases {
  private readonly held = new Map<number, Held>();
  private readonly seen = new Map<string, Seen>();
  private readonly value: Uint8Array;
  private watcher: QueuedIterator<KvWatchEntry> | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private expiry: NodeJS.Timeout | undefined;
  /** This node's heartbeats written that the watcher has not shown yet: revision, and when the write began (performance.now()). */
  private readonly unseen: { readonly revision: number; readonly at: number }[] = [];
  private ticking: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly kv: KV,
    private readonly names: ClusterNames,
    private readonly nodeId: string,
    private readonly leaseMs: number,
    private readonly events: LeaseEvents,
  ) {
    this.value = new TextEncoder().encode(JSON.stringify({ node: nodeId }));
  }

  /** Starts watching and takes the partitions this node should own that are free; resolves after the first round. */
  async start(): Promise<void> {
    await this.startWatching();
    await this.tick();
    this.ticker = setInterval(() => void this.tick(), Math.max(50, Math.floor(this.leaseMs / 4)));
  }

  /** True while this node may write the partition (see the file comment). */
  serves(partition: number): boolean {
    const held = this.held.get(partition);
    return held !== undefined && performance.now() - held.from < this.leaseMs * SERVE_FRACTION;
  }

  /** The node holding the partition's lease, as this node last saw the bucket (itself included); undefined when nobody does. */
  holderOf(partition: number): string | undefined {
    const seen = this.seen.get(this.names.leaseKey(partition));
    return seen && !seen.deleted ? seen.node : undefined;
  }

  /** The partitions this node holds now. */
  owned(): number[] {
    return [...this.held.keys()].filter((partition) => this.serves(partition));
  }

  /** Stops renewing; gives back every lease and the heartbeat, so the others take over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.ticker);
    clearTimeout(this.expiry);
    await this.ticking;
    const releases = [...this.held].map(([partition, held]) => this.release(partition, held));
    await Promise.allSettled([...releases, this.kv.delete(this.names.nodeKey(this.nodeId))]);
    this.watcher?.stop();
  }

  /**
   * (Re)starts the bucket's watcher. It is a consumer living on one server, which may die with it
   * while this node's connection moves to another, without ending: a watcher that has not shown
   * a heartbeat of this node a period after it was written is replaced (see round()).
   */
  private async startWatching(): Promise<void> {
    this.watcher?.stop();
    this.watcher = await this.kv.watch();
    void this.watch(this.watcher);
  }

  private async watch(watcher: QueuedIterator<KvWatchEntry>): Promise<void> {
    try {
      for await (const entry of watcher) {
        let node: string | undefined;
        if (entry.operation === 'PUT' && entry.key.startsWith('lease.')) node = (entry.json<{ node?: string }>()).node;
        // A revision seen before (a new watcher replays the bucket) keeps the time it was first
        // seen: otherwise every restart would make a silent node's leases look fresh for a period more.
        const before = this.seen.get(entry.key);
        const at = before?.revision === entry.revision ? before.at : performance.now();
        this.seen.set(entry.key, { revision: entry.revision, at, deleted: entry.operation !== 'PUT', node });
      }
    } catch {
      // The watcher ends with the connection; renewals fail then too, and serves() lapses.
    }
  }

  private tick(): Promise<void> {
    if (this.stopped || this.ticking) return this.ticking ?? Promise.resolve();
    this.ticking = this.round().finally(() => (this.ticking = undefined));
    return this.ticking;
  }

  private async round(): Promise<void> {
    const from = performance.now();
    const shown = this.seen.get(this.names.nodeKey(this.nodeId))?.revision ?? 0;
    while (this.unseen.length > 0 && this.unseen[0]!.revision <= shown) this.unseen.shift();
    // Measured from the oldest heartbeat not shown, not the newest (which is always recent while
    // writes succeed): a watcher that lags a whole period shows stale revisions, which no
    // compare-and-set can win, and a stale view of who is alive. (Half a period was too eager on
    // a loaded machine, where a live watcher can lag that much.)
    if (this.unseen.length > 0 && from - this.unseen[0]!.at > this.leaseMs) {
      this.unseen.length = 0;
      await this.startWatching().catch(() => undefined);
    }
    const heartbeat = this.kv.put(this.names.nodeKey(this.nodeId), this.value).then((revision) => {
      this.unseen.push({ revision, at: from });
    }, () => {
      // Unreachable NATS: the renewals fail as well, and serving lapses on time.
    });
    const live = this.liveNodes(from);
    const steps: Promise<void>[] = [heartbeat];
    for (let partition = 0; partition < this.names.partitions; partition++) {
      steps.push(this.step(partition, rendezvousOwner(partition, live) === this.nodeId, from));
    }
    await Promise.all(steps);
    this.wakeAtNextExpiry();
  }

  /**
   * Looks again the moment another node's heartbeat or lease could lapse, rather than at the next
   * quarter-period tick: a dead node's partitions are taken over a lease period after it went quiet.
   */
  private wakeAtNextExpiry(): void {
    if (this.stopped) return;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [key, seen] of this.seen) {
      if (seen.deleted || key === this.names.nodeKey(this.nodeId) || seen.node === this.nodeId) continue;
      const lapse = seen.at + this.leaseMs;
      if (lapse > now) next = Math.min(next, lapse);
    }
    clearTimeout(this.expiry);
    if (next !== Number.POSITIVE_INFINITY) {
      this.expiry = setTimeout(() => void this.tick(), next - now + 1);
      this.expiry.unref();
    }
  }

  /** The nodes whose heartbeat changed within the last lease period, this one included. */
  private liveNodes(now: number): string[] {
    const live = new Set([this.nodeId]);
    for (const [key, seen] of this.seen) {
      if (key.startsWith('node.') && !seen.deleted && now - seen.at < this.leaseMs) live.add(key.slice('node.'.length));
    }
    return [...live];
  }

  private async step(partition: number, wanted: boolean, from: number): Promise<void> {
    const held = this.held.get(partition);
    if (held && !wanted) return this.release(partition, held);
    if (held) return this.write(partition, () => this.kv.update(this.names.leaseKey(partition), this.value, held.revision), from);
    if (!wanted) return;
    const key = this.names.leaseKey(partition);
    const seen = this.seen.get(key);
    if (!seen || seen.deleted) return this.write(partition, () => this.kv.create(key, this.value), from);
    // Ours from an earlier run of this node, or left by a node silent for a whole period: taken over.
    if (seen.node === this.nodeId || from - seen.at >= this.leaseMs) {
      return this.write(partition, () => this.kv.update(key, this.value, seen.revision), from);
    }
  }

  /** Takes or renews a lease; losing the compare-and-set (or NATS) means the partition is not ours. */
  private async write(partition: number, write: () => Promise<number>, from: number): Promise<void> {
    const had = this.held.has(partition);
    try {
      const revision = await write();
      if (this.stopped) return;
      this.held.set(partition, { revision, from });
      if (!had) this.events.gained(partition);
    } catch {
      if (!had) return;
      this.held.delete(partition);
      this.events.lost(partition);
    }
  }

  /** Stops serving first, then deletes the lease (if still ours) so its next owner need not wait. */
  private async release(partition: number, held: Held): Promise<void> {
    this.held.delete(partition);
    this.events.lost(partition);
    try {
      await this.kv.delete(this.names.leaseKey(partition), { previousSeq: held.revision });
    } catch {
      // Taken over meanwhile, or NATS unreachable: the lease lapses on its own.
    }
  }
}

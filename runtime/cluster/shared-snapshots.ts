// Snapshots every node can read. Each node keeps its snapshots in its own LMDB (its replica), so a
// node that takes over an aggregate it never owned would replay its whole stream; the owner also
// puts each snapshot it writes into a key-value bucket (the latest per stream), and a new owner
// copies it into its replica before the aggregate loads. Best effort both ways: a snapshot only
// spares replay (and is checked against the machine's fingerprint like any other), so a failed
// put or get costs time, never correctness.
import type { KV } from '@nats-io/kv';
import { Packr } from 'msgpackr';
import type { StoredSnapshot, StreamRef } from '../../storage/event-log.js';
import type { ClusterNames } from './cluster-names.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** The latest snapshot of each stream, shared through a key-value bucket. */
export class SharedSnapshots {
  constructor(
    private readonly kv: KV,
    private readonly names: ClusterNames,
  ) {}

  /** Shares a snapshot this node wrote (durably, in its replica); a failure (too large, NATS away) is ignored. */
  publish(stream: StreamRef, snapshot: StoredSnapshot): void {
    this.kv.put(this.names.snapshotKey(stream), packr.pack(snapshot)).catch(() => undefined);
  }

  /** The stream's latest shared snapshot; undefined when there is none or it cannot be read. */
  async latest(stream: StreamRef): Promise<StoredSnapshot | undefined> {
    try {
      const entry = await this.kv.get(this.names.snapshotKey(stream));
      return entry && entry.operation === 'PUT' ? (packr.unpack(entry.value) as StoredSnapshot) : undefined;
    } catch {
      return undefined;
    }
  }
}

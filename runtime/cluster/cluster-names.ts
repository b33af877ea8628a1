// Every name a cluster uses on NATS, in one place: docs/operations.md's permissions block lists
// the same ones. A stream's subject carries its partition, so an operator can tell load apart, and
// its type and id in base64url, since an id may hold any character and subject tokens may not.
import { fnv1a } from '../../storage/id-hash.js';
import type { StreamRef } from '../../storage/keys.js';

/** The NATS names of one cluster. */
export class ClusterNames {
  /** The JetStream stream holding the log. */
  readonly stream: string;
  /** The key-value bucket holding partition leases and node heartbeats. */
  readonly bucket: string;
  /** The key-value bucket holding the latest snapshot of each stream (shared-snapshots.ts). */
  readonly snapshotBucket: string;
  /** Every subject of the log (the stream's subject filter). */
  readonly logSubjects: string;

  constructor(
    readonly name: string,
    readonly partitions: number,
  ) {
    this.stream = `REHYDRA_${name}`;
    this.bucket = `rehydra_${name}`;
    this.snapshotBucket = `rehydra_${name}_snapshots`;
    this.logSubjects = `rehydra.${name}.log.>`;
  }

  /** The partition of a stream: FNV-1a of its type and id (the same on every node and every release). */
  partitionOf(stream: StreamRef): number {
    return fnv1a(`${stream.type}\u0000${stream.id}`) % this.partitions;
  }

  /** The subject a stream's messages are published on; JetStream checks expected sequences per subject. */
  subjectOf(stream: StreamRef, partition = this.partitionOf(stream)): string {
    return `rehydra.${this.name}.log.${partition}.${base64url(stream.type)}.${base64url(stream.id)}`;
  }

  /** The subject calls forwarded to a node travel on; that node subscribes. */
  rpcSubject(nodeId: string): string {
    return `rehydra.${this.name}.rpc.${nodeId}`;
  }

  /** The key of a stream's shared snapshot in the snapshot bucket. */
  snapshotKey(stream: StreamRef): string {
    return `snapshot.${base64url(stream.type)}.${base64url(stream.id)}`;
  }

  /** The lease key of a partition in the bucket. */
  leaseKey(partition: number): string {
    return `lease.${partition}`;
  }

  /** The heartbeat key of a node in the bucket. */
  nodeKey(nodeId: string): string {
    return `node.${nodeId}`;
  }
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}

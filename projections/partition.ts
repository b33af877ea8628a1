// Which partition owns an aggregate: the FNV-1a hash of its id (stored in every event's header,
// see storage/id-hash.ts) modulo the partition count. Checkpoints are per partition, so this must
// never change; every event of a stream lands in the same partition, in order.
import { fnv1a } from '../storage/id-hash.js';

export { fnv1a } from '../storage/id-hash.js';

/** The partition (0-based) of an id hash among `partitions`. */
export function partitionOfHash(hash: number, partitions: number): number {
  return partitions === 1 ? 0 : hash % partitions;
}

/** The partition (0-based) of `aggregateId` among `partitions`. */
export function partitionOf(aggregateId: string, partitions: number): number {
  return partitionOfHash(fnv1a(aggregateId), partitions);
}

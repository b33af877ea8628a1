// Rendezvous (highest random weight) hashing: each partition goes to the node whose hash with it
// ranks first. Every node computes the same answer from the same live set, with no coordinator,
// and a node joining or leaving moves only the partitions it wins or held.
import { fnv1a } from '../../storage/id-hash.js';

/** The node that owns `partition` among `nodes` (undefined when there is none). */
export function rendezvousOwner(partition: number, nodes: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestWeight = -1;
  for (const node of nodes) {
    // FNV-1a spreads poorly over near-equal inputs: a final avalanche (murmur3's fmix32) evens the weights.
    let weight = fnv1a(`${partition}\u0000${node}`);
    weight = Math.imul(weight ^ (weight >>> 16), 0x85ebca6b);
    weight = Math.imul(weight ^ (weight >>> 13), 0xc2b2ae35);
    weight = (weight ^ (weight >>> 16)) >>> 0;
    if (weight > bestWeight || (weight === bestWeight && node < best!)) {
      best = node;
      bestWeight = weight;
    }
  }
  return best;
}

// Projection checkpoints read straight from the views environment, opened read-only: the
// ViewStore creates its directory and opens for writing, which an inspector must never do.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type Key } from 'lmdb';
import { closeThroughGate, openThroughGate } from '../storage/open-gate.js';
import { viewsPath } from '../storage/views.js';

/** One projection's active generation and the last position each partition applied. */
export interface StoredCheckpoints {
  readonly projection: string;
  readonly generation: number;
  /** Index = partition; 0 before a partition's first commit. */
  readonly partitions: readonly number[];
}

/** Every started projection's checkpoints; empty when no projection ever ran. */
export async function readCheckpoints(path: string): Promise<StoredCheckpoints[]> {
  const dir = viewsPath(path);
  if (!existsSync(join(dir, 'data.mdb'))) return [];
  // Through the gate: opening beside a running writer must not undo its last commit (open-gate.ts).
  const env = openThroughGate(path, 'read', () => open({ path: dir, readOnly: true, maxDbs: 4 }));
  try {
    const checkpoints = env.openDB<number, Key[]>('checkpoints', {}) as Database<number, Key[]> | undefined;
    const generations = env.openDB<[number, number], string>('generations', {}) as Database<[number, number], string> | undefined;
    // A read-only open returns undefined for a database the runtime has not created yet.
    if (!checkpoints || !generations) return [];
    const found: StoredCheckpoints[] = [];
    for (const { key, value } of generations.getRange({})) {
      const [generation, count] = value;
      const partitions = Array.from({ length: count }, (_, partition) => checkpoints.get([key, generation, partition]) ?? 0);
      found.push({ projection: key, generation, partitions });
    }
    return found;
  } finally {
    await closeThroughGate(path, () => env.close());
  }
}

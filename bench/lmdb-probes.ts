// What the benchmarks read from lmdb-js that its types omit: the fsync promise a write carries
// under `separateFlushed: true`, and the environment's transaction counter (to report events/txn).
import type { RootDatabase } from 'lmdb';

/** A write promise of an environment opened with `separateFlushed: true`. */
type SeparatelyFlushed = Promise<boolean> & { readonly flushed?: Promise<unknown> };

/** The fsync promise of a write; throws if the environment was not opened with `separateFlushed`. */
export function flushedOf(write: Promise<boolean>): Promise<unknown> {
  const flushed = (write as SeparatelyFlushed).flushed;
  if (!flushed) throw new TypeError('the write has no .flushed promise: open the environment with separateFlushed: true');
  return flushed;
}

/** The id of the environment's last committed write transaction. */
export function lastTxnId(env: RootDatabase): number {
  const { lastTxnId: id } = env.getStats() as { lastTxnId?: unknown };
  if (typeof id !== 'number') throw new TypeError('lmdb-js getStats() has no numeric lastTxnId');
  return id;
}

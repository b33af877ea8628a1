// The design's own limit on this machine (DESIGN.md "Targets"): the main thread must pay, per
// command, at least one lmdb-js put and one XState send, so commands/s cannot exceed
// 1 / (1/raw.lmdb.put + 1/raw.xstate.send). Both are taken from the same run, never remembered.
import type { Reference, Results } from './scenario.js';

/** The storage limit's key: pipelined durable lmdb-js puts (bench/storage-append.bench.ts). */
export const STORAGE_LIMIT_KEY = 'raw.lmdb.put';
/** The evolve limit's key: bare XState sends to random live actors (bench/xstate-limits.bench.ts). */
export const EVOLVE_LIMIT_KEY = 'raw.xstate.send';

/** `limit` in commands/s, or undefined when either half was not measured in this run. */
export function designLimit(results: Results): number | undefined {
  const put = results.get(STORAGE_LIMIT_KEY)?.perSec;
  const send = results.get(EVOLVE_LIMIT_KEY)?.perSec;
  if (put === undefined || send === undefined || put <= 0 || send <= 0) return undefined;
  return 1 / (1 / put + 1 / send);
}

/** The limit as a table reference: `≥ 0.8× limit`, `0.61× limit`. */
export const LIMIT: Reference = { label: 'limit', value: designLimit };

/** The line printed under the table, so the limit every ratio uses is visible with its inputs. */
export function describeLimit(results: Results): string {
  const limit = designLimit(results);
  if (limit === undefined) return `limit: not measured in this run (needs ${STORAGE_LIMIT_KEY} and ${EVOLVE_LIMIT_KEY})`;
  const rate = (key: string) => `${Math.round(results.get(key)!.perSec!).toLocaleString('en-US')}/s`;
  return (
    `limit = 1 / (1/${STORAGE_LIMIT_KEY} + 1/${EVOLVE_LIMIT_KEY}) = 1 / (1/${rate(STORAGE_LIMIT_KEY)} + 1/${rate(EVOLVE_LIMIT_KEY)}) ` +
    `= ${Math.round(limit).toLocaleString('en-US')} commands/s`
  );
}

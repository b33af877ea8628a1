// Whether an LMDB database holds no key: one cursor step, no read transaction kept.
import type { Database, Key } from 'lmdb';

/** True when `db` has no entry. */
export function isEmpty<K extends Key>(db: Database<unknown, K>): boolean {
  for (const _ of db.getKeys({ limit: 1, snapshot: false })) return false;
  return true;
}

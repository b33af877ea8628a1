// One writer per data directory. LMDB lets many processes write, so the single-writer rule
// (positions are assigned in memory) is a claim in the events environment's meta database: the
// owner's pid and process start time, read and set in ONE LMDB write transaction. LMDB serializes
// write transactions across processes with a robust mutex the kernel releases when its holder
// dies, so processes starting together on a stale claim cannot both win it. A claim whose owner is
// gone (SIGKILL) or whose pid now belongs to another process is stale and taken over.
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Database } from 'lmdb';
import { StorageLockedError } from './errors.js';

const CLAIM_KEY = 'writer';
/** The pid file of earlier versions: its presence means nothing now, so it is cleaned up. */
const LEGACY_LOCK_FILE = 'rehydra.writer.lock';

/** Who writes a data directory. */
interface Owner {
  readonly pid: number;
  readonly started: string;
}

/** A held writer claim; `release` gives it up (before the environment closes). */
export interface WriterLock {
  release(): void;
}

/** Paths this process writes: lmdb-js shares one environment per path within a process, so a second
 *  writing open here is refused before it opens (and could later close) that shared environment. */
const heldHere = new Set<string>();

/** The process start time in clock ticks since boot (field 22 of /proc/PID/stat), or '' off Linux. */
function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const started = processStart(owner.pid);
  return started === '' || owner.started === '' || started === owner.started;
}

function ownerOf(value: unknown): Owner | undefined {
  const candidate = value as Partial<Owner> | undefined;
  return typeof candidate?.pid === 'number' ? { pid: candidate.pid, started: String(candidate.started ?? '') } : undefined;
}

/** Throws StorageLockedError if this process already writes `dir`; call before opening its environment. */
export function refuseSecondWriterHere(dir: string): void {
  if (heldHere.has(resolve(dir))) throw new StorageLockedError(dir, process.pid);
}

/**
 * Claims `dir` for this process in `meta` (the events environment's meta database, open for
 * writing), or throws StorageLockedError naming the path and the live owner.
 */
export function claimWriter(dir: string, meta: Database): WriterLock {
  const key = resolve(dir);
  refuseSecondWriterHere(dir);
  const me: Owner = { pid: process.pid, started: processStart(process.pid) };
  const holder = meta.transactionSync(() => {
    const current = ownerOf(meta.get(CLAIM_KEY));
    if (current && isAlive(current)) return current;
    meta.put(CLAIM_KEY, me);
    return undefined;
  });
  if (holder) throw new StorageLockedError(dir, holder.pid);
  heldHere.add(key);
  rmSync(join(dir, LEGACY_LOCK_FILE), { force: true });
  return {
    release: () => {
      heldHere.delete(key);
      try {
        meta.transactionSync(() => {
          const current = ownerOf(meta.get(CLAIM_KEY));
          if (current?.pid === me.pid && current.started === me.started) meta.remove(CLAIM_KEY);
        });
      } catch {
        // The environment cannot write (a full or failed disk): the claim stays, and is stale,
        // hence taken over, once this process exits. close() must still resolve.
      }
    },
  };
}

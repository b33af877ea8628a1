// One writer per data directory. LMDB itself lets many processes write, so the single-writer
// rule (positions are assigned in memory) is enforced by a lock file holding the owner's pid and
// process start time. A lock whose owner is gone (SIGKILL) or is another process that reused the
// pid is stale and taken over, so a crash never blocks the next open.
import { closeSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { StorageLockedError } from './errors.js';

const LOCK_FILE = 'rehydra.writer.lock';

interface LockOwner {
  readonly pid: number;
  readonly started: string;
}

/** A held writer lock; `release` removes it. */
export interface WriterLock {
  release(): void;
}

/** The process start time in clock ticks since boot (field 22 of /proc/PID/stat), or '' off Linux. */
function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

function isAlive(owner: LockOwner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const started = processStart(owner.pid);
  return started === '' || owner.started === '' || started === owner.started;
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner>;
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, started: String(parsed.started ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the writer lock of `dir` or throws StorageLockedError naming the path and owner. */
export function acquireWriterLock(dir: string): WriterLock {
  const file = join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, started: processStart(process.pid) };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      return { release: () => unlinkSync(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const owner = readOwner(file);
    if (owner && isAlive(owner)) throw new StorageLockedError(dir, owner.pid);
    // An unreadable file is either a writer between open and write (give it a moment) or the
    // remains of one killed right there (stale on the second look).
    if (!owner && attempt === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    else rmSync(file, { force: true });
  }
  throw new StorageLockedError(dir, readOwner(file)?.pid ?? -1);
}

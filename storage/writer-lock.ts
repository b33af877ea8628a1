// One writer per data directory. LMDB lets many processes write, so the single-writer rule
// (positions are assigned in memory) is a claim: the owner's pid and process start time in
// `<path>/rehydra.writer.lock`. It is read and written only inside the open gate (open-gate.ts),
// which no two processes hold at once, so processes starting together on a stale claim cannot
// both take it. A claim whose owner is gone (SIGKILL) or whose pid now belongs to another
// process is stale and taken over.
import { readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { StorageLockedError } from './errors.js';
import { textOf, writeWhole } from './whole-files.js';

/** Also the name of the pid file of earlier versions, which wrote the same fields. */
const CLAIM_FILE = 'rehydra.writer.lock';

/** A process, told apart from a later one that reuses its pid by its start time. */
export interface Owner {
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

/** This process, as a claim names it. */
export function thisProcess(): Owner {
  return { pid: process.pid, started: processStart(process.pid) };
}

/** Whether `owner` still runs: its pid is alive and was started when the claim says. */
export function isAlive(owner: Owner): boolean {
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  const started = processStart(owner.pid);
  return started === '' || owner.started === '' || started === owner.started;
}

/** The owner a parsed claim or request names, or undefined when it names none. */
export function ownerOf(value: unknown): Owner | undefined {
  const candidate = value as Partial<Owner> | null | undefined;
  return typeof candidate?.pid === 'number' ? { pid: candidate.pid, started: String(candidate.started ?? '') } : undefined;
}

/** The parsed JSON of `text`, or undefined when it is not JSON (a claim from elsewhere, garbage). */
export function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function readClaim(dir: string): Owner | undefined {
  return ownerOf(parsedOrUndefined(textOf(join(dir, CLAIM_FILE))));
}

/** The live process that writes `dir`, if any. Read it inside the open gate. */
export function liveWriter(dir: string): Owner | undefined {
  const owner = readClaim(dir);
  return owner && isAlive(owner) ? owner : undefined;
}

/** Whether this process (this thread's modules) holds the claim of `dir`. */
export function writesHere(dir: string): boolean {
  return heldHere.has(resolve(dir));
}

/** Throws StorageLockedError if this process already writes `dir`; call before opening its environment. */
export function refuseSecondWriterHere(dir: string): void {
  if (writesHere(dir)) throw new StorageLockedError(dir, process.pid);
}

/**
 * Claims `dir` for this process. Call inside the open gate, once `liveWriter(dir)` found no live
 * writer: the claim replaces a stale one (written to a temporary file and renamed, so a reader
 * never sees half of it).
 */
export function claimWriter(dir: string): WriterLock {
  const key = resolve(dir);
  refuseSecondWriterHere(dir);
  const me = thisProcess();
  writeWhole(join(dir, CLAIM_FILE), JSON.stringify(me));
  heldHere.add(key);
  return {
    release: () => {
      heldHere.delete(key);
      const current = readClaim(dir);
      // Taken over meanwhile (this process was judged dead): the claim is no longer this one's to remove.
      if (current?.pid !== me.pid || current.started !== me.started) return;
      try {
        rmSync(join(dir, CLAIM_FILE), { force: true });
      } catch {
        // The directory cannot be written any more: the claim stays, and is stale, hence taken
        // over, once this process exits. close() must still resolve.
      }
    },
  };
}

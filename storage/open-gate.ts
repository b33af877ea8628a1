// Opening an LMDB environment while another process commits to it can lose that commit: lmdb-js
// 3.5's LMDB sets the shared "last transaction" to the one the opener read from the file, without
// the write lock (upstream LMDB fixed this as ITS#9496; lmdb-js's copy lacks the fix), so the next
// write transaction starts from the older meta page and overwrites the newer one. Every process
// therefore opens a data directory's environments through this gate:
// - the gate is the write lock of a tiny LMDB environment, `<path>/open-gate`, that never commits
//   (so the bug cannot touch it), held while the opener opens: no two processes open at once;
//   this process keeps it open once opened (see `kept`), and closes take their turn too;
// - a writing open first reads the claim (writer-lock.ts) and, if a live process writes, is
//   refused without opening anything;
// - a read-only open beside a live writer asks it to pause: the writer holds its environments'
//   write locks (open-requests.ts) while the reader opens, so no commit can land in between.
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ABORT, open, type RootDatabase } from 'lmdb';
import { StorageLockedError } from './errors.js';
import { textOf, writeWhole } from './whole-files.js';
import { liveWriter, thisProcess, writesHere, type Owner } from './writer-lock.js';

/** A reader's request that the writer pause its commits: JSON of its Owner and a nonce. */
export const OPEN_REQUEST = 'rehydra.open-request';
/** The writer's answer: the nonce of the request it now holds its write locks for. */
export const OPEN_GRANT = 'rehydra.open-granted';
/** How long a reader waits for the writer to pause, unless a seam says otherwise. */
const GRANT_WAIT_MS = 10_000;

const tick = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread until `done()` or `ms` passed; whether `done()` held. */
export function waitSync(done: () => boolean, ms: number): boolean {
  const end = Date.now() + ms;
  while (!done()) {
    if (Date.now() >= end) return false;
    Atomics.wait(tick, 0, 0, 1);
  }
  return true;
}

/** A gate this thread keeps open, and the identity of its lock file (a directory made anew has another gate). */
interface KeptGate {
  readonly env: RootDatabase;
  readonly lockFile: string;
}

/**
 * Gates this thread opened, least recently used first. They stay open: lmdb-js breaks
 * ("No transaction to renew") when several processes each open and close one environment over
 * and over, so each process opens a directory's gate once (a writer's is closed with it: dropGate).
 */
const kept = new Map<string, KeptGate>();
const GATES_KEPT = 32;

function lockFileOf(dir: string): string {
  try {
    const stat = statSync(join(dir, 'lock.mdb'));
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return '';
  }
}

/** The gate this thread keeps for `path`, if it is still that directory's gate; marked as just used. */
function keptGate(path: string): RootDatabase | undefined {
  const key = resolve(path);
  const gate = kept.get(key);
  if (!gate) return undefined;
  kept.delete(key);
  if (gate.lockFile !== lockFileOf(join(path, 'open-gate'))) {
    void gate.env.close();
    return undefined;
  }
  kept.set(key, gate);
  return gate.env;
}

/** The gate of `path`, or undefined for a reader that may not write there (read-only media: no writer either). */
function gateOf(path: string, mode: 'write' | 'read'): RootDatabase | undefined {
  const gate = keptGate(path);
  if (gate) return gate;
  const dir = join(path, 'open-gate');
  let env: RootDatabase;
  try {
    mkdirSync(dir, { recursive: true });
    env = open({ path: dir, maxDbs: 1 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (mode === 'read' && (code === 'EACCES' || code === 'EROFS' || code === 'EPERM')) return undefined;
    throw error;
  }
  kept.set(resolve(path), { env, lockFile: lockFileOf(dir) });
  if (kept.size > GATES_KEPT) {
    const [oldest, least] = kept.entries().next().value!;
    kept.delete(oldest);
    void least.env.close();
  }
  return env;
}

/** Runs the reader's `open` while `writer` holds its write locks for it. */
function whileWriterPaused<T>(path: string, writer: Owner, open: () => T, waitMs: number): T {
  const nonce = randomUUID();
  const request = join(path, OPEN_REQUEST);
  writeWhole(request, JSON.stringify({ ...thisProcess(), nonce }));
  try {
    // A writer that died, or gave its claim up (it has stopped committing and waits for the gate
    // to close), commits nothing more: open without it.
    const done = () => textOf(join(path, OPEN_GRANT)) === nonce || liveWriter(path)?.pid !== writer.pid;
    if (!waitSync(done, waitMs)) {
      throw new StorageLockedError(path, writer.pid, `it did not pause its commits for this read-only open within ${waitMs} ms (is it stopped?); open again later`);
    }
    return open();
  } finally {
    rmSync(request, { force: true });
  }
}

/**
 * Runs `open` (which opens `path`'s environments, and for a writer claims it) inside the gate.
 * A writing open is refused with StorageLockedError while another live process writes `path`; a
 * read-only one beside it waits up to `waitMs` for that writer to pause its commits.
 */
export function openThroughGate<T>(path: string, mode: 'write' | 'read', open: () => T, waitMs = GRANT_WAIT_MS): T {
  // This process writes `path`: lmdb-js shares its environments in the process, so a read-only
  // open here opens nothing (and the gate could wait on a request this thread must serve).
  if (mode === 'read' && writesHere(path)) return open();
  const gate = gateOf(path, mode);
  if (!gate) return open();
  let opened: { value: T } | undefined;
  gate.transactionSync(() => {
    const writer = liveWriter(path);
    if (mode === 'write' && writer) throw new StorageLockedError(path, writer.pid);
    const here = writer?.pid === process.pid;
    opened = { value: writer && !here ? whileWriterPaused(path, writer, open, waitMs) : open() };
    return ABORT;
  });
  return opened!.value;
}

/**
 * Closes `path`'s environment inside the gate: lmdb-js breaks ("Invalid argument") when one
 * process closes an environment while another opens it. A writer calls this once its last commit
 * is flushed and its claim is given up, so that no reader waits on it meanwhile.
 */
export function closeThroughGate(path: string, close: () => Promise<void>): Promise<void> {
  // The gate kept since the open; none (evicted, the directory removed or made anew): no gate is
  // made for a close, which must leave nothing behind.
  const gate = keptGate(path);
  if (!gate) return close();
  let closed: Promise<void> | undefined;
  gate.transactionSync(() => {
    closed = close();
    return ABORT;
  });
  return closed!;
}

/**
 * Closes this thread's handle on `path`'s gate: a writer does so once it has closed, so that a
 * closed runtime holds no file of its directory open (the directory can be unmounted or removed).
 * Readers keep theirs (see `kept`).
 */
export function dropGate(path: string): void {
  const key = resolve(path);
  const gate = kept.get(key);
  kept.delete(key);
  void gate?.env.close();
}

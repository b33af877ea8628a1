// The writer's side of the open gate (open-gate.ts): a process opening this data directory
// read-only asks, in `<path>/rehydra.open-request`, that no commit land while it opens. The writer
// answers by holding the write lock of every environment it writes (so neither its lmdb-js writer
// thread nor a projection worker can commit), writing the grant, and waiting on this thread until
// the reader removes its request (it has opened), dies, or `holdMs` passes.
import { rmSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import { ABORT, type RootDatabase } from 'lmdb';
import { OPEN_GRANT, OPEN_REQUEST, waitSync } from './open-gate.js';
import { textOf, writeWhole } from './whole-files.js';
import { isAlive, ownerOf, parsedOrUndefined, type Owner } from './writer-lock.js';

/** How often the request file is looked at besides the directory watch (which may be unavailable). */
const POLL_MS = 200;
/** Longest a reader may keep the writer paused (a reader's open takes milliseconds). */
const HOLD_MS = 10_000;

/** The reader and nonce of a request, or undefined for anything else. */
function requestIn(text: string): { reader: Owner; nonce: string } | undefined {
  const request = parsedOrUndefined(text);
  const reader = ownerOf(request);
  const nonce = (request as { nonce?: unknown } | undefined)?.nonce;
  return reader && typeof nonce === 'string' ? { reader, nonce } : undefined;
}

/** The writers of this thread, by data directory: the views store joins its directory's. */
const serving = new Map<string, OpenRequests>();

/** Answers read-only opens of one data directory for as long as this process writes it. */
export class OpenRequests {
  private readonly envs = new Set<RootDatabase>();
  private readonly watcher: FSWatcher | undefined;
  private readonly poll: NodeJS.Timeout;
  private served = '';

  private constructor(
    private readonly path: string,
    events: RootDatabase,
  ) {
    this.envs.add(events);
    try {
      this.watcher = watch(path, (_, name) => name === OPEN_REQUEST && this.serve());
      this.watcher.on('error', () => this.watcher?.close());
      this.watcher.unref();
    } catch {
      this.watcher = undefined;
    }
    this.poll = setInterval(() => this.serve(), POLL_MS).unref();
  }

  /** Starts answering for `path`, whose events environment is `events`. */
  static serve(path: string, events: RootDatabase): OpenRequests {
    const requests = new OpenRequests(path, events);
    serving.set(resolve(path), requests);
    return requests;
  }

  /** Adds `env` (this process writes it too) to the environments held for a reader of `path`; returns its removal. */
  static holdAlso(path: string, env: RootDatabase): () => void {
    const requests = serving.get(resolve(path));
    requests?.envs.add(env);
    return () => requests?.envs.delete(env);
  }

  close(): void {
    clearInterval(this.poll);
    this.watcher?.close();
    if (serving.get(resolve(this.path)) === this) serving.delete(resolve(this.path));
  }

  private serve(): void {
    const request = requestIn(textOf(join(this.path, OPEN_REQUEST)));
    if (!request || request.nonce === this.served || !isAlive(request.reader)) return;
    this.served = request.nonce;
    const grant = join(this.path, OPEN_GRANT);
    try {
      this.holding([...this.envs], () => {
        writeWhole(grant, request.nonce);
        waitSync(() => !textOf(join(this.path, OPEN_REQUEST)).includes(request.nonce) || !isAlive(request.reader), HOLD_MS);
      });
      rmSync(grant, { force: true });
    } catch {
      // An environment closing under the hold, or the directory gone: the reader times out and
      // says so. This runs from a timer or the watch, so it must not throw.
    }
  }

  /** Runs `then` inside a write transaction of each of `envs`, aborted after: nothing commits meanwhile. */
  private holding(envs: readonly RootDatabase[], then: () => void): void {
    const [first, ...rest] = envs;
    if (!first) return then();
    first.transactionSync(() => {
      this.holding(rest, then);
      return ABORT;
    });
  }
}

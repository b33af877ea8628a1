// The projection host: a piscina pool whose workers read the event log themselves. Owns: the
// main thread's share per durable commit is one atomic store plus a look at each idle partition
// (never per event); close() lets every worker commit the batch it holds before threads stop.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { openViewStore } from '../storage/views.js';
import { UnknownProjectionError } from './errors.js';
import type { ProjectionDefinition } from './define-projection.js';
import type { ProjectionContext } from './generation.js';
import { HostSignals } from './signals.js';
import { PROGRESS, type ApplyResult, type ProjectionTask } from './worker.js';
import { ProjectionController, type Projection, type ProjectionStatus } from './projection-controller.js';

export { defineProjection } from './define-projection.js';

/** Options of `startProjections`. */
export interface ProjectionHostOptions {
  /** The data directory: events are read from `<path>/events`, views live in `<path>/views`. */
  readonly path: string;
  readonly projections: readonly ProjectionDefinition[];
  /** Worker threads. @default min(2, os.availableParallelism()) */
  readonly workers?: number;
  /** The log's durable head, read at start and for `lag`. */
  headPosition(): number;
}

/** The running projections of one data directory. */
export interface ProjectionHost {
  /** The projection named `name`; throws UnknownProjectionError. */
  projection(name: string): Projection;
  /** Tells the workers about a new durable head; call after every durable group commit. */
  notify(head: number): void;
  /** Every projection's status by name. */
  status(): Record<string, ProjectionStatus>;
  /** Lets workers commit what they hold, rejects pending waitFor calls, then stops the threads. */
  close(): Promise<void>;
}

/**
 * Opens the views environment and starts the workers; every projection catches up from its checkpoint.
 * @example const host = await startProjections({ path, projections: [balances], headPosition: () => log.headPosition() });
 */
export async function startProjections(options: ProjectionHostOptions): Promise<ProjectionHost> {
  const { path, projections } = options;
  const workers = options.workers ?? Math.min(2, availableParallelism());
  checkOptions(options, workers);
  const store = openViewStore(path);
  const signals = new HostSignals();
  let head = options.headPosition();
  signals.publishHead(head);
  let stopping = false;
  const pool = new Piscina<ProjectionTask, ApplyResult | undefined>({
    filename: workerFile().href,
    minThreads: workers,
    maxThreads: workers,
    // Tasks run for up to tens of ms each and wait on the shared head: message ports are cheap enough,
    // and without 'sync' atomics an idle worker's event loop runs, so lmdb-js releases its read snapshots.
    atomics: 'disabled',
    recordTiming: false,
  });
  // A worker that errors between tasks is replaced by piscina; the next task of its partition retries.
  pool.on('error', () => undefined);
  const destroyPool = destroyWhenStarted(pool, workers);
  const context: ProjectionContext = {
    path, store, hostSignals: signals.buffer, run: (task) => pool.run(task), head: () => head, stopping: () => stopping,
  };
  const controllers = new Map<string, ProjectionController>();
  try {
    for (const definition of projections) controllers.set(definition.name, await ProjectionController.open(definition, context));
  } catch (error) {
    // Let drops already started finish: a thread terminated inside a write transaction would hold the lock.
    stopping = true;
    await Promise.all([...controllers.values()].map((controller) => controller.stop()));
    await destroyPool();
    await store.close();
    throw error;
  }
  pool.on('message', (message: unknown) => {
    if (message === PROGRESS) for (const controller of controllers.values()) controller.settle();
  });
  for (const controller of controllers.values()) controller.pump();

  let closing: Promise<void> | undefined;
  const host: ProjectionHost = {
    projection(name) {
      const controller = controllers.get(name);
      if (!controller) throw new UnknownProjectionError(name, [...controllers.keys()]);
      return controller;
    },
    notify(newHead) {
      if (stopping || newHead <= head) return;
      head = newHead;
      signals.publishHead(newHead);
      for (const controller of controllers.values()) controller.pump();
    },
    status() {
      // A head the caller forgot to notify would show as lag forever: publish it first.
      host.notify(options.headPosition());
      return Object.fromEntries([...controllers].map(([name, controller]) => [name, controller.status()]));
    },
    close() {
      closing ??= (async () => {
        stopping = true;
        signals.stop();
        await Promise.all([...controllers.values()].map((controller) => controller.stop()));
        await destroyPool();
        await store.close();
      })();
      return closing;
    },
  };
  return host;
}

/** How long close() waits for workers still starting before it terminates them anyway. */
const START_WAIT_MS = 10_000;

/**
 * Terminating a worker thread while it still loads its modules (lmdb-js's native addon, the ESM
 * graph) aborts the whole process on Node 20 (a fatal napi_throw, or IsGraphAsync on an
 * uninstantiated module), so the pool is destroyed only once every worker has started
 * ('workerCreate' is piscina's ready signal), or after START_WAIT_MS.
 */
function destroyWhenStarted(pool: Piscina, workers: number): () => Promise<void> {
  let started = 0;
  let allStarted!: () => void;
  const ready = new Promise<void>((resolve) => (allStarted = resolve));
  pool.on('workerCreate', () => {
    if (++started >= workers) allStarted();
  });
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)));
    await Promise.race([ready, limit]);
    clearTimeout(timer);
    await pool.destroy();
  };
}

function checkOptions(options: ProjectionHostOptions, workers: number): void {
  if (typeof options.path !== 'string' || options.path.length === 0) throw new TypeError('options.path must be a non-empty string');
  if (!Array.isArray(options.projections)) throw new TypeError('options.projections must be an array of defineProjection() results');
  const names = new Set<string>();
  for (const definition of options.projections) {
    if (names.has(definition.name)) throw new TypeError(`options.projections has two projections named "${definition.name}"`);
    names.add(definition.name);
  }
  if (!Number.isSafeInteger(workers) || workers < 1) throw new RangeError(`options.workers must be a positive integer (got ${workers})`);
  if (typeof options.headPosition !== 'function') throw new TypeError('options.headPosition must be a function returning the durable head');
}

/** piscina needs JavaScript: from dist/ the worker is a sibling; from sources (vitest) it is the built copy. */
function workerFile(): URL {
  return import.meta.url.endsWith('.ts')
    ? new URL('../dist/projections/worker.js', import.meta.url)
    : new URL('./worker.js', import.meta.url);
}

// The projection host: a piscina pool whose workers read the event log themselves. Owns: the
// main thread's share per durable commit is one atomic store plus a look at each idle partition
// (never per event); no projection starts whose module cannot be loaded or would see events the
// runtime upcasts in their stored shape; close() lets every worker commit the batch it holds before threads stop.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { AggregateDefinition } from '../actors/define-aggregate.js';
import { openViewStore } from '../storage/views.js';
import { ProjectionModuleError, ProjectionUpcastersError, UnknownProjectionError } from './errors.js';
import type { ProjectionDefinition } from './define-projection.js';
import type { ProjectionContext, ProjectionEvents } from './generation.js';
import type { ProjectionTracer } from './handled-event.js';
import { upcasterKeys, type UpcasterKeys, type UpcasterMismatch } from './projection-module.js';
import { HostSignals } from './signals.js';
import type { CheckResult, ProjectionTask } from './worker.js';
import { LOADED, PROGRESS } from './worker-messages.js';
import { ProjectionController, type Projection, type ProjectionStatus } from './projection-controller.js';

export { defineProjection } from './define-projection.js';

/** Options of `startProjections`. */
export interface ProjectionHostOptions {
  /** The data directory: events are read from `<path>/events`, views live in `<path>/views`. */
  readonly path: string;
  readonly projections: readonly ProjectionDefinition[];
  /** The runtime's aggregate definitions: their upcasters apply in the workers too. @default none */
  readonly aggregates?: Iterable<AggregateDefinition>;
  /** Worker threads. @default min(2, os.availableParallelism()) */
  readonly workers?: number;
  /** The log's durable head, read at start and for `lag`. */
  headPosition(): number;
  /** Told when a partition stops on an error or is resumed. @default none */
  readonly events?: ProjectionEvents;
  /** Told of the handled events that carry a traceparent, while it is enabled. @default none */
  readonly tracer?: ProjectionTracer;
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
  const upcasters = upcasterKeys(options.aggregates ?? []);
  const pool = new Piscina<ProjectionTask, unknown>({
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
  const destroyPool = destroyWhenLoaded(pool);
  try {
    // Before the views are opened: a refused start leaves nothing on disk.
    await checkModules(pool, projections, upcasters);
  } catch (error) {
    await destroyPool();
    throw error;
  }
  const store = openViewStore(path);
  const signals = new HostSignals();
  let head = options.headPosition();
  signals.publishHead(head);
  let stopping = false;
  const context: ProjectionContext = {
    path, store, hostSignals: signals.buffer, upcasters, run: (task, signal) => pool.run(task, { signal }), head: () => head, stopping: () => stopping,
    events: options.events,
    tracer: options.tracer,
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

/**
 * Asks a worker to load each projection's module and compare its upcasters with the runtime's, for
 * the aggregate types the projection reads; throws, for the first projection in order that fails,
 * ProjectionModuleError (the module cannot load) or ProjectionUpcastersError (its upcasters differ).
 */
async function checkModules(pool: Piscina<ProjectionTask, unknown>, projections: readonly ProjectionDefinition[], upcasters: UpcasterKeys): Promise<void> {
  const results = await Promise.all(
    projections.map((definition) =>
      (pool.run({ kind: 'check', module: definition.module, filter: definition.filter, upcasters }) as Promise<CheckResult>).catch(
        // Only the module runs in a check: a thread that dies in one died importing it (process.exit at its top level, say).
        (error: unknown): CheckResult => ({ kind: 'unloadable', reason: 'import-failed', detail: `its worker thread stopped while importing it: ${String(error)}` }),
      ),
    ),
  );
  for (const [index, result] of results.entries()) {
    const { name, module } = projections[index]!;
    if (result.kind === 'unloadable') throw new ProjectionModuleError(name, module, result.reason, result.detail);
    if (result.kind === 'upcasters') {
      const { aggregateType, missing, unexpected } = result.mismatch;
      throw new ProjectionUpcastersError(name, aggregateType, missing, unexpected);
    }
  }
}

/** How long close() waits for workers still loading before it terminates them anyway. */
const LOAD_WAIT_MS = 10_000;

/**
 * Terminating a worker thread while it still loads its modules (lmdb-js's native addon, the ESM
 * graph) aborts the whole process (Node 20: a fatal napi_throw, or IsGraphAsync on an uninstantiated
 * module; Node 24: the require(esm) facade's InstantiateModule assertion), so the pool is destroyed only once every thread it holds, replacements
 * included, has posted LOADED (piscina's 'workerCreate' fires before the first workers load), or after LOAD_WAIT_MS.
 */
function destroyWhenLoaded(pool: Piscina<ProjectionTask, unknown>): () => Promise<void> {
  const loaded = new Set<number>();
  let recheck: (() => void) | undefined;
  pool.on('message', (message: unknown) => {
    const thread = (message as { [LOADED]?: unknown } | null)?.[LOADED];
    if (typeof thread !== 'number') return;
    loaded.add(thread);
    recheck?.();
  });
  // A thread that dies while loading leaves pool.threads without ever posting LOADED.
  pool.on('workerDestroy', () => recheck?.());
  return async () => {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, LOAD_WAIT_MS);
      recheck = () => {
        if (!pool.threads.every((thread) => loaded.has(thread.threadId))) return;
        clearTimeout(timer);
        resolve();
      };
      recheck();
    });
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

// The piscina worker: applies one partition of one view generation, reading events straight from
// the events environment (read-only, by position range), upcasting them as the runtime does, and
// committing each batch's view changes with its checkpoint in one transaction. Owns: the
// checkpoint moves only over committed effects.
import { parentPort, threadId } from 'node:worker_threads';
import type { LogReader, StoredEvent } from '../storage/event-log.js';
import { openEventLog } from '../storage/lmdb-event-log.js';
import { openViewStore, type ViewStore } from '../storage/views.js';
import { PartitionCache } from './partition-cache.js';
import { partitionOf } from './partition.js';
import { eventFilter, type ProjectionFilter } from './define-projection.js';
import { ProjectionUpcastersError } from './errors.js';
import type { ProjectionModuleProblem } from './errors.js';
import { loadModule, ModuleLoadFailure, upcasterMismatch, type LoadedModule, type UpcasterKeys, type UpcasterMismatch } from './projection-module.js';
import { PartitionSignals } from './signals.js';
import { ViewBatch } from './view-batch.js';
import { MAX_HANDLED_PER_TASK, type HandledEvent } from './handled-event.js';
import { LOADED, PROGRESS } from './worker-messages.js';

/** Apply partition `partition` of `generation` from its checkpoint, following the shared head. */
export interface ApplyTask {
  readonly kind: 'apply';
  readonly path: string;
  readonly projection: string;
  readonly module: string;
  readonly filter: ProjectionFilter | undefined;
  /** The runtime's upcaster keys: the module must apply the same ones to the types it reads. */
  readonly upcasters: UpcasterKeys;
  readonly generation: number;
  readonly partition: number;
  readonly partitions: number;
  readonly host: SharedArrayBuffer;
  readonly signals: SharedArrayBuffer;
  /** After a worker died: one event per transaction, so that a next death names the exact position. */
  readonly careful: boolean;
  /** Report the handled events that carry a `traceparent` (the runtime traces). */
  readonly traced: boolean;
}

/** Remove a generation's view and checkpoints. */
export interface DropTask {
  readonly kind: 'drop';
  readonly path: string;
  readonly projection: string;
  readonly generation: number;
}

/** Load a projection module and compare its upcasters with the runtime's. */
export interface CheckTask {
  readonly kind: 'check';
  readonly module: string;
  readonly filter: ProjectionFilter | undefined;
  readonly upcasters: UpcasterKeys;
}

/** What a check found: nothing wrong, the upcasters that differ, or why the module cannot load. */
export type CheckResult =
  | { readonly kind: 'ok' }
  | { readonly kind: 'upcasters'; readonly mismatch: UpcasterMismatch }
  | { readonly kind: 'unloadable'; readonly reason: ProjectionModuleProblem; readonly detail: string };

/** What the host posts to the pool. */
export type ProjectionTask = ApplyTask | DropTask | CheckTask;

/** Where an apply task left its partition; `error` when a handler threw (the checkpoint is right before it). */
export interface ApplyResult {
  readonly position: number;
  readonly error?: { readonly message: string; readonly position: number };
  /** Traced tasks only: the committed events that carried a traceparent, at most MAX_HANDLED_PER_TASK. */
  readonly handled?: readonly HandledEvent[];
}

/**
 * Most log positions per transaction while catching up; fewer when the head is closer. Large,
 * because a commit's cost is one fsync plus one put per distinct key: the longer the batch, the
 * more events of one aggregate fold into a single put (4,096 → 16,384 cut ~10% of catch-up CPU).
 */
const MAX_BATCH = 16_384;
/** A task returns after this long so that other partitions get a thread and the host sees progress. */
const TASK_BUDGET_MS = 50;
/** How long a caught-up task waits for the next commit before giving its thread back. */
const LINGER_MS = 5;
/** Conflicts are transient (each one means another partition committed); this many in a row is a bug. */
const MAX_CONFLICTS = 1_000;

const logs = new Map<string, LogReader>();
const stores = new Map<string, ViewStore>();

// Terminating a thread that is still loading its modules aborts the process, so the host waits for this
// message. Posted from the next turn, not from this module's body: on Node 22.12+ piscina require()s this
// ESM file, and after the body has run Node still builds the CommonJS facade for it (a termination then
// fails the assertion in ModuleWrap::CreateRequiredModuleFacade, seen on Node 24.22).
setImmediate(() => parentPort?.postMessage({ [LOADED]: threadId }));

/** The piscina entry point. */
export default async function run(task: ProjectionTask): Promise<ApplyResult | CheckResult | undefined> {
  switch (task.kind) {
    case 'drop':
      viewStore(task.path).dropGeneration(task.projection, task.generation);
      return undefined;
    case 'check':
      return check(task);
    case 'apply':
      return apply(task);
  }
}

async function check(task: CheckTask): Promise<CheckResult> {
  let module: LoadedModule;
  try {
    module = await loadModule(task.module);
  } catch (error) {
    // Errors cross threads as plain clones without their own fields: the reason travels as data.
    if (error instanceof ModuleLoadFailure) return { kind: 'unloadable', reason: error.reason, detail: error.message };
    throw error;
  }
  const mismatch = upcasterMismatch(task.upcasters, module.upcasters, task.filter);
  return mismatch ? { kind: 'upcasters', mismatch } : { kind: 'ok' };
}

/** Everything one apply task works with. */
interface Run {
  readonly task: ApplyTask;
  readonly views: ViewStore;
  readonly cache: PartitionCache;
  readonly signals: PartitionSignals;
  readonly module: LoadedModule;
  readonly select: (event: StoredEvent) => boolean;
  /** Traced tasks only: what committed batches handled so far. */
  readonly handled: HandledEvent[] | undefined;
}

async function apply(task: ApplyTask): Promise<ApplyResult> {
  const views = viewStore(task.path);
  views.refresh();
  const stored = views.checkpoint(task.projection, task.generation, task.partition);
  let module: LoadedModule;
  try {
    module = await loadModule(task.module);
    const mismatch = upcasterMismatch(task.upcasters, module.upcasters, task.filter);
    if (mismatch) throw new ProjectionUpcastersError(task.projection, mismatch.aggregateType, mismatch.missing, mismatch.unexpected);
  } catch (error) {
    return { position: stored ?? 0, error: { message: `cannot load ${task.module}: ${messageOf(error)}`, position: (stored ?? 0) + 1 } };
  }
  const cache = PartitionCache.open(`${task.path}\u0000${task.projection}\u0000${task.generation}\u0000${task.partition}`, stored ?? 0);
  const signals = new PartitionSignals(task.host, task.signals, task.partition, task.partitions);
  const run: Run = { task, views, cache, signals, module, select: selector(task), handled: task.traced ? [] : undefined };
  if (stored === undefined) {
    const error = initialize(run);
    if (error) return { position: 0, error: { message: `init() threw: ${error}`, position: 0 } };
  }
  const result = follow(run, stored ?? 0);
  return run.handled?.length ? { ...result, handled: run.handled } : result;
}

/** Runs `init` (partition 0 only) and commits checkpoint 0, so the generation exists on disk. */
function initialize(run: Run): string | undefined {
  for (;;) {
    const batch = newBatch(run);
    const { init } = run.module.exports;
    if (run.task.partition === 0 && init) {
      run.signals.enterCall(0);
      try {
        init(batch);
      } catch (error) {
        return messageOf(error);
      } finally {
        run.signals.leaveCall();
      }
    }
    if (batch.commit(run.task.partition, 0)) return undefined;
  }
}

/** Applies batches up to the shared head until stopped, out of budget, or idle for LINGER_MS. */
function follow(run: Run, from: number): ApplyResult {
  const { task, signals } = run;
  const log = eventLog(task.path);
  const deadline = performance.now() + TASK_BUDGET_MS;
  let position = from;
  while (!signals.stopped()) {
    const head = signals.head();
    if (position >= head) {
      if (task.careful || performance.now() >= deadline || !signals.waitForHead(head, LINGER_MS)) break;
      continue;
    }
    const limit = task.careful ? 1 : Math.min(head - position, MAX_BATCH);
    // Partitioned: decode only this partition's events (the id hash is in each event's header).
    const { events, lastPosition } = log.scanPartition({
      fromPosition: position + 1, limit, partitions: task.partitions, partition: task.partition,
    });
    if (lastPosition <= position) throw new Error(`${task.path}: events ${position + 1}..${head} are below the durable head but not readable`);
    const result = commitBatch(run, position, events, lastPosition);
    if (signals.publishApplied(position, result.position)) parentPort?.postMessage(PROGRESS);
    position = result.position;
    if (result.error || (task.careful && position - from >= MAX_BATCH) || performance.now() >= deadline) return result;
  }
  return { position };
}

/**
 * Commits as long a prefix of `events` as possible: all of them (the checkpoint then moves to
 * `scanned`, past the other partitions' events too), or those before the first one whose handler
 * throws, or (after a conflicting read) a shorter prefix retried on a fresh snapshot.
 */
function commitBatch(run: Run, from: number, events: readonly StoredEvent[], scanned: number): ApplyResult {
  let end = events.length;
  let error: ApplyResult['error'];
  const reported = run.handled?.length ?? 0;
  for (let conflicts = 0; ; ) {
    // Only what the committed attempt handled is reported: a retried prefix would report twice.
    run.handled?.splice(reported);
    const batch = newBatch(run);
    const failed = applyEvents(run, batch, events, end);
    if (failed) {
      end = failed.index;
      error = { message: failed.message, position: events[failed.index]!.position };
      continue; // re-apply the prefix on a clean batch: the failing handler may have written half its changes
    }
    const position = end === events.length && !error ? scanned : end === 0 ? from : events[end - 1]!.position;
    if (position === from) return { position: from, error };
    if (batch.commit(run.task.partition, position)) return { position, error };
    // Another partition changed a key this batch read; halving the batch shortens the window to a new conflict.
    if (++conflicts === MAX_CONFLICTS) throw new Error(`${run.task.projection}: ${conflicts} conflicting commits in a row at position ${from + 1}`);
    end = Math.ceil(end / 2);
    error = undefined;
  }
}

function newBatch({ task, views, signals, cache }: Run): ViewBatch {
  return new ViewBatch(views, task.projection, task.generation, task.partitions > 1 ? signals : undefined, cache);
}

/** Upcasts, filters and handles `events[0..end)`; the index and message of the first that throws. */
function applyEvents({ module, select, signals, handled }: Run, view: ViewBatch, events: readonly StoredEvent[], end: number) {
  const { handle } = module.exports;
  for (let index = 0; index < end; index++) {
    const stored = events[index]!;
    // Upcasters are user code too: they run under the time limit, and a throw stops the partition.
    signals.enterCall(stored.position);
    try {
      const event = module.upcast(stored);
      if (!select(event)) continue;
      view.owner = event.aggregateId;
      const startMs = handled && performance.timeOrigin + performance.now();
      const result: unknown = handle(event, view);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        throw new TypeError('handle() returned a promise: projection handlers must be synchronous');
      }
      if (startMs !== undefined) report(handled!, event, startMs);
    } catch (error) {
      return { index, message: messageOf(error) };
    } finally {
      signals.leaveCall();
    }
  }
  return undefined;
}

/** Records a handled event that names the command that stored it, while the task's report has room. */
function report(handled: HandledEvent[], event: StoredEvent, startMs: number): void {
  const { traceparent } = event.metadata;
  if (typeof traceparent !== 'string' || handled.length >= MAX_HANDLED_PER_TASK) return;
  const { position, type, aggregateType, aggregateId } = event;
  handled.push({ traceparent, position, type, aggregateType, aggregateId, startMs, endMs: performance.timeOrigin + performance.now() });
}

function selector(task: ApplyTask): (event: StoredEvent) => boolean {
  const matches = eventFilter(task.filter);
  return (event) => matches(event) && partitionOf(event.aggregateId, task.partitions) === task.partition;
}

function eventLog(path: string): LogReader {
  let log = logs.get(path);
  if (!log) logs.set(path, (log = openEventLog({ path, readOnly: true })));
  return log;
}

function viewStore(path: string): ViewStore {
  let store = stores.get(path);
  if (!store) stores.set(path, (store = openViewStore(path)));
  return store;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// One projection as readers see it. Owns: readers only ever see the active generation, which a
// rebuild replaces in one write once the new one has caught up (never a half-built view); and
// waitFor resolves only after the main thread's read snapshot includes the awaited position.
import { checkViewKey, decodeValue, type ActiveGeneration, type ViewEntry, type ViewRange } from '../storage/views.js';
import { RuntimeClosedError } from '../storage/errors.js';
import { ProjectionFailedError, ProjectionHandlerTimeoutError, ProjectionTimeoutError } from './errors.js';
import { PositionWaiters, type WaitOutcome } from './position-waiters.js';
import type { ProjectionDefinition } from './define-projection.js';
import { Generation, type PartitionError, type ProjectionContext } from './generation.js';

export type { PartitionError } from './generation.js';

/** One partition's progress. */
export interface PartitionStatus {
  readonly partition: number;
  /** The last position this partition applied (events of other partitions included). */
  readonly position: number;
  readonly lag: number;
  readonly error?: PartitionError;
}

/** A projection's progress: `position` is the lowest of its partitions'. */
export interface ProjectionStatus {
  readonly position: number;
  /** Durable head minus `position`. */
  readonly lag: number;
  /** The lowest failed position among stopped partitions. */
  readonly error?: PartitionError;
  readonly partitions: readonly PartitionStatus[];
  /** A rebuild is building a new generation. */
  readonly rebuilding: boolean;
}

/** Options of `waitFor`. */
export interface WaitForOptions {
  /** Reject with ProjectionTimeoutError after this long; Infinity waits forever. @default 30000 */
  readonly timeoutMs?: number;
}

/** A running projection: read its view, await positions, rebuild, resume after a failure. */
export interface Projection {
  readonly name: string;
  /**
   * Resolves once every partition applied `position`; rejects with ProjectionTimeoutError after
   * `timeoutMs`, or with ProjectionFailedError / ProjectionHandlerTimeoutError if a stopped partition blocks it.
   */
  waitFor(position: number, options?: WaitForOptions): Promise<void>;
  /** The view's value at `key`, read synchronously on the calling thread (`await` works too). */
  get(key: string): unknown;
  /** Entries from `start` (inclusive) to `end` (exclusive) in key order, at most `limit`. */
  query(options?: ViewRange): ViewEntry[];
  status(): ProjectionStatus;
  /** Rebuilds the view from position 1 into a new generation, switches readers to it once caught up, drops the old one. */
  rebuild(): Promise<void>;
  /** Retries stopped partitions from their checkpoints; resolves once they pass the failed position. */
  resume(): Promise<void>;
}

const DEFAULT_WAIT_MS = 30_000;

interface Rebuild {
  readonly generation: Generation;
  /** The head when the rebuild started: the new view must reach it before readers switch. */
  readonly target: number;
  readonly done: Promise<void>;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
}

/** The host's object for one projection. */
export class ProjectionController implements Projection {
  private readonly waiters = new PositionWaiters();
  /** Switches and drops in progress; close waits for them. */
  private readonly background = new Set<Promise<void>>();
  private rebuilding: Rebuild | undefined;
  private stopped = false;

  private active: Generation;

  private constructor(
    private readonly definition: ProjectionDefinition,
    private readonly context: ProjectionContext,
    active: ActiveGeneration,
    private nextGeneration: number,
  ) {
    this.active = this.generation(active.generation, active.partitions);
  }

  /** Loads the active generation (creating generation 1 on first start) and drops orphans of an interrupted rebuild. */
  static async open(definition: ProjectionDefinition, context: ProjectionContext): Promise<ProjectionController> {
    const { store } = context;
    const { name } = definition;
    let active = store.active(name);
    if (!active) {
      active = { generation: 1, partitions: definition.partitions };
      await store.activate(name, active);
    }
    // A stored generation keeps the partition count it was built with; a changed count applies from the next rebuild().
    const stored = store.storedGenerations(name);
    const controller = new ProjectionController(definition, context, active, Math.max(active.generation, ...stored) + 1);
    for (const orphan of stored) if (orphan !== active.generation) controller.track(controller.dropStored(orphan));
    return controller;
  }

  get name(): string {
    return this.definition.name;
  }

  waitFor(position: number, options: WaitForOptions = {}): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0) return Promise.reject(new RangeError(`position must be a non-negative integer (got ${position})`));
    const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_MS;
    if (!(timeoutMs > 0)) return Promise.reject(new RangeError(`options.timeoutMs must be a positive number (got ${timeoutMs})`));
    if (this.stopped) return Promise.reject(new RuntimeClosedError(`projection "${this.name}".waitFor`));
    const outcome = this.outcome(position);
    if (outcome === 'reached') {
      this.context.store.refresh();
      return Promise.resolve();
    }
    if (outcome !== 'pending') return Promise.reject(outcome);
    const waiting = this.waiters.add(position, timeoutMs, () => new ProjectionTimeoutError(this.name, position, this.active.position(), timeoutMs));
    // Publish the wanted position first, then re-check: a worker that committed in between is seen here.
    this.active.signals.setWanted(this.waiters.lowest());
    this.settle();
    return waiting;
  }

  get(key: string): unknown {
    checkViewKey(key);
    this.checkOpen('get');
    return decodeValue(this.context.store.getRaw(this.name, this.active.number, key));
  }

  query(options: ViewRange = {}): ViewEntry[] {
    this.checkOpen('query');
    if (typeof options !== 'object' || options === null) throw new TypeError('the options of query must be an object');
    const { limit } = options;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) throw new RangeError(`options.limit must be a non-negative integer (got ${limit})`);
    for (const bound of ['start', 'end'] as const) {
      // Any other type would be encoded as some other key and bound the range silently wrong.
      if (options[bound] !== undefined && typeof options[bound] !== 'string') {
        throw new TypeError(`options.${bound} of query must be a view key string (got ${typeof options[bound]})`);
      }
    }
    return this.context.store.range(this.name, this.active.number, options);
  }

  status(): ProjectionStatus {
    const head = this.context.head();
    const partitions = Array.from({ length: this.active.partitions }, (_, partition): PartitionStatus => {
      const position = this.active.applied(partition);
      const error = this.active.errorOf(partition);
      return { partition, position, lag: Math.max(0, head - position), ...(error && { error }) };
    });
    const position = this.active.position();
    const error = this.active.errors().sort((a, b) => a.position - b.position)[0];
    return { position, lag: Math.max(0, head - position), ...(error && { error }), partitions, rebuilding: this.rebuilding !== undefined };
  }

  rebuild(): Promise<void> {
    if (this.stopped) return Promise.reject(new RuntimeClosedError(`projection "${this.name}".rebuild`));
    if (this.rebuilding) return this.rebuilding.done;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    const generation = this.generation(this.nextGeneration++, this.definition.partitions);
    const rebuild: Rebuild = { generation, target: this.context.head(), done, settled: false, resolve, reject };
    this.rebuilding = rebuild;
    generation.pump();
    this.checkRebuild();
    return done;
  }

  async resume(): Promise<void> {
    this.checkOpen('resume');
    const target = this.active.resume();
    this.active.pump();
    await this.waitFor(Math.min(target, this.context.head()));
  }

  /** Starts tasks for partitions behind the head (called on every durable commit: no per-event work). */
  pump(): void {
    this.active.pump();
    this.rebuilding?.generation.pump();
  }

  /** Settles waiters against the applied positions workers published. */
  settle(): void {
    this.context.store.refresh();
    this.waiters.settle((position) => this.outcome(position));
    this.active.signals.setWanted(this.waiters.lowest());
  }

  /** Rejects waiters and a rebuild not yet switching, then waits for running tasks, switches and drops. */
  async stop(): Promise<void> {
    this.stopped = true;
    const closed = new RuntimeClosedError(`projection "${this.name}"`);
    this.waiters.rejectAll(closed);
    if (this.rebuilding && !this.rebuilding.settled) this.settleRebuild(this.rebuilding, closed);
    await Promise.all([this.active.idle(), this.rebuilding?.generation.idle(), ...this.background]);
  }

  private checkOpen(method: string): void {
    if (this.stopped) throw new RuntimeClosedError(`projection "${this.name}".${method}`);
  }

  private generation(number: number, partitions: number): Generation {
    return new Generation(this.definition, number, partitions, this.context, () => this.changed());
  }

  private changed(): void {
    this.settle();
    this.checkRebuild();
    if (!this.stopped) this.pump();
  }

  private outcome(position: number): WaitOutcome {
    for (const error of this.active.errors()) {
      if (this.active.applied(error.partition) >= position) continue;
      return error.code === 'ERR_PROJECTION_HANDLER_TIMEOUT'
        ? new ProjectionHandlerTimeoutError(this.name, error.partition, error.position, this.definition.handlerTimeoutMs)
        : new ProjectionFailedError(this.name, error.partition, error.position, error.message);
    }
    return this.active.position() >= position ? 'reached' : 'pending';
  }

  private checkRebuild(): void {
    const rebuild = this.rebuilding;
    if (!rebuild || rebuild.settled) return;
    const [error] = rebuild.generation.errors();
    if (error) {
      this.settleRebuild(rebuild, new ProjectionFailedError(this.name, error.partition, error.position, `rebuild abandoned: ${error.message}`));
    } else if (rebuild.generation.position() >= Math.max(rebuild.target, this.active.position())) {
      rebuild.settled = true;
      this.track(this.switchTo(rebuild));
    }
  }

  private async switchTo(rebuild: Rebuild): Promise<void> {
    const { generation } = rebuild;
    try {
      await this.context.store.activate(this.name, { generation: generation.number, partitions: generation.partitions });
    } catch (error) {
      this.settleRebuild(rebuild, error as Error);
      return;
    }
    const old = this.active;
    this.active = generation;
    this.rebuilding = undefined;
    this.settle();
    // Readers have switched: a failed drop only leaves an orphan, which the next start drops.
    await this.drop(old).catch(() => undefined);
    rebuild.resolve();
  }

  /** Abandons a rebuild: rejects it and drops its generation. */
  private settleRebuild(rebuild: Rebuild, error: Error): void {
    rebuild.settled = true;
    this.rebuilding = undefined;
    rebuild.reject(error);
    this.track(this.drop(rebuild.generation));
  }

  private async drop(generation: Generation): Promise<void> {
    generation.retire();
    await generation.idle();
    await this.dropStored(generation.number);
  }

  private async dropStored(generation: number): Promise<void> {
    await this.context.run({ kind: 'drop', path: this.context.path, projection: this.name, generation });
  }

  private track(work: Promise<void>): void {
    // A failed drop leaves an orphan that the next start drops again; it must not become an unhandled rejection.
    const tracked = work.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }
}

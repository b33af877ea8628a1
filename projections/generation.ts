// One generation of a projection's view, as the host drives it. Owns: at most one task in flight
// per partition; a partition stopped by an error gets no task until resumed; a worker that keeps
// dying at the same checkpoint stops its partition instead of being respawned forever; a handler
// call past its time limit stops its partition at once.
import type { ViewStore } from '../storage/views.js';
import { watchCalls } from './call-watchdog.js';
import type { ProjectionDefinition } from './define-projection.js';
import { ProjectionHandlerTimeoutError } from './errors.js';
import type { UpcasterKeys } from './projection-module.js';
import { GenerationSignals } from './signals.js';
import type { ApplyResult, ProjectionTask } from './worker.js';
import type { ProjectionTracer } from './handled-event.js';

/** Why a partition stopped: the message, the position it failed at, and whether a handler threw (or its worker died) or timed out. */
export interface PartitionError {
  readonly code: 'ERR_PROJECTION_FAILED' | 'ERR_PROJECTION_HANDLER_TIMEOUT';
  readonly message: string;
  readonly position: number;
  readonly partition: number;
}

/** What the host tells its runtime about projections it did not stop or resume on a caller's behalf. */
export interface ProjectionEvents {
  /** A partition of `projection` (generation `generation`) stopped on `error`; it stays stopped until resume(). */
  stopped(projection: string, generation: number, error: PartitionError): void;
  /** resume() retries the stopped `partitions` of `projection` from their checkpoints. */
  resumed(projection: string, generation: number, partitions: readonly number[]): void;
}

/** What every generation shares with its host. */
export interface ProjectionContext {
  readonly path: string;
  readonly store: ViewStore;
  /** The host's shared head and stop flag (see HostSignals). */
  readonly hostSignals: SharedArrayBuffer;
  /** The runtime's upcasters, which every module must apply alike to the types it reads. */
  readonly upcasters: UpcasterKeys;
  /** Runs a task on a worker; aborting `signal` terminates the worker running it. */
  run(task: ProjectionTask, signal?: AbortSignal): Promise<unknown>;
  /** The last durable head published to the workers. */
  head(): number;
  stopping(): boolean;
  readonly events: ProjectionEvents | undefined;
  readonly tracer: ProjectionTracer | undefined;
}

/** Consecutive worker deaths at one checkpoint after which the partition is stopped with an error. */
const MAX_DEATHS = 3;

interface PartitionState {
  inflight: boolean;
  error: PartitionError | undefined;
  deaths: number;
  /** The checkpoint at the last death. */
  deathAt: number;
  careful: boolean;
}

/** The host's side of one view generation. */
export class Generation {
  readonly signals: GenerationSignals;
  private readonly states: PartitionState[];
  private retired = false;
  /** Partition 0 committed init(); until then the other partitions wait, so none writes before init does. */
  private initialized: boolean;
  private running = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly definition: ProjectionDefinition,
    readonly number: number,
    readonly partitions: number,
    private readonly context: ProjectionContext,
    /** Called after each task of this generation settles. */
    private readonly changed: () => void,
  ) {
    this.signals = new GenerationSignals(partitions);
    this.initialized = this.initCommitted();
    this.states = Array.from({ length: partitions }, (_, partition) => {
      this.signals.initApplied(partition, context.store.checkpoint(definition.name, number, partition) ?? 0);
      return { inflight: false, error: undefined, deaths: 0, deathAt: -1, careful: false };
    });
  }

  /** The position every partition has applied. */
  position(): number {
    let lowest = Infinity;
    for (let partition = 0; partition < this.partitions; partition++) lowest = Math.min(lowest, this.signals.applied(partition));
    return lowest;
  }

  applied(partition: number): number {
    return this.signals.applied(partition);
  }

  errors(): PartitionError[] {
    return this.states.flatMap((state) => (state.error ? [state.error] : []));
  }

  errorOf(partition: number): PartitionError | undefined {
    return this.states[partition]?.error;
  }

  /** Starts a task for every partition that is behind the head, idle and not stopped. */
  pump(): void {
    if (this.retired || this.context.stopping()) return;
    const head = this.context.head();
    for (let partition = 0; partition < this.partitions; partition++) {
      const state = this.states[partition]!;
      if (partition > 0 && !this.initialized) return;
      if (!state.inflight && !state.error && this.signals.applied(partition) < head) this.dispatch(partition, state);
    }
  }

  /** Clears every partition's error so it is retried from its checkpoint; returns the highest failed position. */
  resume(): number {
    let target = 0;
    const resumed: number[] = [];
    for (const [partition, state] of this.states.entries()) {
      if (!state.error) continue;
      target = Math.max(target, state.error.position);
      resumed.push(partition);
      Object.assign(state, { error: undefined, deaths: 0, deathAt: -1, careful: false });
    }
    if (resumed.length > 0) this.context.events?.resumed(this.definition.name, this.number, resumed);
    return target;
  }

  /** Stops dispatching and asks running tasks to return (the generation was replaced or dropped). */
  retire(): void {
    this.retired = true;
    this.signals.retire();
  }

  /** Resolves once no task of this generation is in flight. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private dispatch(partition: number, state: PartitionState): void {
    state.inflight = true;
    this.running++;
    const { name, module, filter, handlerTimeoutMs } = this.definition;
    const { path, upcasters, hostSignals } = this.context;
    this.signals.resetCall(partition);
    const abort = new AbortController();
    let timedOut: number | undefined;
    const unwatch = watchCalls(this.signals, partition, handlerTimeoutMs, () => this.context.stopping(), (position, closing) => {
      // Stopped by close(), a call is not at fault: the partition resumes from its checkpoint next start.
      if (!closing) timedOut = position;
      abort.abort();
    });
    this.context
      .run({
        kind: 'apply', path, projection: name, module, filter, upcasters, generation: this.number, partition,
        partitions: this.partitions, host: hostSignals, signals: this.signals.buffer, careful: state.careful,
        traced: this.context.tracer?.enabled() ?? false,
      }, abort.signal)
      .then(
        (result) => this.completed(state, partition, result as ApplyResult),
        (error: unknown) => {
          if (timedOut !== undefined) this.timedOut(state, partition, timedOut);
          else if (!abort.signal.aborted) this.failed(state, partition, error);
        },
      )
      .finally(() => {
        unwatch();
        state.inflight = false;
        if (--this.running === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
        this.changed();
      });
  }

  private completed(state: PartitionState, partition: number, result: ApplyResult): void {
    if (partition === 0 && !this.initialized) this.initialized = this.initCommitted();
    if (result.error) this.stop(state, { code: 'ERR_PROJECTION_FAILED', ...result.error, partition });
    else state.careful = false;
    if (result.position > state.deathAt) state.deaths = 0;
    if (result.handled) this.context.tracer?.handled(this.definition.name, partition, result.handled);
  }

  private initCommitted(): boolean {
    this.context.store.refresh();
    return this.context.store.checkpoint(this.definition.name, this.number, 0) !== undefined;
  }

  /** The task rejected: its worker died (piscina replaces it) or threw outside a handler. Retry from the checkpoint. */
  private failed(state: PartitionState, partition: number, error: unknown): void {
    this.context.store.refresh();
    const at = this.context.store.checkpoint(this.definition.name, this.number, partition) ?? 0;
    state.deaths = at === state.deathAt ? state.deaths + 1 : 1;
    state.deathAt = at;
    // One event per transaction from now on, so that the next death pins the exact position.
    state.careful = true;
    if (state.deaths >= MAX_DEATHS) {
      const reason = error instanceof Error ? error.message : String(error);
      this.stop(state, {
        code: 'ERR_PROJECTION_FAILED', message: `its worker failed ${state.deaths} times in a row at position ${at + 1} (${reason})`, position: at + 1, partition,
      });
    }
  }

  /** A handler call ran past the time limit and its worker was stopped: no retry, the same event would hang again. */
  private timedOut(state: PartitionState, partition: number, position: number): void {
    const { message } = new ProjectionHandlerTimeoutError(this.definition.name, partition, position, this.definition.handlerTimeoutMs);
    this.stop(state, { code: 'ERR_PROJECTION_HANDLER_TIMEOUT', message, position, partition });
  }

  private stop(state: PartitionState, error: PartitionError): void {
    state.error = error;
    this.context.events?.stopped(this.definition.name, this.number, error);
  }
}

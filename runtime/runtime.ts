// createRuntime: validates input at the door (nothing malformed reaches an actor), routes each
// command to its aggregate's live actor (rehydrated on demand), and owns the lifecycle: close()
// refuses new work, waits until every accepted command is acknowledged, then releases storage.
import { AggregateActor, type ActorHost } from '../actors/aggregate-actor.js';
import type { AnyStateMachine } from 'xstate';
import { admit } from '../actors/decide.js';
import type { AggregateDefinition, Command } from '../actors/define-aggregate.js';
import type { Explanation } from '../actors/explain.js';
import { rehydrate, versionPastHead } from '../actors/replay.js';
import { upcast } from '../actors/upcast.js';
import type { DueTimer, EventLog, ReadAllOptions, ReadStreamOptions, StoredEvent } from '../storage/event-log.js';
import { LIMITS, streamName, type StreamRef } from '../storage/keys.js';
import { openLmdbEventLog, type LmdbEventLog } from '../storage/lmdb-event-log.js';
import { RuntimeClosedError } from '../storage/errors.js';
import { InvalidCommandError } from '../actors/errors.js';
import { UnknownProjectionError } from '../projections/errors.js';
import { ActorLimitError, ClusterUnavailableError, UnknownAggregateError } from './errors.js';
import { isWellFormed } from '../storage/storable.js';
import { startProjections, type ProjectionHost } from '../projections/projection-pool.js';
import type { Projection } from '../projections/projection-controller.js';
import { createAggregateHandle } from './aggregate-handle.js';
import { bothIterable } from './event-iterable.js';
import { MetricsRecorder } from './metrics.js';
import { PrometheusMetrics, type ScrapeView } from './prometheus-metrics.js';
import { resolveOptions, type ResolvedOptions } from './options.js';
import { Registry } from './registry.js';
import { startSubscription } from './subscription.js';
import type {
  AggregateHandle, AggregateState, EventIterable, PendingTimerInfo, Runtime, RuntimeMetrics, RuntimeOptions, SendOptions, SendResult, StateOptions,
  SubscribeOptions, TimersOptions,
} from './types.js';
import { checkSendOptions } from './send-options.js';
import { SYSTEM_CLOCK, type RuntimeClock } from './clock.js';
import { TimerScheduler } from './timer-scheduler.js';
import { RuntimeLog } from './runtime-log.js';
import { loadTracing, type Tracing } from './tracing.js';
import type { Inspect } from '../actors/inspection.js';
import { openClusterNode, type ClusterHost, type ClusterNode } from './cluster/cluster-node.js';
import type { ResolvedClusterOptions } from './cluster/cluster-options.js';
import { ERROR_CLASSES } from './cluster/error-classes.js';
import type { ForwardedCall } from './cluster/forwarding.js';

/**
 * Opens a data directory and starts a runtime serving the given aggregates.
 * @example
 * const runtime = await createRuntime({ path: './data', aggregates: [account] });
 * await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 10 });
 */
export async function createRuntime(options: RuntimeOptions): Promise<Runtime> {
  return openRuntime(options);
}

/** createRuntime on another clock (the testing kit's manual clock), which the log's retention reads too; not public. */
export function openRuntime(options: RuntimeOptions, clock?: RuntimeClock): Promise<Runtime> {
  const resolved = resolveOptions(options);
  const { path, durability, maxEventBytes, commandIdRetentionMs, commandIdRetentionCount } = resolved;
  const log = openLmdbEventLog({ path, durability, maxEventBytes, commandIdRetentionMs, commandIdRetentionCount, clock: clock && (() => clock.now()) });
  return resolved.cluster ? startClusterRuntime(resolved, resolved.cluster, log, clock) : startRuntime(resolved, log, clock);
}

/** A runtime as one node of a cluster: `replica` becomes the local copy of the cluster's log. */
async function startClusterRuntime(options: ResolvedOptions, cluster: ResolvedClusterOptions, replica: LmdbEventLog, clock?: RuntimeClock): Promise<Runtime> {
  let node: ClusterNode;
  try {
    node = await openClusterNode(cluster, replica, options.maxEventBytes, ERROR_CLASSES);
  } catch (error) {
    await replica.close();
    throw error;
  }
  try {
    await node.open();
  } catch (error) {
    await node.close();
    throw error;
  }
  const runtime = await startRuntime(options, node.log, clock, node);
  try {
    await node.serve(runtime as RehydraRuntime);
  } catch (error) {
    // Leases could not start (the bucket unreadable): nothing was served; the runtime must not stay open.
    await runtime.close();
    throw new ClusterUnavailableError(cluster.servers.join(','), 'cannot take partition leases', error);
  }
  return runtime;
}

/** Starts a runtime on an already open log (tests open it with fault injection); not public. */
export async function startRuntime(options: ResolvedOptions, log: EventLog, clock: RuntimeClock = SYSTEM_CLOCK, cluster?: ClusterNode): Promise<Runtime> {
  let prometheus: PrometheusMetrics;
  try {
    // First, so a registry that holds another open runtime's metrics refuses this one before anything starts.
    prometheus = new PrometheusMetrics(options.metricsRegistry, options.aggregates.keys());
  } catch (error) {
    await (cluster ? cluster.close() : log.close());
    throw error;
  }
  let projections: ProjectionHost | undefined;
  const runtimeLog = new RuntimeLog(options.logger);
  const tracing = await loadTracing();
  // Workers open the events environment read-only: the writer must have opened it first.
  if (options.projections.length > 0) {
    try {
      projections = await startProjections({
        path: options.path,
        projections: options.projections,
        aggregates: options.aggregates.values(),
        workers: options.workers,
        headPosition: () => log.headPosition(),
        events: options.logger && {
          stopped: (name, generation, error) => runtimeLog.projectionStopped(name, generation, error),
          resumed: (name, generation, partitions) => runtimeLog.projectionResumed(name, generation, partitions),
        },
        tracer: tracing,
      });
    } catch (error) {
      prometheus.unregister();
      await (cluster ? cluster.close() : log.close());
      throw error;
    }
  }
  return new RehydraRuntime(options, log, projections, clock, prometheus, runtimeLog, tracing, cluster);
}

const NO_OPTIONS: SendOptions = Object.freeze({});

class RehydraRuntime implements Runtime, ActorHost, ClusterHost {
  readonly mailboxCapacity: number;
  readonly inspect: Inspect | undefined;
  readonly beforeLoad: ActorHost['beforeLoad'];
  private readonly metricsRecorder = new MetricsRecorder();
  private readonly registry: Registry;
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly subscriptions = new Set<() => void>();
  private closing: Promise<void> | undefined;
  private drained: (() => void) | undefined;
  private readonly scheduler: TimerScheduler;

  constructor(
    private readonly options: ResolvedOptions,
    readonly log: EventLog,
    private readonly projections: ProjectionHost | undefined,
    private readonly clock: RuntimeClock,
    private readonly prometheus: PrometheusMetrics,
    private readonly runtimeLog: RuntimeLog,
    private readonly tracing: Tracing | undefined,
    private readonly cluster: ClusterNode | undefined,
  ) {
    if (projections) log.onDurable((head) => projections.notify(head));
    log.onCommit((events, seconds) => prometheus.committed(events, seconds));
    prometheus.readFrom(() => this.scrapeView());
    this.mailboxCapacity = options.mailboxCapacity;
    this.inspect = options.inspect;
    this.registry = new Registry(options.maxActiveActors, options.idleTimeoutMs, (actor) => {
      this.metricsRecorder.passivations++;
      cluster?.log.forget(actor.stream);
    });
    // A cluster node's actor loads once its stream is synced with the log (its owner may have changed).
    this.beforeLoad = cluster && ((stream, after) => cluster.ready(stream, after));
    if (options.idleTimeoutMs > 0) {
      this.sweeper = setInterval(() => this.registry.sweep(performance.now()), Math.min(options.idleTimeoutMs, 1_000));
      this.sweeper.unref();
    }
    const m = this.metricsRecorder;
    const startedAt = clock.now();
    // A cluster node fires the timers of the partitions it serves; every node indexes them all.
    this.scheduler = new TimerScheduler(cluster ?? log, clock, (timer) => this.fireTimer(timer), {
      fired: (timer, latenessMs) => {
        const overdue = timer.dueAt < startedAt;
        m.timerFired(latenessMs, overdue);
        prometheus.timerFired(latenessMs / 1000);
        runtimeLog.timerFired(timer.stream, timer.dueAt, latenessMs, overdue, performance.now());
      },
      failed: () => void m.timersFailed++,
    });
    // Timers that came due while no runtime was running fire now.
    this.scheduler.start();
  }

  aggregate<TMachine extends AnyStateMachine, TCommand extends { readonly type: string }>(
    definition: AggregateDefinition<TMachine, TCommand>,
  ): AggregateHandle<TMachine, TCommand> {
    const served = this.options.aggregates.get(definition?.type);
    if (!served) throw new UnknownAggregateError(String(definition?.type), [...this.options.aggregates.keys()]);
    if (served !== definition) {
      throw new TypeError(`runtime.aggregate(definition): this runtime serves another definition of aggregate "${definition.type}"; pass the one given to createRuntime`);
    }
    return createAggregateHandle(this, definition);
  }

  send(aggregateType: string, aggregateId: string, command: Command, options: SendOptions = NO_OPTIONS): Promise<SendResult> {
    try {
      const definition = this.definitionFor(aggregateType, aggregateId, 'send to');
      // Admitted at the door (well formed, known, valid for its schema): a refused command never queues.
      const admitted = admit(definition, aggregateId, command);
      if (options !== NO_OPTIONS) checkSendOptions(aggregateType, aggregateId, options);
      if (this.cluster && !this.cluster.serves({ type: aggregateType, id: aggregateId })) {
        return this.cluster.forward({ op: 'send', type: aggregateType, id: aggregateId, command: admitted, options }) as Promise<SendResult>;
      }
      const now = performance.now();
      // withActor without a closure per command in the usual case, a live actor.
      const live = this.registry.use(aggregateType, aggregateId, now);
      if (live) return this.submit(live, admitted, options, now);
      return this.withNewActor(definition, aggregateId, now, (actor) => this.submit(actor, admitted, options, now));
    } catch (error) {
      this.prometheus.refused(error);
      return Promise.reject(error);
    }
  }

  /** Counted once an actor takes it: a refusal at the door (ActorLimitError too) is not outstanding. */
  private submit(actor: AggregateActor, command: Command, options: SendOptions, now: number): Promise<SendResult> {
    this.metricsRecorder.commandsSubmitted++;
    return actor.send(command, options, now, this.tracing?.command(actor.stream, command.type, options, now));
  }

  async explain(aggregateType: string, aggregateId: string, command: Command): Promise<Explanation> {
    const definition = this.definitionFor(aggregateType, aggregateId, 'explain on');
    let admitted: Command;
    try {
      admitted = admit(definition, aggregateId, command);
    } catch (error) {
      return { accepted: false, error };
    }
    if (this.cluster && !this.cluster.serves({ type: aggregateType, id: aggregateId })) {
      return this.cluster.forward({ op: 'explain', type: aggregateType, id: aggregateId, command: admitted }) as Promise<Explanation>;
    }
    return this.withActor(definition, aggregateId, performance.now(), (actor) => actor.explain(admitted));
  }

  async state(aggregateType: string, aggregateId: string, options: StateOptions = {}): Promise<AggregateState> {
    const definition = this.definitionFor(aggregateType, aggregateId, 'state of');
    const stream = { type: aggregateType, id: aggregateId };
    if (typeof options !== 'object' || options === null) throw new TypeError(`the options of state(${streamName(stream)}) must be an object`);
    if (options.version === undefined && options.at === undefined) {
      if (this.cluster && !this.cluster.serves(stream)) return this.cluster.forward({ op: 'state', type: aggregateType, id: aggregateId }) as Promise<AggregateState>;
      return this.withActor(definition, aggregateId, performance.now(), (actor) => actor.state());
    }
    if (options.version !== undefined && (!Number.isSafeInteger(options.version) || options.version < 0)) {
      throw new RangeError(`options.version of state(${streamName(stream)}) must be a non-negative integer (got ${options.version})`);
    }
    const at = options.at instanceof Date ? options.at.getTime() : options.at;
    if (at !== undefined && !Number.isFinite(at)) throw new RangeError(`options.at of state(${streamName(stream)}) must be a Date or epoch milliseconds`);
    const pastHead = versionPastHead(stream, options.version, this.log.streamHead(stream)?.version ?? 0);
    if (pastHead) throw pastHead;
    const { actor, version } = rehydrate(definition, this.log, stream, { toVersion: options.version, at });
    const snapshot = actor.getSnapshot();
    actor.stop();
    return { value: snapshot.value, context: snapshot.context, version };
  }

  timers(options: TimersOptions = {}): PendingTimerInfo[] {
    if (this.closing) throw new RuntimeClosedError('timers');
    if (typeof options !== 'object' || options === null) throw new TypeError('the options of timers() must be an object');
    const before = options.before instanceof Date ? options.before.getTime() : options.before ?? Number.POSITIVE_INFINITY;
    if (typeof before !== 'number' || Number.isNaN(before)) throw new RangeError(`options.before of timers() must be a Date or epoch milliseconds (got ${String(options.before)})`);
    return this.log.dueTimers(before).map(({ stream, dueAt }) => ({ aggregateType: stream.type, aggregateId: stream.id, dueAt }));
  }

  readStream(aggregateType: string, aggregateId: string, options?: ReadStreamOptions): EventIterable {
    const definition = this.definitionFor(aggregateType, aggregateId, 'readStream of');
    const events = this.log.readStream({ type: aggregateType, id: aggregateId }, options);
    return bothIterable(mapEvents(events, (event) => upcast(definition, event)));
  }

  readAll(options?: ReadAllOptions): EventIterable {
    if (this.closing) throw new RuntimeClosedError('readAll');
    return bothIterable(mapEvents(this.log.readAll(options), this.upcastAny));
  }

  subscribe<E extends { readonly type: string }>(options: SubscribeOptions, handler: (event: StoredEvent<E>) => void): () => void {
    if (this.closing) throw new RuntimeClosedError('subscribe');
    // The caller's event type is theirs to keep true (see Runtime.subscribe).
    const stop = startSubscription(this.log, this.upcastAny, options, handler as (event: StoredEvent) => void);
    const unsubscribe = (): void => {
      this.subscriptions.delete(unsubscribe);
      stop();
    };
    this.subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  projection(name: string): Projection {
    if (!this.projections) throw new UnknownProjectionError(name, []);
    return this.projections.projection(name);
  }

  metrics(): RuntimeMetrics {
    const m = this.metricsRecorder;
    const stats = this.log.stats();
    let maxMailboxDepth = 0;
    for (const actor of this.registry.values()) maxMailboxDepth = Math.max(maxMailboxDepth, actor.depth);
    return {
      liveActors: this.registry.size,
      queuedCommands: m.outstanding,
      maxMailboxDepth,
      commandsAccepted: m.commandsAccepted,
      commandsRejected: m.commandsRejected,
      commits: stats.commits,
      eventsCommitted: stats.events,
      meanBatchSize: stats.commits === 0 ? 0 : stats.events / stats.commits,
      maxBatchSize: stats.maxBatchEvents,
      latency: m.latencySummary(),
      rehydrations: m.rehydrations,
      passivations: m.passivations,
      snapshotsWritten: m.snapshotsWritten,
      snapshotsFailed: m.snapshotsFailed,
      timersArmed: m.timersArmed,
      timersFired: m.timersFired,
      timersOverdue: m.timersOverdue,
      timersFailed: m.timersFailed,
      timerLateness: m.latenessSummary(),
      headPosition: this.log.headPosition(),
      projections: this.projectionMetrics(),
      ...(this.cluster && { cluster: { nodeId: this.cluster.nodeId, partitions: this.cluster.owned().sort((x, y) => x - y) } }),
    };
  }

  metricsText(): Promise<string> {
    return this.prometheus.text();
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ClusterHost

  /** Runs a call another node forwarded to this one, the owner. */
  readonly local = (call: ForwardedCall): Promise<unknown> => {
    if (call.op === 'send') return this.send(call.type, call.id, call.command!, call.options ?? NO_OPTIONS);
    if (call.op === 'explain') return this.explain(call.type, call.id, call.command!);
    return this.state(call.type, call.id);
  };

  ownershipChanged(partition: number, owned: boolean): void {
    // Live actors of the partition are stale once another node may have written it: dropped when idle.
    const cluster = this.cluster!;
    this.registry.evict((actor) => cluster.partitionOf(actor.stream) === partition);
    // Its timers are this node's to fire now.
    if (owned && !this.closing) this.scheduler.armed(this.clock.now());
  }

  // ActorHost

  now(): number {
    return this.clock.now();
  }

  timerArmed(dueAt: number): void {
    this.metricsRecorder.timersArmed++;
    this.scheduler.armed(dueAt);
  }

  accepted(aggregateType: string, micros: number): void {
    this.metricsRecorder.accepted(micros);
    this.prometheus.accepted(aggregateType, micros / 1e6);
    this.checkDrained();
  }

  rejected(aggregateType: string, micros: number, error: unknown): void {
    this.metricsRecorder.commandsRejected++;
    this.prometheus.rejected(aggregateType, micros / 1e6, error);
    this.checkDrained();
  }

  rehydrated(aggregateType: string, seconds: number): void {
    this.metricsRecorder.rehydrations++;
    this.prometheus.rehydrated(aggregateType, seconds);
  }

  snapshotWritten(): void {
    this.metricsRecorder.snapshotsWritten++;
  }

  snapshotFailed(error: unknown, stream: StreamRef): void {
    // Counted and logged, not thrown: a snapshot only spares replay; the stream itself is intact.
    this.metricsRecorder.snapshotsFailed++;
    this.runtimeLog.snapshotFailed(stream, error);
  }

  mailboxFull(stream: StreamRef): void {
    this.runtimeLog.mailboxFull(stream, this.mailboxCapacity, performance.now());
  }

  private readonly upcastAny = (event: StoredEvent): StoredEvent => upcast(this.options.aggregates.get(event.aggregateType), event);

  /** The definition of a valid (type, id); `verb` only goes into error messages. */
  private definitionFor(aggregateType: string, aggregateId: string, verb: string): AggregateDefinition {
    if (this.closing) throw new RuntimeClosedError(`${verb} ${aggregateType}/${aggregateId}`);
    const definition = this.options.aggregates.get(aggregateType);
    if (!definition) throw new UnknownAggregateError(aggregateType, [...this.options.aggregates.keys()]);
    if (typeof aggregateId !== 'string' || aggregateId.length === 0) {
      throw new InvalidCommandError(`${aggregateType}/?`, `the aggregate id must be a non-empty string (got ${JSON.stringify(aggregateId)})`);
    }
    if (!isWellFormed(aggregateId)) {
      throw new InvalidCommandError(`${aggregateType}/${JSON.stringify(aggregateId)}`,
        'the aggregate id holds a lone surrogate (ill-formed UTF-16): stored as UTF-8 it would read back as another id');
    }
    // A UTF-8 character is at most 3 bytes per UTF-16 unit: short ids need no byte count.
    const bytes = aggregateId.length * 3 <= LIMITS.aggregateIdBytes ? 0 : Buffer.byteLength(aggregateId);
    if (bytes > LIMITS.aggregateIdBytes) {
      throw new InvalidCommandError(`${aggregateType}/${aggregateId.slice(0, 40)}…`, `the aggregate id is ${bytes} bytes, over ${LIMITS.aggregateIdBytes}`);
    }
    return definition;
  }

  /**
   * Gives work to the stream's live actor, rehydrating it if needed; ActorLimitError when all
   * maxActiveActors live actors are busy. A new actor is idle until `use` has queued its work:
   * it joins the registry only after that, or a later admit could stop it before its first command ran.
   */
  private withActor<T>(definition: AggregateDefinition, aggregateId: string, now: number, use: (actor: AggregateActor) => T): T {
    const live = this.registry.use(definition.type, aggregateId, now);
    return live ? use(live) : this.withNewActor(definition, aggregateId, now, use);
  }

  /** withActor when the registry has no live actor for the stream: a new one, rehydrated. */
  private withNewActor<T>(definition: AggregateDefinition, aggregateId: string, now: number, use: (actor: AggregateActor) => T): T {
    const stream: StreamRef = { type: definition.type, id: aggregateId };
    if (!this.registry.admit(now)) throw new ActorLimitError(streamName(stream), this.options.maxActiveActors);
    const actor = new AggregateActor(definition, stream, this);
    actor.load();
    try {
      return use(actor);
    } finally {
      this.registry.add(actor, now);
    }
  }

  private projectionMetrics(): RuntimeMetrics['projections'] {
    // fromEntries defines own keys: a projection named "__proto__" must not set a prototype.
    return Object.fromEntries(
      Object.entries(this.projections?.status() ?? {}).map(([name, status]) => [name, { position: status.position, lag: status.lag }]),
    );
  }

  /** What a scrape of the prom-client registry reads: metrics() and the projections stopped on a failure. */
  private scrapeView(): ScrapeView {
    const failedProjections = new Set<string>();
    for (const [name, status] of Object.entries(this.projections?.status() ?? {})) if (status.error) failedProjections.add(name);
    return { metrics: this.metrics(), failedProjections };
  }

  private checkDrained(): void {
    if (this.drained && this.metricsRecorder.outstanding === 0) this.drained();
  }

  /** Fires a due timer through its aggregate's actor, rehydrating a passivated one. */
  private fireTimer(timer: DueTimer): Promise<void> {
    const { stream, id, dueAt } = timer;
    const definition = this.options.aggregates.get(stream.type);
    if (!definition) return Promise.reject(new UnknownAggregateError(stream.type, [...this.options.aggregates.keys()]));
    return this.withActor(definition, stream.id, performance.now(), (actor) => actor.fire(id, dueAt));
  }

  private async shutdown(): Promise<void> {
    // No timer fires once closing: a firing under way settles first; the rest fire at the next start.
    await this.scheduler.stop();
    if (this.metricsRecorder.outstanding > 0) {
      await new Promise<void>((resolve) => (this.drained = resolve));
    }
    // Every command taken here is acknowledged: the other nodes may take this one's partitions now.
    await this.cluster?.stopServing();
    if (this.sweeper) clearInterval(this.sweeper);
    this.registry.clear();
    // A delivery still scheduled would read the closed environment and throw outside any caller.
    for (const unsubscribe of [...this.subscriptions]) unsubscribe();
    // A scrape from here on would read closed projections and storage.
    this.prometheus.unregister();
    await this.projections?.close();
    await (this.cluster ? this.cluster.close() : this.log.close());
  }
}

function* mapEvents(events: Iterable<StoredEvent>, map: (event: StoredEvent) => StoredEvent): IterableIterator<StoredEvent> {
  for (const event of events) yield map(event);
}

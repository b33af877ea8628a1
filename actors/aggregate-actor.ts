// One live aggregate: an XState actor, its version, and its commands in FIFO order. A command is
// decided, applied and staged synchronously (so the next one can be decided while this one is
// flushed: pipelining); its ack waits for durability, and acks resolve in order. Anything that
// leaves the live actor ahead of what will be on disk (an illegal second event, an encoding
// error, a failed write) resets it: the actor is rebuilt from disk once its writes have settled.
import type { LiveActor } from './live-actor.js';
import { ConcurrencyError, EncodingError, type PersistenceError } from '../storage/errors.js';
import type {
  AppendLog, AppendResult, CommandLedger, EventMetadata, NewEvent, SnapshotStore, StagedAppend, StreamAppend, StreamReader, TimerStore,
} from '../storage/event-log.js';
import { appendFailed } from '../storage/group-commit.js';
import { streamName, type StreamRef } from '../storage/keys.js';
import { unstorable } from '../storage/storable.js';
import { failureOf } from './apply-event.js';
import { decide } from './decide.js';
import type { AggregateDefinition, Command, DomainEvent } from './define-aggregate.js';
import { ApplyError, MailboxFullError } from './errors.js';
import { explainCommand, type Explanation } from './explain.js';
import { Mailbox } from './mailbox.js';
import { rehydrate, startActor, type ReplaySource } from './replay.js';
import { applyTimerActions, fireTimer, isTimed, recordTimers, type TimerAction } from './timers.js';
import type { CommandTrace } from './command-trace.js';
import { inspectActor, type ActorInspector, type Inspect } from './inspection.js';
import type { AggregateState, SendOptions, SendResult } from './types.js';

/** What an actor needs from its runtime. */
export interface ActorHost {
  /** The seams an actor uses: the append path, the ledger, what rehydration reads, and whether there is anything to read. */
  readonly log: AppendLog & CommandLedger & SnapshotStore & ReplaySource & Pick<StreamReader, 'streamHead'> & Pick<TimerStore, 'pendingTimers'>;
  readonly mailboxCapacity: number;
  /** Receives XState-shaped inspection events of every live aggregate; undefined: no inspection work. */
  readonly inspect: Inspect | undefined;
  /** The runtime's clock (ms since the epoch): event timestamps and timer deadlines. */
  now(): number;
  /** A commit that arms a timer due at `dueAt` is in the index now. */
  timerArmed(dueAt: number): void;
  /** A command of `aggregateType` was acknowledged (durable) after `micros` µs, or rejected with `error`. */
  accepted(aggregateType: string, micros: number): void;
  rejected(aggregateType: string, micros: number, error: unknown): void;
  /** An actor of `aggregateType` was rebuilt (or started empty) in `seconds`. */
  rehydrated(aggregateType: string, seconds: number): void;
  snapshotWritten(): void;
  /** A snapshot of `stream` could not be written (it cannot be encoded, or its commit failed): commands are not affected. */
  snapshotFailed(error: unknown, stream: StreamRef): void;
  /** A command or query for `stream` was refused with MailboxFullError. */
  mailboxFull(stream: StreamRef): void;
  /**
   * When set, an actor loads only once this resolves (`after`: the writes of its previous
   * incarnation), and fails what waits if it rejects: a cluster node first syncs the stream with the log.
   */
  readonly beforeLoad?: ((stream: StreamRef, after: Promise<unknown> | undefined) => Promise<void>) | undefined;
}

interface CommandWork {
  readonly kind: 'command';
  readonly command: Command;
  readonly options: SendOptions;
  readonly started: number;
  /** The command's trace when the runtime traces; undefined otherwise. */
  readonly trace: CommandTrace | undefined;
  readonly resolve: (result: SendResult) => void;
  readonly reject: (error: unknown) => void;
}

interface QueryWork {
  readonly kind: 'query';
  /** Reads the live actor in this query's turn; returns the reply, sent once earlier writes are durable. */
  readonly read: (actor: LiveActor, version: number) => () => void;
  readonly reject: (error: unknown) => void;
}

/** A stored timer whose deadline has passed: its delayed event, applied in the actor's turn. */
interface TimerWork {
  readonly kind: 'timer';
  readonly id: string;
  readonly dueAt: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

type Work = CommandWork | QueryWork | TimerWork;

function splitEvent(event: DomainEvent, metadata: EventMetadata): NewEvent {
  const { type, ...data } = event;
  return { type, data, metadata };
}

function metadataOf(options: SendOptions, timestamp: number, trace: CommandTrace | undefined): EventMetadata {
  const { commandId, metadata } = options;
  // Built by assignment, not spreads: this runs once per command on the hot path.
  const result: Record<string, unknown> = metadata === undefined ? {} : Object.assign({}, metadata);
  result.timestamp = timestamp;
  if (commandId !== undefined) result.commandId = commandId;
  const correlationId = options.correlationId ?? (metadata?.correlationId as string | undefined) ?? commandId;
  if (correlationId !== undefined) result.correlationId = correlationId;
  const causationId = options.causationId ?? (metadata?.causationId as string | undefined) ?? commandId;
  if (causationId !== undefined) result.causationId = causationId;
  // The command's own context replaces one the caller passed (that one is linked from its span).
  if (trace) result.traceparent = trace.traceparent;
  return result as EventMetadata;
}

const initialActions = new WeakMap<AggregateDefinition, readonly TimerAction[]>();

/**
 * The timers a new stream's initial state arms when its actor starts (replay records nothing, so
 * they are taken once from a fresh actor: a machine starts the same way every time, its initial
 * context and so its delays included): they are stored with the stream's first events.
 */
function initialTimerActions(definition: AggregateDefinition): readonly TimerAction[] {
  let actions = initialActions.get(definition);
  if (!actions) {
    const started = recordTimers(() => startActor(definition));
    started.value.stop();
    actions = started.actions;
    initialActions.set(definition, actions);
  }
  return actions;
}

/** A live aggregate with its mailbox; created by the registry, one per stream. */
export class AggregateActor {
  /** Monotonic time of the last command or query, for idle passivation. */
  lastUsed = 0;
  private actor: LiveActor | undefined;
  private version = 0;
  private status: 'loading' | 'ready' | 'failed' = 'loading';
  private failure: unknown;
  /** Made on first need: most actors never queue (they are ready when their commands arrive). */
  private mailbox: Mailbox<Work> | undefined;
  private inflight = 0;
  /** What the latest reply waits for (the last staged write, mostly): later replies and queries wait for it. */
  private last: Promise<unknown> | undefined;
  /**
   * Timed machines only: the stream's pending timers (id → deadline) as of the last staged write.
   * Declared, not initialised: an actor of a machine without `after` never gets the slot.
   */
  declare private timers: Map<string, number> | undefined;
  /** Set only when the runtime has an `inspect` option: other actors never get the slot. */
  declare private inspector: ActorInspector | undefined;

  constructor(
    readonly definition: AggregateDefinition,
    readonly stream: StreamRef,
    private readonly host: ActorHost,
  ) {
  }

  /** `account/a-1`, for messages; made on demand to keep idle actors small. */
  get name(): string {
    return streamName(this.stream);
  }

  /** Commands and queries queued or waiting for durability; `mailboxCapacity` bounds it. */
  get depth(): number {
    return (this.mailbox?.length ?? 0) + this.inflight;
  }

  /** True when the actor can be passivated without losing or delaying anything. */
  get idle(): boolean {
    return this.status !== 'loading' && this.depth === 0;
  }

  /** Rebuilds the actor from disk once `after` (writes of a previous incarnation) has settled. */
  load(after?: Promise<unknown>): void {
    this.status = 'loading';
    const gate = this.host.beforeLoad?.(this.stream, after);
    if (gate) gate.then(() => this.loadNow(), (error: unknown) => this.loadFailed(error));
    else if (after) after.then(() => this.loadNow(), () => this.loadNow());
    else this.loadNow();
  }

  /** Queues a command (`trace` its trace, when traced); rejects at once with MailboxFullError when the mailbox is at capacity. */
  send(command: Command, options: SendOptions, started: number, trace?: CommandTrace): Promise<SendResult> {
    return new Promise<SendResult>((resolve, reject) => this.submit({ kind: 'command', command, options, started, trace, resolve, reject }));
  }

  /**
   * Fires the stored timer `id` due at `dueAt` in the actor's turn: its delayed event is appended
   * (`metadata.timer`) when the state still takes it, and the timer is cleared in the same commit,
   * so it fires once. A timer the stream no longer has (cleared or re-armed since) only leaves the index.
   */
  fire(id: string, dueAt: number): Promise<void> {
    return new Promise<void>((resolve, reject) => this.submit({ kind: 'timer', id, dueAt, resolve, reject }));
  }

  /** The current state, as of every command queued before it, once those are durable; MailboxFullError as send. */
  state(): Promise<AggregateState> {
    return this.query((actor, version): AggregateState => {
      const snapshot = actor.getSnapshot();
      return { value: snapshot.value, context: snapshot.context, version };
    });
  }

  /** What an admitted command would do in its turn (after those queued before it); nothing is persisted. */
  explain(command: Command): Promise<Explanation> {
    return this.query((actor) => explainCommand(this.definition, this.stream, actor, command));
  }

  private query<T>(read: (actor: LiveActor, version: number) => T): Promise<T> {
    return new Promise<T>((resolve, reject) => this.submit({
      kind: 'query',
      read: (actor, version) => {
        const value = read(actor, version);
        return () => resolve(value);
      },
      reject,
    }));
  }

  /** Stops the XState actor; only called on an idle actor. */
  stop(): void {
    this.actor?.stop();
    this.actor = undefined;
  }

  private submit(work: Work): void {
    // Queries count too: a query waits for the writes before it, and must not grow memory unbounded.
    if (this.depth >= this.host.mailboxCapacity) {
      this.host.mailboxFull(this.stream);
      return this.fail(work, new MailboxFullError(this.name, this.host.mailboxCapacity));
    }
    if (this.status === 'failed') this.load();
    if (this.status === 'failed') this.fail(work, this.failure);
    else if (this.status === 'ready' && !this.mailbox?.length) this.run(work);
    else (this.mailbox ??= new Mailbox<Work>()).push(work);
  }

  private loadNow(): void {
    const started = performance.now();
    try {
      const log = this.host.log;
      // A stream with no head has no events (the heads index knows every stream the log holds):
      // a new aggregate starts from the machine's initial state, with no snapshot, event or timer to read.
      const empty = log.streamHead(this.stream) === undefined;
      const { actor, version } = empty ? { actor: startActor(this.definition), version: 0 } : rehydrate(this.definition, log, this.stream);
      this.actor = actor;
      this.version = version;
      if (this.host.inspect) this.inspector = inspectActor(this.host.inspect, this.name, this.definition.machine, actor);
      if (isTimed(this.definition.machine)) this.timers = new Map(empty ? [] : log.pendingTimers(this.stream).map((timer) => [timer.id, timer.dueAt]));
      // Every write of the previous incarnation has settled (load waits for it): a failed one
      // must not fail the queries and empty commands of this one.
      this.last = undefined;
      this.status = 'ready';
      this.host.rehydrated(this.stream.type, (performance.now() - started) / 1000);
    } catch (error) {
      // The stream cannot be rebuilt (schema drift, corrupt data): fail what waits; retry on next use.
      return this.loadFailed(error);
    }
    const mailbox = this.mailbox;
    while (mailbox && this.status === 'ready' && mailbox.length > 0) this.run(mailbox.shift()!);
  }

  private loadFailed(error: unknown): void {
    this.status = 'failed';
    this.failure = error;
    for (const work of this.mailbox?.drain() ?? []) this.fail(work, error);
  }

  private run(work: Work): void {
    if (work.kind === 'query') return this.answer(work);
    if (work.kind === 'timer') return this.fireNow(work);
    try {
      this.execute(work);
    } catch (error) {
      this.refuse(work, error);
    }
  }

  /**
   * A refusal was decided against a state that may include writes still in flight: like an ack it
   * waits for them, so replies keep send order, and it becomes their PersistenceError if they fail
   * (the state it was decided on never existed).
   */
  private refuse(work: CommandWork, error: unknown): void {
    const pending = this.last;
    if (!pending) return this.fail(work, error);
    this.whenSettled(pending, () => this.fail(work, error), (failure) => this.fail(work, failure));
  }

  /** Runs `durable` or `failed` once `pending` (this.last) settles; counted in flight meanwhile. */
  private whenSettled(pending: Promise<unknown>, durable: () => void, failed: (error: PersistenceError) => void): void {
    this.inflight++;
    pending.then(
      () => {
        this.inflight--;
        durable();
      },
      (failure: unknown) => {
        this.inflight--;
        failed(this.persistenceError(failure));
      },
    );
  }

  /**
   * The log's commit promise rejects with the commit's own error: callers get it named for this
   * stream, and, for the command whose append it was (`own`), whether its events are in the file.
   */
  private persistenceError(error: unknown, own?: AppendResult): PersistenceError {
    return appendFailed(this.name, error, own);
  }

  private fail(work: Work, error: unknown): void {
    if (work.kind === 'timer') return work.reject(error);
    if (work.kind === 'command') {
      this.host.rejected(this.stream.type, (performance.now() - work.started) * 1000, error);
      work.trace?.end('rejected', undefined, error);
    }
    work.reject(error);
  }

  private answer(work: QueryWork): void {
    let reply: () => void;
    try {
      reply = work.read(this.actor!, this.version);
    } catch (error) {
      return work.reject(error);
    }
    if (this.last) this.whenSettled(this.last, reply, work.reject);
    else reply();
  }

  private execute(work: CommandWork): void {
    const { command, options, trace } = work;
    const log = this.host.log;
    if (options.commandId !== undefined) {
      const prior = log.commandResult(this.stream, options.commandId);
      // The first result, in this command's turn: after the writes queued before it.
      if (prior) return this.reply(work, (this.last ??= prior.commit), prior.result);
    }
    if (options.expectedVersion !== undefined && options.expectedVersion !== this.version) {
      throw new ConcurrencyError(this.name, options.expectedVersion, this.version);
    }
    const actor = this.actor!;
    const decidedOn = actor.getSnapshot();
    let events: DomainEvent[];
    let actions: readonly TimerAction[] = [];
    try {
      // The untimed, untraced path (the usual one) calls decide without a closure per command.
      if (!this.timers && !trace) events = decide(this.definition, this.stream, actor, command, this.inspector);
      else {
        const run = (): DomainEvent[] => decide(this.definition, this.stream, actor, command, this.inspector);
        const traced = trace ? () => trace.decide(run) : run;
        if (this.timers) ({ value: events, actions } = recordTimers(traced));
        else events = traced();
      }
    } catch (error) {
      // Some events were applied before the refusal: the live actor is ahead of the disk.
      if (actor.getSnapshot() !== decidedOn) this.reset();
      throw error;
    }
    if (events.length === 0 && options.commandId === undefined) {
      const version = this.version;
      return this.reply(work, (this.last ??= Promise.resolve()), () => ({ version, position: log.headPosition(), events: [] }));
    }
    const now = this.host.now();
    const metadata = metadataOf(options, now, trace);
    const timers = this.timers && events.length > 0
      ? applyTimerActions(this.timers, this.version === 0 ? [...initialTimerActions(this.definition), ...actions] : actions, now)
      : undefined;
    let staged: StagedAppend;
    try {
      staged = this.stageAppend({
        stream: this.stream, expectedVersion: this.version, events: events.map((event) => splitEvent(event, metadata)),
        commandId: options.commandId, timers: timers?.changes,
      }, timers?.next);
    } catch (error) {
      if (events.length > 0) this.reset();
      throw error;
    }
    trace?.commit(staged.commit);
    this.reply(work, staged.commit, staged.result, staged.result);
  }

  /** Stages an append of this stream, then moves the actor's version, timers and last write along with it. */
  private stageAppend(append: StreamAppend, timers: Map<string, number> | undefined): StagedAppend {
    const staged = this.host.log.stage(append);
    const before = this.version;
    this.version = staged.result.version;
    if (timers) {
      this.timers = timers;
      // Once committed: a scheduler pass reading the index before that would miss it.
      const armed = append.timers?.set ?? [];
      if (armed.length > 0) staged.commit.then(() => armed.forEach(({ dueAt }) => this.host.timerArmed(dueAt)), () => undefined);
    }
    this.maybeSnapshot(before, staged);
    this.last = staged.commit;
    return staged;
  }

  private fireNow(work: TimerWork): void {
    const timers = this.timers;
    const actor = this.actor!;
    let failure: unknown;
    let staged: StagedAppend;
    try {
      if (timers?.get(work.id) !== work.dueAt) {
        // Cleared or re-armed by a write the index scan did not see yet (which removes the row
        // too), or a row left behind: either way it must not be found again.
        const unindex = { set: [], clear: [], unindex: [{ id: work.id, dueAt: work.dueAt }] };
        staged = this.stageAppend({ stream: this.stream, expectedVersion: this.version, events: [], timers: unindex }, timers);
        return this.whenSettled(staged.commit, work.resolve, work.reject);
      }
      const { outcome, events, next, changes } = fireTimer(actor, timers, work.id, this.host.now());
      if (outcome === 'failed') failure = new ApplyError(this.name, work.id, failureOf(actor));
      if (outcome === 'applied') this.inspector?.applied({ type: work.id }, actor);
      staged = this.stageAppend({ stream: this.stream, expectedVersion: this.version, events, timers: changes }, next);
    } catch (error) {
      this.reset();
      return work.reject(error);
    }
    if (failure !== undefined) this.reset();
    this.whenSettled(staged.commit, () => (failure === undefined ? work.resolve() : work.reject(failure)), (error) => {
      work.reject(error);
      this.reset();
    });
  }

  private maybeSnapshot(before: number, staged: StagedAppend): void {
    const every = this.definition.snapshotEvery;
    const { version } = staged.result;
    if (every === 0 || Math.floor(version / every) === Math.floor(before / every)) return;
    // Taken now, while the actor is exactly at `version`; written only once those events are durable.
    const state = this.actor!.getPersistedSnapshot();
    // A context the codec would change (a Set, a class instance, a BigInt over 64 bits) would
    // rehydrate into a state no replay computes: such a snapshot is not written (counted as a
    // failed one), and full replay stays the truth.
    const problem = unstorable(state, 'state');
    if (problem !== undefined) return this.host.snapshotFailed(new EncodingError(this.name, `its snapshot at version ${version}`, problem), this.stream);
    const fingerprint = this.definition.fingerprint;
    staged.commit.then(
      // The position is read once durable: a cluster node learns it only when the log's message is back.
      () => this.host.log.putSnapshot(this.stream, { version, position: staged.result.position, fingerprint, state }).then(() => this.host.snapshotWritten()),
      () => undefined, // the events failed: there is nothing to snapshot
    ).catch((error: unknown) => this.host.snapshotFailed(error, this.stream));
  }

  /**
   * Acknowledges the command once `after` (this.last: its own write or the latest one before it)
   * is durable (`result` a function when it can only be known then). Every reply and refusal
   * hangs directly off `this.last`, never off a promise derived from it (which would settle a
   * turn late), so replies of one actor settle in send order.
   */
  private reply(work: CommandWork, after: Promise<unknown>, result: SendResult | (() => SendResult), own?: AppendResult): void {
    this.inflight++;
    after.then(
      () => {
        this.inflight--;
        // Settled and still the latest write: nothing needs to wait for it, and an idle actor
        // should not keep its last result alive.
        if (this.last === after) this.last = undefined;
        this.host.accepted(this.stream.type, (performance.now() - work.started) * 1000);
        const value = typeof result === 'function' ? result() : result;
        work.trace?.end('accepted', value);
        work.resolve(value);
      },
      (error: unknown) => {
        this.inflight--;
        this.fail(work, this.persistenceError(error, own));
        // The live actor is ahead of the disk now; every later in-flight write fails too.
        this.reset();
      },
    );
  }

  /** Drops the live actor; it is rebuilt from disk after this actor's writes have settled. */
  private reset(): void {
    if (this.status !== 'ready') return;
    this.stop();
    this.load(this.last);
  }
}

// The event log of a cluster node. JetStream holds the truth: one message per publish, on the
// stream's own subject, carrying the stream's last subject sequence as the expected one, so two
// nodes that both think they own a stream can never fork it (the second append is refused).
// Every node reads the whole JetStream stream in order into its own LMDB log (the replica), and
// everything else is read there: streams, the global log, snapshots, timers, projections. Since
// every replica takes the same messages in the same order, every node gives every event the same
// gapless position; the JetStream sequence of its message is in `metadata.streamSequence`.
//
// A publish is acknowledged to its actor once its message is in the local replica (so the
// result carries the positions every node will agree on). An actor's commands are pipelined: while
// one message is in flight, the stream's next appends queue, and go together in the next message
// (one expected sequence per message), so one hot aggregate is not held to one round trip per command.
import type { JetStreamClient, JetStreamManager } from '@nats-io/jetstream';
import { DeliverPolicy } from '@nats-io/jetstream';
import type { ConsumerMessages } from '@nats-io/jetstream';
import type {
  AppendResult, CommitStats, DueTimer, EventLog, PendingTimer, ReadAllOptions, ReadStreamOptions, StagedAppend, StoredEvent, StoredSnapshot,
  StreamAppend, StreamHead, StreamRef, PartitionScan,
} from '../../storage/event-log.js';
import { ConcurrencyError, EncodingError, PersistenceError, SizeLimitError } from '../../storage/errors.js';
import { streamName } from '../../storage/keys.js';
import { unstorable } from '../../storage/storable.js';
import type { ClusterNames } from './cluster-names.js';
import { decodeLogMessage, encodeLogMessage } from './log-message.js';
import { SequenceWaiters } from './sequence-waiters.js';
import type { SharedSnapshots } from './shared-snapshots.js';

/** The local replica: an LMDB event log, plus the version of a stream with its staged appends. */
export type ReplicaLog = EventLog & { streamVersion(stream: StreamRef): number };

/** A stream's publishing state on its owner, from the last sync on. */
interface Chain {
  readonly subject: string;
  /** JetStream sequence of the stream's last message: the next publish expects it. */
  lastSequence: number;
  /** The stream's version with every append staged so far. */
  version: number;
  readonly queue: PendingAppend[];
  publishing: boolean;
  /** Set when a publish failed: later appends fail too, until the actor syncs again. */
  broken: PersistenceError | undefined;
}

/** An append published (or queued) by this node: settles when its message is in the replica. */
class PendingAppend implements StagedAppend {
  readonly result: { version: number; position: number; events: readonly StoredEvent[] };
  readonly commit: Promise<void>;
  settle!: (error?: unknown) => void;
  private durablePromise: Promise<AppendResult> | undefined;

  constructor(
    readonly append: StreamAppend,
    version: number,
    position: number,
  ) {
    this.result = { version, position, events: [] };
    this.commit = new Promise<void>((resolve, reject) => (this.settle = (error) => (error === undefined ? resolve() : reject(error))));
    // Nobody may wait on a failed commit: the actor does; an unobserved one must not crash the process.
    this.commit.catch(() => undefined);
  }

  get durable(): Promise<AppendResult> {
    this.durablePromise ??= this.commit.then(() => this.result);
    return this.durablePromise;
  }
}

/** What a node's log needs from its leases: whether it may still write a partition. */
export interface PartitionGate {
  serves(partition: number): boolean;
}

/** Bytes kept free in a message for its framing (origin, map headers). */
const MESSAGE_SLACK = 1_024;
/** Bytes a record grows by in the replica (header, checksum, `streamSequence`): a stricter bound on an event's size at its owner. */
const RECORD_SLACK = 64;
/** A reader that delivered nothing for this long (ms) is checked against the stream, and restarted if behind. */
const STALL_MS = 1_000;
/** Pause (ms) before a reader that ended is started again. */
const RESTART_MS = 100;
/** Appends of one stream sent in one message at most: bounds the work one message holds up in every replica. */
const MAX_APPENDS_PER_MESSAGE = 256;

function keyOf(stream: StreamRef): string {
  return `${stream.type}\u0000${stream.id}`;
}

/** The event log of a cluster node (see the file comment). */
export class ClusterEventLog implements EventLog {
  readonly readOnly = false;
  private readonly chains = new Map<string, Chain>();
  /** Appends published by this node and not yet in the replica, by their message's origin. */
  private readonly awaiting = new Map<string, PendingAppend[]>();
  /** Ledgered appends of this node not yet in the replica, by stream and command id. */
  private readonly pendingCommands = new Map<string, PendingAppend>();
  private readonly replicated = new SequenceWaiters();
  private readonly origin: string;
  private published = 0;
  private messages: ConsumerMessages | undefined;
  private following: Promise<void> | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private closed = false;
  /** The JetStream sequence of the last message staged into the replica. */
  private ingested = 0;
  /** When a message last arrived, or the reader was last found up to date (performance.now()). */
  private progressAt = 0;
  private checking = false;
  /** The replica's last commit: messages are marked replicated in order, after it. */
  private tail: Promise<void> = Promise.resolve();
  private failure: unknown;

  constructor(
    private readonly local: ReplicaLog,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly names: ClusterNames,
    nodeId: string,
    private readonly gate: PartitionGate,
    private readonly maxPayload: number,
    private readonly maxEventBytes: number,
    private readonly publishTimeoutMs: number,
    /** Told once if the replica stops following the log (not on close): the node should hand its partitions over. */
    private readonly stopped: (error: unknown) => void = () => undefined,
    /** Snapshots shared with the other nodes; undefined: this node's own only. */
    private readonly shared?: SharedSnapshots,
  ) {
    this.origin = `${nodeId}.${Date.now().toString(36)}.`;
  }

  get path(): string {
    return this.local.path;
  }

  /** Starts reading the JetStream stream into the replica, from where the replica stopped; resolves once it has caught up with the stream as it is now. */
  async start(): Promise<void> {
    const head = this.local.headPosition();
    const last = head === 0 ? undefined : this.local.eventAt(head);
    const from = last === undefined ? 0 : last.metadata.streamSequence;
    if (typeof from !== 'number') {
      throw new TypeError(`${this.local.path} holds events that did not come from a cluster (the event at position ${head} has no metadata.streamSequence): give each node a data directory of its own`);
    }
    this.replicated.advance(from);
    this.ingested = from;
    this.progressAt = performance.now();
    const info = await this.jsm.streams.info(this.names.stream);
    this.following = this.follow();
    this.watchdog = setInterval(() => void this.checkProgress(), STALL_MS / 2);
    this.watchdog.unref();
    await this.replicatedTo(info.state.last_seq);
  }

  /**
   * Reads the stream from the message after the last one staged, for as long as the log is open.
   * The reader is an ordered consumer, which lives on one server: when that server dies (or the
   * watchdog finds the reader stalled) a new one starts where the old one stopped.
   */
  private async follow(): Promise<void> {
    while (!this.closed && this.failure === undefined) {
      try {
        const consumer = await this.js.consumers.get(this.names.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.ingested + 1 });
        // Short pulls: the server's heartbeats come every second, so a dead server is noticed soon.
        this.messages = await consumer.consume({ max_messages: 4_096, expires: 2_000 });
        for await (const message of this.messages) this.ingest(message.seq, message.data);
      } catch {
        // The consumer's server went away, or NATS is unreachable for now: read again.
      }
      if (!this.closed) await new Promise((resolve) => setTimeout(resolve, RESTART_MS));
    }
  }

  /** Restarts the reader when no message came for a while although the stream holds newer ones. */
  private async checkProgress(): Promise<void> {
    if (this.closed || this.checking || performance.now() - this.progressAt < STALL_MS) return;
    this.checking = true;
    try {
      const info = await this.jsm.streams.info(this.names.stream);
      if (info.state.last_seq > this.ingested && performance.now() - this.progressAt >= STALL_MS) void this.messages?.close();
      this.progressAt = performance.now();
    } catch {
      // NATS unreachable: nothing to read from anyway; checked again at the next tick.
    } finally {
      this.checking = false;
    }
  }

  /** Resolves once the replica holds every message up to `sequence`. */
  replicatedTo(sequence: number): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return this.replicated.wait(sequence);
  }

  /**
   * Makes the stream ready for its owner's actor: reads the stream's last JetStream sequence,
   * waits until the replica holds it, and starts a new chain from there (after a failed publish too).
   */
  async sync(stream: StreamRef): Promise<void> {
    const subject = this.names.subjectOf(stream);
    let sequence: number;
    let snapshot: StoredSnapshot | undefined;
    try {
      const [last, shared] = await Promise.all([
        this.jsm.streams.getMessage(this.names.stream, { last_by_subj: subject }), this.shared?.latest(stream),
      ]);
      sequence = last?.seq ?? 0;
      snapshot = shared;
      await this.replicatedTo(sequence);
    } catch (error) {
      throw new PersistenceError(streamName(stream), error);
    }
    // Another owner's newer snapshot (of events this replica holds): the actor loads from it.
    const version = this.local.streamHead(stream)?.version ?? 0;
    if (snapshot && snapshot.version <= version && snapshot.version > (this.local.latestSnapshot(stream)?.version ?? 0)) {
      await this.local.putSnapshot(stream, snapshot).catch(() => undefined);
    }
    this.chains.set(keyOf(stream), {
      subject, lastSequence: sequence, version: this.local.streamHead(stream)?.version ?? 0, queue: [], publishing: false, broken: undefined,
    });
  }

  /** Drops a passivated stream's chain (its next actor syncs again). */
  forget(stream: StreamRef): void {
    const key = keyOf(stream);
    const chain = this.chains.get(key);
    if (chain && !chain.publishing && chain.queue.length === 0) this.chains.delete(key);
  }

  stage(append: StreamAppend): StagedAppend {
    const { stream, events } = append;
    const name = streamName(stream);
    const partition = this.names.partitionOf(stream);
    if (this.failure !== undefined) throw new PersistenceError(name, this.failure);
    if (!this.gate.serves(partition)) throw new PersistenceError(name, new Error(`this node does not hold the lease of partition ${partition} (any more)`));
    const chain = this.chains.get(keyOf(stream));
    if (!chain) throw new PersistenceError(name, new Error('the stream was not synced with the log before its first append'));
    if (chain.broken) throw chain.broken;
    if (append.expectedVersion !== chain.version) throw new ConcurrencyError(name, append.expectedVersion, chain.version);
    if (events.length === 0 && append.timers === undefined) {
      // Nothing for the log: a command that decided nothing is not ledgered in cluster mode.
      const settled = new PendingAppend(append, chain.version, this.local.headPosition());
      settled.settle();
      return settled;
    }
    this.check(append, name);
    const pending = new PendingAppend(append, chain.version + events.length, 0);
    chain.version += events.length;
    if (append.commandId !== undefined) this.pendingCommands.set(`${keyOf(stream)}\u0000${append.commandId}`, pending);
    chain.queue.push(pending);
    if (!chain.publishing) this.publish(chain);
    return pending;
  }

  /** Refuses what the replicas could not store, before anything is published. */
  private check(append: StreamAppend, name: string): void {
    let version = append.expectedVersion;
    for (const event of append.events) {
      version++;
      const problem = unstorable(event.type, 'type') ?? unstorable(event.data, 'data') ?? unstorable(event.metadata, 'metadata');
      if (problem !== undefined) throw new EncodingError(name, `event "${event.type}"`, new TypeError(problem));
      const size = encodeLogMessage({ origin: '', appends: [{ ...append, events: [event] }] }).length + RECORD_SLACK;
      if (size > this.maxEventBytes) throw new SizeLimitError(`event "${event.type}" of ${name} at version ${version}`, size, this.maxEventBytes);
    }
    const size = encodeLogMessage({ origin: this.origin, appends: [append] }).length;
    if (size > this.maxPayload - MESSAGE_SLACK) throw new SizeLimitError(`the events of one command of ${name}`, size, this.maxPayload - MESSAGE_SLACK);
  }

  /** Publishes the chain's queued appends in one message that expects the stream's last sequence. */
  private publish(chain: Chain): void {
    if (this.failure !== undefined) {
      // The replica stopped: nothing published now could be confirmed.
      for (const pending of chain.queue.splice(0)) this.settleFailed(pending, new PersistenceError(streamName(pending.append.stream), this.failure));
      return;
    }
    const origin = `${this.origin}${++this.published}`;
    const { batch, payload } = this.nextMessage(chain, origin);
    this.awaiting.set(origin, batch);
    chain.publishing = true;
    this.js.publish(chain.subject, payload, { expect: { lastSubjectSequence: chain.lastSequence }, timeout: this.publishTimeoutMs }).then(
      (ack) => {
        chain.lastSequence = ack.seq;
        chain.publishing = false;
        if (chain.queue.length > 0 && !chain.broken) this.publish(chain);
      },
      (error: unknown) => {
        chain.publishing = false;
        this.awaiting.delete(origin);
        // Refused (another node wrote the stream: this state is stale), or its outcome unknown:
        // either way what was decided after it cannot stand, and the actor syncs again.
        const failure = new PersistenceError(streamName(batch[0]!.append.stream), error);
        chain.broken = failure;
        for (const pending of [...batch, ...chain.queue.splice(0)]) this.settleFailed(pending, failure);
      },
    );
  }

  /** The first queued appends that fit in one message, taken off the queue, and that message's bytes. */
  private nextMessage(chain: Chain, origin: string): { batch: PendingAppend[]; payload: Uint8Array } {
    let count = Math.min(chain.queue.length, MAX_APPENDS_PER_MESSAGE);
    for (;;) {
      const payload = encodeLogMessage({ origin, appends: chain.queue.slice(0, count).map((pending) => pending.append) });
      // One append always fits: stage checked it.
      if (count === 1 || payload.length <= this.maxPayload - MESSAGE_SLACK) return { batch: chain.queue.splice(0, count), payload };
      count = Math.ceil(count / 2);
    }
  }

  private settleFailed(pending: PendingAppend, error: unknown): void {
    const { stream, commandId } = pending.append;
    if (commandId !== undefined) this.pendingCommands.delete(`${keyOf(stream)}\u0000${commandId}`);
    pending.settle(error);
  }

  /** Takes one JetStream message into the replica (in stream order), and settles this node's appends it carries. */
  private ingest(sequence: number, data: Uint8Array): void {
    // A new reader may deliver again what the one before it had delivered.
    if (this.failure !== undefined || sequence <= this.ingested) return;
    this.ingested = sequence;
    this.progressAt = performance.now();
    try {
      const message = decodeLogMessage(data, sequence);
      // Left among the awaited until every append is staged: if one cannot be, fail() settles them all.
      const mine = this.awaiting.get(message.origin);
      let commit: Promise<void> | undefined;
      message.appends.forEach((append, index) => {
        const staged = this.replicate(append, sequence);
        commit = staged.commit;
        const pending = mine?.[index];
        if (pending) {
          staged.commit.then(() => {
            Object.assign(pending.result, staged.result);
            this.settleReplicated(pending);
          }, (error: unknown) => this.settleFailed(pending, new PersistenceError(streamName(append.stream), error)));
        }
      });
      if (mine) this.awaiting.delete(message.origin);
      this.tail = commit ?? this.tail;
      this.tail.then(() => this.replicated.advance(sequence), (error: unknown) => this.fail(error));
    } catch (error) {
      this.fail(error);
    }
  }

  private settleReplicated(pending: PendingAppend): void {
    const { stream, commandId } = pending.append;
    if (commandId !== undefined) this.pendingCommands.delete(`${keyOf(stream)}\u0000${commandId}`);
    pending.settle();
  }

  /**
   * Stages one append of a message into the replica. A restart reads again from the message of
   * the replica's last event, so a message with events is never read twice: its events, ledger
   * entry and timers were committed together or not at all. A stream version that does not follow
   * on is a fork in the log, which the expected sequence rules out: it stops the replica, loudly.
   */
  private replicate(append: StreamAppend, sequence: number): StagedAppend {
    const { events } = append;
    if (events.length === 0) {
      // A timer row's removal (read again after a restart, it removes nothing): applied to the stream as it is.
      return this.local.stage({ ...append, expectedVersion: this.local.streamVersion(append.stream) });
    }
    return this.local.stage({
      ...append,
      events: events.map((event) => ({ type: event.type, data: event.data, metadata: { ...event.metadata, streamSequence: sequence } })),
    });
  }

  /** The replica cannot follow the log any more (a message it cannot store): every waiter fails, and so does every later append. */
  private fail(error: unknown, closing = false): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    if (!closing) this.stopped(error);
    this.replicated.fail(error);
    for (const batch of this.awaiting.values()) {
      for (const pending of batch) this.settleFailed(pending, new PersistenceError(streamName(pending.append.stream), error));
    }
    this.awaiting.clear();
  }

  headPosition(): number {
    return this.local.headPosition();
  }

  commandResult(stream: StreamRef, commandId: string): StagedAppend | undefined {
    return this.pendingCommands.get(`${keyOf(stream)}\u0000${commandId}`) ?? this.local.commandResult(stream, commandId);
  }

  latestSnapshot(stream: StreamRef): StoredSnapshot | undefined {
    return this.local.latestSnapshot(stream);
  }

  putSnapshot(stream: StreamRef, snapshot: StoredSnapshot): Promise<void> {
    const written = this.local.putSnapshot(stream, snapshot);
    if (this.shared) written.then(() => this.shared!.publish(stream, snapshot), () => undefined);
    return written;
  }

  pendingTimers(stream: StreamRef): PendingTimer[] {
    return this.local.pendingTimers(stream);
  }

  dueTimers(before: number, limit?: number): DueTimer[] {
    return this.local.dueTimers(before, limit);
  }

  readStream(stream: StreamRef, options?: ReadStreamOptions): IterableIterator<StoredEvent> {
    return this.local.readStream(stream, options);
  }

  streamHead(stream: StreamRef): StreamHead | undefined {
    return this.local.streamHead(stream);
  }

  streams(type?: string): IterableIterator<StreamRef & StreamHead> {
    return this.local.streams(type);
  }

  readAll(options?: ReadAllOptions): IterableIterator<StoredEvent> {
    return this.local.readAll(options);
  }

  scanPartition(options: PartitionScan): { events: StoredEvent[]; lastPosition: number } {
    return this.local.scanPartition(options);
  }

  eventAt(position: number): StoredEvent | undefined {
    return this.local.eventAt(position);
  }

  onDurable(listener: (head: number) => void): () => void {
    return this.local.onDurable(listener);
  }

  stats(): CommitStats {
    return this.local.stats();
  }

  onCommit(listener: (events: number, seconds: number) => void): () => void {
    return this.local.onCommit(listener);
  }

  /** Stops reading the stream (every publish of this node has settled by now: the runtime drained first), then closes the replica. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    await this.messages?.close();
    await this.following;
    this.fail(new Error('the log is closed'), true);
    await this.local.close();
  }
}

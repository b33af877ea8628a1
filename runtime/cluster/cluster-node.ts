// One node of a cluster: its NATS connection, the log (JetStream, read into the local replica),
// its leases and its forwarding, put together for the runtime. The runtime asks it two things per
// call: does this node serve the aggregate (then it runs here, as in a single-node runtime), and
// if not, to forward the call to the node that does.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, RetentionPolicy, StorageType, jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { SendResult } from '../../actors/types.js';
import type { DueTimer } from '../../storage/event-log.js';
import type { StreamRef } from '../../storage/keys.js';
import { ClusterUnavailableError } from '../errors.js';
import { ClusterEventLog, type ReplicaLog } from './cluster-event-log.js';
import { ClusterNames } from './cluster-names.js';
import type { ResolvedClusterOptions } from './cluster-options.js';
import { Forwarding, type ForwardedCall, type LocalCalls } from './forwarding.js';
import { PartitionLeases } from './partition-leases.js';
import type { ErrorClasses } from './wire-errors.js';
import { SharedSnapshots } from './shared-snapshots.js';

/** What the node needs from its runtime once it starts serving. */
export interface ClusterHost {
  /** Runs a call forwarded by another node, here. */
  readonly local: LocalCalls;
  /** This node gained or lost a partition (its live actors of it are stale either way). */
  ownershipChanged(partition: number, owned: boolean): void;
}

const DEFAULT_MAX_PAYLOAD = 1024 * 1024;

/** Connects to NATS and opens the log; the node serves nothing until `serve`. */
export async function openClusterNode(options: ResolvedClusterOptions, local: ReplicaLog, maxEventBytes: number, classes: ErrorClasses): Promise<ClusterNode> {
  const where = options.servers.join(',');
  const name = options.connection.name ?? `rehydra-${options.name}-${options.nodeId}`;
  // noAsyncTraces: the client would otherwise build an Error (with its stack) per request, to
  // report a failure's caller; that was the largest single cost of a node under load.
  const connectAs = (purpose: string): Promise<NatsConnection> =>
    connect({ ...options.connection, servers: options.servers, name: `${name}-${purpose}`, maxReconnectAttempts: -1, reconnectTimeWait: 250, noAsyncTraces: true });
  let nc: NatsConnection;
  let leasesNc: NatsConnection;
  try {
    nc = await connectAs('log');
  } catch (error) {
    throw new ClusterUnavailableError(where, 'cannot connect to NATS', error);
  }
  try {
    // Leases get a connection of their own: renewals must not queue behind the log's traffic.
    leasesNc = await connectAs('leases');
  } catch (error) {
    await nc.close();
    throw new ClusterUnavailableError(where, 'cannot connect to NATS', error);
  }
  try {
    const names = new ClusterNames(options.name, options.partitions);
    const jsm = await jetstreamManager(nc);
    await ensureLogStream(jsm, names, options.replicas, where);
    const js = jetstream(nc);
    let kv;
    try {
      kv = await new Kvm(jetstream(leasesNc)).create(names.bucket, { replicas: options.replicas, history: 1 });
    } catch (error) {
      throw new ClusterUnavailableError(where, `cannot open the lease bucket "${names.bucket}"`, error);
    }
    let snapshots;
    try {
      snapshots = await new Kvm(js).create(names.snapshotBucket, { replicas: options.replicas, history: 1 });
    } catch (error) {
      throw new ClusterUnavailableError(where, `cannot open the snapshot bucket "${names.snapshotBucket}"`, error);
    }
    return new ClusterNode(nc, leasesNc, names, options, local, maxEventBytes, classes, jsm, js, kv, new SharedSnapshots(snapshots, names));
  } catch (error) {
    await Promise.allSettled([nc.close(), leasesNc.close()]);
    throw error;
  }
}

/** Creates the log's stream, or checks the one there has this cluster's subjects and replicas. */
export async function ensureLogStream(jsm: JetStreamManager, names: ClusterNames, replicas: number, where: string): Promise<void> {
  try {
    const info = await jsm.streams.info(names.stream).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === '404' || /not found/i.test(String((error as Error).message))) return undefined;
      throw error;
    });
    if (info) {
      if (!info.config.subjects?.includes(names.logSubjects) || info.config.num_replicas !== replicas) {
        throw new Error(`stream "${names.stream}" exists with subjects ${JSON.stringify(info.config.subjects)} and ${info.config.num_replicas} replicas; expected ["${names.logSubjects}"] and ${replicas}`);
      }
      return;
    }
    // Nothing is ever dropped from the log: no age, size or count limit, and new messages are refused rather than old ones discarded.
    await jsm.streams.add({
      name: names.stream, subjects: [names.logSubjects], storage: StorageType.File, num_replicas: replicas,
      retention: RetentionPolicy.Limits, discard: DiscardPolicy.New, max_msgs: -1, max_bytes: -1, max_age: 0, max_msgs_per_subject: -1,
    });
  } catch (error) {
    throw new ClusterUnavailableError(where, `cannot open the log's JetStream stream "${names.stream}"`, error);
  }
}

/** A connected cluster node (see openClusterNode). */
export class ClusterNode {
  readonly log: ClusterEventLog;
  private readonly leases: PartitionLeases;
  private forwarding: Forwarding | undefined;
  private host: ClusterHost | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly leasesNc: NatsConnection,
    readonly names: ClusterNames,
    private readonly options: ResolvedClusterOptions,
    local: ReplicaLog,
    maxEventBytes: number,
    private readonly classes: ErrorClasses,
    jsm: JetStreamManager,
    js: ReturnType<typeof jetstream>,
    kv: ConstructorParameters<typeof PartitionLeases>[0],
    snapshots: SharedSnapshots,
  ) {
    const maxPayload = nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
    this.leases = new PartitionLeases(kv, names, options.nodeId, options.leaseMs, {
      gained: (partition) => this.host?.ownershipChanged(partition, true),
      lost: (partition) => this.host?.ownershipChanged(partition, false),
    });
    // A node whose replica cannot follow the log cannot serve: its partitions go to the others.
    this.log = new ClusterEventLog(local, js, jsm, names, options.nodeId, this.leases, maxPayload, maxEventBytes, options.requestTimeoutMs,
      () => void this.stopServing(), snapshots);
  }

  get nodeId(): string {
    return this.options.nodeId;
  }

  /** Reads the log into the replica until it has caught up with the stream. */
  async open(): Promise<void> {
    try {
      await this.log.start();
    } catch (error) {
      throw new ClusterUnavailableError(this.options.servers.join(','), `cannot read the log's stream "${this.names.stream}"`, error);
    }
  }

  /** Starts taking leases and answering forwarded calls. */
  async serve(host: ClusterHost): Promise<void> {
    this.host = host;
    this.forwarding = new Forwarding(this.nc, this.names, this.options.nodeId, (partition) => this.leases.serves(partition),
      (partition) => this.leases.holderOf(partition), host.local, this.classes, this.options.requestTimeoutMs);
    this.forwarding.start();
    await this.leases.start();
  }

  /** True while this node may run the stream's commands itself. */
  serves(stream: StreamRef): boolean {
    return this.leases.serves(this.names.partitionOf(stream));
  }

  /** The partitions this node serves now. */
  owned(): number[] {
    return this.leases.owned();
  }

  partitionOf(stream: StreamRef): number {
    return this.names.partitionOf(stream);
  }

  /**
   * Runs a call on the stream's owner. A forwarded send resolves once this node's replica holds
   * its events too, so what the caller reads next on this node includes its own write.
   */
  async forward(call: ForwardedCall): Promise<unknown> {
    const result = await this.forwarding!.call(this.names.partitionOf({ type: call.type, id: call.id }), call);
    if (call.op === 'send') {
      const sequence = (result as SendResult).events.at(-1)?.metadata.streamSequence;
      if (typeof sequence === 'number') await this.log.replicatedTo(sequence);
    }
    return result;
  }

  /** Resolves when the stream's actor may load: after `after` (a previous incarnation's writes) settles and the stream is synced. */
  ready(stream: StreamRef, after?: Promise<unknown>): Promise<void> {
    const settled = after ? after.then(() => undefined, () => undefined) : Promise.resolve();
    return settled.then(() => this.log.sync(stream));
  }

  /** Pending timers due before `before` of the partitions this node serves, earliest first. */
  dueTimers(before: number, limit = Number.POSITIVE_INFINITY): DueTimer[] {
    const owned = this.log.dueTimers(before).filter((timer) => this.serves(timer.stream));
    return owned.slice(0, limit);
  }

  /** Stops answering calls and gives back every lease (the other nodes take over at once). */
  async stopServing(): Promise<void> {
    this.forwarding?.close();
    await this.leases.stop();
  }

  /** Closes the log (and its replica), then the connections. */
  async close(): Promise<void> {
    try {
      await this.log.close();
    } finally {
      await Promise.allSettled([this.nc.close(), this.leasesNc.close()]);
    }
  }
}

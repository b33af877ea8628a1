// Partition leases over a real nats-server's key-value bucket, two nodes in this process. A lease
// watcher can stop delivering without ending (its consumer died with a server while the node's
// connection moved on); the node must notice from its own heartbeats and watch again, or it keeps
// its old leases but can never take a new one, while the others leave it the partitions it should
// own (the failover test's killed-server case once stalled this way: a live node owning nothing).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { ClusterNames } from '../../runtime/cluster/cluster-names.js';
import { PartitionLeases } from '../../runtime/cluster/partition-leases.js';
import { startNatsCluster, type NatsCluster } from '../../fixtures/nats-servers.js';

const LEASE_MS = 600;
const PARTITIONS = 8;

let nats: NatsCluster;
let buckets = 0;
const connections: NatsConnection[] = [];
const started: PartitionLeases[] = [];

beforeAll(async () => {
  nats = await startNatsCluster({ nodes: 1 });
}, 60_000);

afterAll(async () => {
  await nats?.stop();
});

afterEach(async () => {
  await Promise.allSettled(started.splice(0).map((leases) => leases.stop()));
  await Promise.allSettled(connections.splice(0).map((connection) => connection.close()));
});

/** A node's leases on its own connection, as a cluster node keeps them. */
async function leasesOf(names: ClusterNames, nodeId: string, leaseMs = LEASE_MS): Promise<PartitionLeases> {
  const connection = await connect({ servers: nats.urls.split(',') });
  connections.push(connection);
  const kv = await new Kvm(jetstream(connection)).create(names.bucket, { history: 1 });
  const leases = new PartitionLeases(kv, names, nodeId, leaseMs, { gained: () => undefined, lost: () => undefined });
  await leases.start();
  started.push(leases);
  return leases;
}

async function until(condition: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('partition leases', () => {
  it('watch again when the watcher stops delivering, so the node still takes over a leaving node’s partitions', async () => {
    const names = new ClusterNames(`leases${process.pid}x${++buckets}`, PARTITIONS);
    const a = await leasesOf(names, 'a');
    const b = await leasesOf(names, 'b');
    const split = () => `a ${a.owned().join(',')} · b ${b.owned().join(',')}`;
    await until(() => a.owned().length > 0 && b.owned().length > 0 && a.owned().length + b.owned().length === PARTITIONS, 5 * LEASE_MS, split);

    // b's watcher goes quiet: a stopped iterator leaves b's view of the bucket frozen, as a
    // consumer that died with its server does.
    (b as unknown as { watcher: { stop(): void } }).watcher.stop();
    await new Promise((resolve) => setTimeout(resolve, LEASE_MS));
    await a.stop();
    started.splice(started.indexOf(a), 1);

    await until(() => b.owned().length === PARTITIONS, 4 * LEASE_MS, split);
  });

  it('count a silent node’s lease from when its revision was first seen, also across a watcher restart', async () => {
    const leaseMs = 1_000;
    const names = new ClusterNames(`leases${process.pid}x${++buckets}`, PARTITIONS);
    const a = await leasesOf(names, 'a', leaseMs);
    const b = await leasesOf(names, 'b', leaseMs);
    const split = () => `a ${a.owned().join(',')} · b ${b.owned().join(',')}`;
    await until(() => a.owned().length > 0 && b.owned().length > 0 && a.owned().length + b.owned().length === PARTITIONS, 5 * leaseMs, split);

    // a goes silent as a crash leaves it: its connection closes, nothing is renewed or released.
    await connections[0]!.close();
    const silent = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 0.9 * leaseMs));
    // b watches again just before a's leases lapse; the replayed, unchanged revisions are not news.
    await (b as unknown as { startWatching(): Promise<void> }).startWatching();
    await until(() => b.owned().length === PARTITIONS, 2 * leaseMs, split);
    expect(performance.now() - silent).toBeLessThan(1.6 * leaseMs);
  });
});

// Cluster mode through the public API, two or three nodes in this process over a real nats-server
// (one server, replicas 1: the failover tests run the replicated cluster): commands through any
// node, the same log on every node, errors of their own class across the wire, idempotency,
// projections and timers on the owner, a hand-over on close, and a replica resumed after a restart.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, defineProjection, type Runtime, type StoredEvent } from '../../runtime/index.js';
import { ConcurrencyError } from '../../storage/errors.js';
import { IllegalEventError, MailboxFullError, UnknownCommandError } from '../../actors/errors.js';
import { ClusterUnavailableError } from '../../runtime/errors.js';
import { account } from '../../fixtures/bank-account.js';
import { balancesProjectionUrl } from '../../fixtures/bank-events.js';
import { order } from '../../fixtures/order.js';
import type { Balance } from '../../fixtures/balances.projection.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';
import { ClusterNames } from '../../runtime/cluster/cluster-names.js';
import { startNatsCluster, type NatsCluster } from '../../fixtures/nats-servers.js';

const LEASE_MS = 1_000;
const balances = defineProjection({ name: 'balances', module: balancesProjectionUrl() });

let nats: NatsCluster;
let clusters = 0;
const open: Runtime[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  nats = await startNatsCluster({ nodes: 1 });
}, 60_000);

afterAll(async () => {
  await nats?.stop();
});

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((runtime) => runtime.close()));
  for (const dir of dirs.splice(0)) removeDir(dir);
});

interface NodeOptions {
  readonly path?: string;
  readonly mailboxCapacity?: number;
  readonly projections?: boolean;
}

/** A fresh cluster name per test: each test has a stream and a bucket of its own. */
function clusterName(): string {
  return `t${process.pid}x${++clusters}`;
}

async function node(name: string, nodeId: string, options: NodeOptions = {}): Promise<Runtime> {
  const path = options.path ?? tempDataDir();
  if (!options.path) dirs.push(path);
  const runtime = await createRuntime({
    path, aggregates: [account, order], projections: options.projections ? [balances] : [], mailboxCapacity: options.mailboxCapacity,
    cluster: { servers: nats.urls, name, nodeId, partitions: 8, replicas: 1, leaseMs: LEASE_MS },
  });
  open.push(runtime);
  return runtime;
}

/** Resolves once `check` passes (polled): what another node does is seen there, not here. */
async function eventually(check: () => void | Promise<void>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Two nodes that have settled who owns what (each owns some of the 8 partitions). */
async function twoNodes(options: NodeOptions = {}): Promise<[Runtime, Runtime]> {
  const name = clusterName();
  const a = await node(name, 'a', options);
  const b = await node(name, 'b', options);
  // b joined after a took everything: a hands b its share at a's next renewal.
  await eventually(() => {
    const owned = [a, b].map((runtime) => runtime.metrics().cluster!.partitions);
    expect(owned.every((partitions) => partitions.length > 0)).toBe(true);
    expect([...owned[0]!, ...owned[1]!].sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
  return [a, b];
}

/** The node of `nodes` that owns the aggregate now. */
function ownerOf(nodes: readonly Runtime[], type: string, id: string): Runtime {
  const partition = new ClusterNames('any', 8).partitionOf({ type, id });
  return nodes.find((runtime) => runtime.metrics().cluster!.partitions.includes(partition))!;
}

function summary(events: Iterable<StoredEvent>): string[] {
  return [...events].map((event) => `${event.position} ${event.aggregateId} v${event.version} ${event.type}`);
}

describe('cluster mode: two nodes serve one set of aggregates', () => {
  it('runs commands sent through either node, and both nodes hold the same log with the same positions', async () => {
    const [a, b] = await twoNodes();
    const results = [];
    for (let i = 0; i < 12; i++) {
      const via = i % 2 === 0 ? a : b;
      results.push(await via.send('account', `acct-${i}`, { type: 'open', owner: `o${i}`, initial: 10 }));
      results.push(await via.send('account', `acct-${i}`, { type: 'deposit', amount: i }));
    }
    // Each command ran on its aggregate's owner, whichever node it was sent to.
    for (const runtime of [a, b]) {
      const owned = Array.from({ length: 12 }, (_, i) => `acct-${i}`).filter((id) => ownerOf([a, b], 'account', id) === runtime);
      expect(runtime.metrics().commandsAccepted).toBe(2 * owned.length);
    }
    expect(a.metrics().commandsAccepted).toBeGreaterThan(0);
    expect(b.metrics().commandsAccepted).toBeGreaterThan(0);
    // Positions are gapless and global, whichever node ran the command.
    expect(results.map((result) => result.position)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    expect(results.map((result) => result.version)).toEqual(Array.from({ length: 24 }, (_, i) => (i % 2) + 1));
    // A send resolves once the sending node's replica holds it, and so everything before it in
    // the log: b sent the last command, so b reads all 24 now; a sees them as its replica follows.
    const logOfB = summary(b.readAll());
    expect(logOfB).toHaveLength(24);
    await eventually(() => expect(summary(a.readAll())).toEqual(logOfB));
    for (let i = 0; i < 12; i++) {
      const expected = { value: 'open', context: { balance: 10 + i, owner: `o${i}` }, version: 2 };
      expect(await a.state('account', `acct-${i}`)).toEqual(expected);
      expect(await b.state('account', `acct-${i}`)).toEqual(expected);
      expect([...b.readStream('account', `acct-${i}`)].map((event) => event.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
    }
    // Every event names the JetStream sequence of the message it came in.
    const sequences = [...a.readAll()].map((event) => event.metadata.streamSequence);
    expect(sequences).toEqual([...sequences].sort((x, y) => (x as number) - (y as number)));
  });

  it('gives a forwarded command\'s refusal the class and fields it has on the owner', async () => {
    const [a, b] = await twoNodes();
    await a.send('account', 'refusals', { type: 'open', owner: 'ann', initial: 5 });
    for (const via of [a, b]) {
      const concurrency = await via.send('account', 'refusals', { type: 'deposit', amount: 1 }, { expectedVersion: 0 }).catch((error: unknown) => error);
      expect(concurrency).toBeInstanceOf(ConcurrencyError);
      expect(concurrency).toMatchObject({ code: 'ERR_CONCURRENCY', expected: 0, actual: 1 });
      const illegal = await via.send('account', 'refusals', { type: 'open', owner: 'bob', initial: 1 }).catch((error: unknown) => error);
      expect(illegal).toBeInstanceOf(IllegalEventError);
      expect(illegal).toMatchObject({ eventType: 'AccountOpened', state: 'open' });
      const handler = await via.send('account', 'refusals', { type: 'withdraw', amount: 500 }).catch((error: unknown) => error);
      expect((handler as Error).message).toMatch(/insufficient funds/);
      // Refused at the door of the node it was sent to: never forwarded.
      expect(await via.send('account', 'refusals', { type: 'steal' }).catch((error: unknown) => error)).toBeInstanceOf(UnknownCommandError);
      const explained = await via.explain('account', 'refusals', { type: 'open', owner: 'eve', initial: 1 });
      expect(explained.accepted).toBe(false);
      expect((explained as { error: unknown }).error).toBeInstanceOf(IllegalEventError);
    }
    expect(await b.state('account', 'refusals')).toMatchObject({ version: 1, context: { balance: 5 } });
  });

  it('returns MailboxFullError across the wire when the owner\'s mailbox is full', async () => {
    const [a, b] = await twoNodes({ mailboxCapacity: 2 });
    await a.send('account', 'hot', { type: 'open', owner: 'ann', initial: 0 });
    const sends = await Promise.allSettled([a, b].flatMap((via) => Array.from({ length: 40 }, () => via.send('account', 'hot', { type: 'deposit', amount: 1 }))));
    const refused = sends.filter((send) => send.status === 'rejected').map((send) => (send as PromiseRejectedResult).reason as unknown);
    const accepted = sends.filter((send) => send.status === 'fulfilled').length;
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) expect(error).toBeInstanceOf(MailboxFullError);
    // Back-pressure drops nothing silently: what was accepted is in the stream, and only that.
    expect(await a.state('account', 'hot')).toMatchObject({ version: 1 + accepted, context: { balance: accepted } });
  });

  it('answers a repeated commandId with the first result, through either node, and stores the command once', async () => {
    const [a, b] = await twoNodes();
    await a.send('account', 'idem', { type: 'open', owner: 'ann', initial: 0 });
    const first = await a.send('account', 'idem', { type: 'deposit', amount: 7 }, { commandId: 'pay-1' });
    const again = await b.send('account', 'idem', { type: 'deposit', amount: 7 }, { commandId: 'pay-1' });
    const third = await a.send('account', 'idem', { type: 'deposit', amount: 7 }, { commandId: 'pay-1' });
    expect(again).toEqual(first);
    expect(third).toEqual(first);
    expect([...b.readStream('account', 'idem')].map((event) => event.version)).toEqual([1, 2]);
    expect(await b.state('account', 'idem')).toMatchObject({ context: { balance: 7 } });
  });

  it('runs projections on every node from the same log', async () => {
    const [a, b] = await twoNodes({ projections: true });
    let last = 0;
    for (let i = 0; i < 6; i++) {
      last = (await (i % 2 === 0 ? a : b).send('account', `p-${i % 3}`, i < 3 ? { type: 'open', owner: `o${i}`, initial: 100 } : { type: 'deposit', amount: 5 })).position;
    }
    for (const runtime of [a, b]) {
      const view = runtime.projection('balances');
      await view.waitFor(last, { timeoutMs: 5_000 });
      for (let i = 0; i < 3; i++) expect(await view.get(`p-${i}`)).toEqual({ owner: `o${i}`, balance: 105, events: 2 } satisfies Balance);
    }
  });

  it('fires a durable timer once, on the owner, and every node sees its event', async () => {
    const [a, b] = await twoNodes();
    await b.send('order', 'o-1', { type: 'place', total: 30, windowMs: 300 });
    await b.send('order', 'o-2', { type: 'place', total: 40, windowMs: 300 });
    expect(a.timers().length).toBeGreaterThanOrEqual(2);
    await eventually(async () => {
      expect((await a.state('order', 'o-1')).value).toBe('expired');
      expect((await b.state('order', 'o-2')).value).toBe('expired');
    });
    for (const runtime of [a, b]) {
      await eventually(() => {
        for (const id of ['o-1', 'o-2']) {
          const fired = [...runtime.readStream('order', id)].filter((event) => event.metadata.timer === true);
          expect(fired.map((event) => event.version)).toEqual([2]);
        }
      });
    }
  });
});

describe('cluster mode: nodes coming and going', () => {
  it('hands a closing node\'s partitions to the others at once', async () => {
    const name = clusterName();
    const a = await node(name, 'a');
    const b = await node(name, 'b');
    for (let i = 0; i < 16; i++) await a.send('account', `h-${i}`, { type: 'open', owner: 'ann', initial: i });
    await a.close();
    const started = performance.now();
    for (let i = 0; i < 16; i++) await b.send('account', `h-${i}`, { type: 'deposit', amount: 1 });
    // A close gives its leases back: no lease period to wait out.
    expect(performance.now() - started).toBeLessThan(LEASE_MS);
    for (let i = 0; i < 16; i++) expect(await b.state('account', `h-${i}`)).toMatchObject({ version: 2, context: { balance: i + 1 } });
  });

  it('moves a pending timer with its partition: the next owner fires it, once', async () => {
    const [a, b] = await twoNodes();
    const ids = Array.from({ length: 40 }, (_, i) => `t-${i}`).filter((id) => ownerOf([a, b], 'order', id) === a).slice(0, 3);
    expect(ids).toHaveLength(3);
    for (const id of ids) await b.send('order', id, { type: 'place', total: 10, windowMs: 1_500 });
    // a owns them and would fire them; it closes first, and b takes its partitions.
    await a.close();
    await eventually(() => {
      for (const id of ids) {
        const events = [...b.readStream('order', id)];
        expect(events.map((event) => [event.version, event.metadata.timer === true])).toEqual([[1, false], [2, true]]);
      }
    });
    for (const id of ids) expect((await b.state('order', id)).value).toBe('expired');
    expect(b.metrics().timersFired).toBe(3);
  });

  it('lets a new owner load an aggregate from the snapshot its previous owner shared, not from its first event', async () => {
    const [a, b] = await twoNodes();
    const id = Array.from({ length: 40 }, (_, i) => `snap-${i}`).find((candidate) => ownerOf([a, b], 'account', candidate) === a)!;
    await a.send('account', id, { type: 'open', owner: 'ann', initial: 0 });
    await Promise.all(Array.from({ length: 249 }, () => a.send('account', id, { type: 'deposit', amount: 1 })));
    const logOf = (runtime: Runtime) => (runtime as unknown as { cluster: { log: { local: { latestSnapshot(stream: { type: string; id: string }): { version: number } | undefined } } } }).cluster.log.local;
    // snapshotEvery 100: a wrote (and shared) its snapshot at version 200; b, which never owned the account, has none.
    await eventually(() => expect(logOf(a).latestSnapshot({ type: 'account', id })?.version).toBe(200));
    expect(logOf(b).latestSnapshot({ type: 'account', id })).toBeUndefined();
    await a.close();
    expect(await b.send('account', id, { type: 'deposit', amount: 1 })).toMatchObject({ version: 251 });
    expect(logOf(b).latestSnapshot({ type: 'account', id })?.version).toBe(200);
    expect(await b.state('account', id)).toMatchObject({ version: 251, context: { balance: 250 } });
  });

  it('takes a dead-silent node\'s partitions within two lease periods', async () => {
    const name = clusterName();
    const a = await node(name, 'a');
    const b = await node(name, 'b');
    for (let i = 0; i < 16; i++) await a.send('account', `s-${i}`, { type: 'open', owner: 'ann', initial: i });
    // Closing the connections under a's runtime, as a crash would: a renews nothing and releases nothing.
    const { nc, leasesNc } = (a as unknown as { cluster: Record<'nc' | 'leasesNc', { close(): Promise<void> }> }).cluster;
    await Promise.all([nc.close(), leasesNc.close()]);
    const started = performance.now();
    for (let i = 0; i < 16; i++) await b.send('account', `s-${i}`, { type: 'deposit', amount: 1 });
    expect(performance.now() - started).toBeLessThan(2 * LEASE_MS + 500);
    for (let i = 0; i < 16; i++) expect(await b.state('account', `s-${i}`)).toMatchObject({ version: 2 });
  });

  it('hands over every partition of a node whose replica can no longer follow the log', async () => {
    const [a, b] = await twoNodes();
    const ids = Array.from({ length: 40 }, (_, i) => `f-${i}`).filter((id) => ownerOf([a, b], 'account', id) === a).slice(0, 3);
    for (const id of ids) await b.send('account', id, { type: 'open', owner: 'ann', initial: 1 });
    // The fault: a's replica refuses every write from here on (its LMDB log is closed under it).
    await (a as unknown as { cluster: { log: { local: { close(): Promise<void> } } } }).cluster.log.local.close();
    await b.send('account', 'f-trigger', { type: 'open', owner: 'bob', initial: 1 });
    await eventually(() => expect(b.metrics().cluster!.partitions).toEqual([0, 1, 2, 3, 4, 5, 6, 7]));
    expect(a.metrics().cluster!.partitions).toEqual([]);
    for (const id of ids) expect(await b.send('account', id, { type: 'deposit', amount: 1 })).toMatchObject({ version: 2 });
  });

  it('resumes a restarted node\'s replica where it stopped: no event twice, none missing', async () => {
    const name = clusterName();
    const path = tempDataDir();
    dirs.push(path);
    const a = await node(name, 'a');
    let b = await node(name, 'b', { path });
    for (let i = 0; i < 10; i++) await b.send('account', `r-${i}`, { type: 'open', owner: 'ann', initial: i });
    await b.close();
    for (let i = 0; i < 10; i++) await a.send('account', `r-${i}`, { type: 'deposit', amount: 1 });
    b = await node(name, 'b', { path });
    // createRuntime resolves once the replica has caught up with the log as it was.
    expect(summary(b.readAll())).toEqual(summary(a.readAll()));
    expect(summary(b.readAll())).toHaveLength(20);
    expect(await b.send('account', 'r-3', { type: 'deposit', amount: 1 })).toMatchObject({ version: 3, position: 21 });
  });
});

describe('cluster mode: options and start', () => {
  it('refuses a malformed cluster option, naming it, before anything is created', async () => {
    const path = tempDataDir();
    dirs.push(path);
    const base = { servers: 'nats://127.0.0.1:1', name: 'x', nodeId: 'a' };
    const cases: Array<[unknown, RegExp]> = [
      [{ ...base, name: 'has.dot' }, /options\.cluster\.name/],
      [{ ...base, nodeId: '' }, /options\.cluster\.nodeId/],
      [{ ...base, partitions: 0 }, /options\.cluster\.partitions/],
      [{ ...base, replicas: 7 }, /options\.cluster\.replicas/],
      [{ ...base, leaseMs: 'long' }, /options\.cluster\.leaseMs/],
      [{ ...base, servers: [] }, /options\.cluster\.servers/],
      [{ ...base, lease: 5 }, /options\.cluster\.lease is not a cluster option/],
      [{ ...base, connection: { password: 'x' } }, /options\.cluster\.connection\.password/],
    ];
    for (const [cluster, message] of cases) {
      await expect(createRuntime({ path, aggregates: [account], cluster: cluster as never })).rejects.toThrow(message);
    }
  });

  it('fails at start with ClusterUnavailableError when NATS cannot be reached, and leaves the directory free', async () => {
    const path = tempDataDir();
    dirs.push(path);
    const error = await createRuntime({ path, aggregates: [account], cluster: { servers: 'nats://127.0.0.1:9', name: 'x', nodeId: 'a', replicas: 1 } })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/nats:\/\/127\.0\.0\.1:9/);
    // The writer lock was released: the same directory opens again (here, embedded).
    const runtime = await createRuntime({ path, aggregates: [account] });
    await runtime.close();
  });

  it('refuses a data directory that holds events not from a cluster', async () => {
    const path = tempDataDir();
    dirs.push(path);
    const embedded = await createRuntime({ path, aggregates: [account] });
    await embedded.send('account', 'x', { type: 'open', owner: 'ann', initial: 1 });
    await embedded.close();
    await expect(node(clusterName(), 'a', { path })).rejects.toThrow(/did not come from a cluster/);
  });

});

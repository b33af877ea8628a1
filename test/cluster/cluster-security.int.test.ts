// Cluster mode on a NATS server that requires credentials: two nodes whose users hold exactly the
// permissions block docs/operations.md gives serve commands (forwarded ones too); a connection
// without credentials gets nothing, an authenticated outsider can neither send commands nor read
// the log, and a node with the wrong password fails at start with a clear error.
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../runtime/index.js';
import { ClusterUnavailableError } from '../../runtime/errors.js';
import { account } from '../../fixtures/bank-account.js';
import { startNatsCluster, type NatsCluster } from '../../fixtures/nats-servers.js';
import { removeDir, tempDataDir } from '../fixtures/storage-kit.js';

/** The permissions block of docs/operations.md, as the docs give it (cluster "bank"). */
function documentedPermissions(): { publish: { allow: string[] }; subscribe: { allow: string[] }; allow_responses: boolean } {
  const text = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const block = /<!-- node-permissions:begin -->\s*```json\n([\s\S]*?)```\s*<!-- node-permissions:end -->/.exec(text);
  if (!block) throw new Error('docs/operations.md has no node-permissions block');
  return JSON.parse(block[1]!) as ReturnType<typeof documentedPermissions>;
}

const permissions = documentedPermissions();
let nats: NatsCluster;
const open: Runtime[] = [];
const connections: NatsConnection[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  nats = await startNatsCluster({
    nodes: 1,
    auth: {
      users: [
        // The harness's own user (readiness checks) comes first, with the whole JetStream API.
        { user: 'admin', pass: 'admin-secret' },
        { user: 'bank-a', pass: 'a-secret', permissions },
        { user: 'bank-b', pass: 'b-secret', permissions },
        // The block without reading the lease bucket: a node that cannot watch leases must not start.
        { user: 'no-watch', pass: 'w-secret', permissions: { ...permissions, publish: { allow: permissions.publish.allow.filter((subject) => subject !== '$JS.API.CONSUMER.CREATE.KV_rehydra_bank.>') } } },
        { user: 'outsider', pass: 'o-secret', permissions: { publish: { allow: ['public.>'] }, subscribe: { allow: ['public.>', '_INBOX.>'] } } },
      ],
    },
  });
}, 60_000);

afterAll(async () => {
  await nats?.stop();
});

afterEach(async () => {
  await Promise.allSettled(open.splice(0).map((runtime) => runtime.close()));
  await Promise.allSettled(connections.splice(0).map((nc) => nc.close()));
  for (const dir of dirs.splice(0)) removeDir(dir);
});

async function node(nodeId: string, user: string, pass: string): Promise<Runtime> {
  const path = tempDataDir();
  dirs.push(path);
  const runtime = await createRuntime({
    path, aggregates: [account],
    cluster: { servers: nats.urls, name: 'bank', nodeId, partitions: 4, replicas: 1, leaseMs: 1_000, connection: { user, pass } },
  });
  open.push(runtime);
  return runtime;
}

describe('cluster mode behind NATS credentials', () => {
  it('runs two nodes with exactly the documented permissions, forwarding included', async () => {
    const a = await node('a', 'bank-a', 'a-secret');
    const b = await node('b', 'bank-b', 'b-secret');
    // Wait until both serve a share, so some of the sends below are forwarded.
    for (let tries = 0; ; tries++) {
      if (a.metrics().cluster!.partitions.length > 0 && b.metrics().cluster!.partitions.length > 0) break;
      if (tries > 100) throw new Error('the two nodes never split the partitions');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    for (let i = 0; i < 8; i++) {
      await (i % 2 === 0 ? a : b).send('account', `acct-${i}`, { type: 'open', owner: 'ann', initial: i });
      expect(await (i % 2 === 0 ? b : a).send('account', `acct-${i}`, { type: 'deposit', amount: 1 })).toMatchObject({ version: 2 });
    }
    expect(a.metrics().commandsAccepted + b.metrics().commandsAccepted).toBe(16);
    expect(a.metrics().commandsAccepted).toBeGreaterThan(0);
    expect(b.metrics().commandsAccepted).toBeGreaterThan(0);
  });

  it('lets a connection without credentials do nothing at all', async () => {
    await expect(connect({ servers: nats.urls })).rejects.toThrow(/Authorization Violation/);
  });

  it('lets an authenticated outsider neither send commands nor read the log', async () => {
    const a = await node('a', 'bank-a', 'a-secret');
    await a.send('account', 'secret', { type: 'open', owner: 'ann', initial: 100 });
    const outsider = await connect({ servers: nats.urls, user: 'outsider', pass: 'o-secret' });
    connections.push(outsider);
    // A forwarded call is a request on the owner's subject: refused by the server.
    const request = await outsider.request('rehydra.bank.rpc.a', new Uint8Array(1), { timeout: 2_000 }).catch((error: unknown) => error);
    expect(String((request as Error).message)).toMatch(/Permissions Violation for Publish to "rehydra\.bank\.rpc\.a"/);
    // Reading the log needs the JetStream API on its stream: refused as well.
    const jsm = await jetstreamManager(outsider, { checkAPI: false, timeout: 2_000 });
    const info = await jsm.streams.info('REHYDRA_bank').catch((error: unknown) => error);
    expect(String((info as Error).message)).toMatch(/Permissions Violation for Publish to "\$JS\.API\.STREAM\.INFO\.REHYDRA_bank"/);
    const read = await jetstream(outsider).consumers.get('REHYDRA_bank').then((consumer) => consumer.next({ expires: 1_000 })).catch((error: unknown) => error);
    expect(read).toBeInstanceOf(Error);
    // The account is untouched.
    expect(await a.state('account', 'secret')).toMatchObject({ version: 1, context: { balance: 100 } });
  });

  it('fails a node that cannot watch the lease bucket at start, and leaves its directory free', async () => {
    const path = tempDataDir();
    dirs.push(path);
    const options = { path, aggregates: [account] };
    const error = await createRuntime({ ...options, cluster: { servers: nats.urls, name: 'bank', nodeId: 'w', partitions: 4, replicas: 1, leaseMs: 1_000, connection: { user: 'no-watch', pass: 'w-secret' } } })
      .catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/cannot take partition leases/);
    // Closed behind the refusal: the same directory opens again.
    const runtime = await createRuntime(options);
    await runtime.close();
  });

  it('fails a node with the wrong password at start with ClusterUnavailableError', async () => {
    const error = await node('c', 'bank-a', 'wrong').catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(ClusterUnavailableError);
    expect((error as Error).message).toMatch(/cannot connect to NATS.*Authorization Violation/);
  });
});

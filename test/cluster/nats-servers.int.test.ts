// The nats-server harness the cluster tests stand on: a started cluster is usable at once (an R3
// stream takes writes), survives losing one node, comes back after a restart, and enforces the
// users and permissions it was given.
import { existsSync } from 'node:fs';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, errors, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNatsCluster, type NatsCluster } from '../../fixtures/nats-servers.js';

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

// Probing a pid with signal 0 throws ESRCH once the process is gone (and reaped).
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('startNatsCluster, three nodes', () => {
  let cluster: NatsCluster | undefined;
  const connections: NatsConnection[] = [];
  const open = async (servers: string | string[]): Promise<NatsConnection> => {
    const nc = await connect({ servers });
    connections.push(nc);
    return nc;
  };

  beforeAll(async () => {
    cluster = await startNatsCluster({ nodes: 3 });
  });
  afterAll(async () => {
    await Promise.all(connections.map((nc) => nc.close()));
    await cluster?.stop();
  });

  it('hands out three servers on loopback ports, none of them the machine nats on 4222', () => {
    const { servers, urls } = cluster!;
    expect(servers.map((server) => server.name)).toEqual(['n1', 'n2', 'n3']);
    expect(urls).toBe(servers.map((server) => server.url).join(','));
    for (const server of servers) {
      expect(server.url).toMatch(/^nats:\/\/127\.0\.0\.1:\d+$/);
      expect(server.url).not.toBe('nats://127.0.0.1:4222');
      expect(isRunning(server.pid)).toBe(true);
    }
    expect(new Set(servers.map((server) => server.url)).size).toBe(3);
  });

  it('creates a stream replicated on all three servers and acks a publish on it', async () => {
    const nc = await open(cluster!.urls.split(','));
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], num_replicas: 3 });
    expect(info.config.num_replicas).toBe(3);
    const members = [info.cluster!.leader!, ...info.cluster!.replicas!.map((peer) => peer.name)].sort();
    expect(members).toEqual(['n1', 'n2', 'n3']);

    const ack = await jetstream(nc).publish('orders.1', encode('first'));
    expect(ack).toMatchObject({ stream: 'ORDERS', seq: 1, duplicate: false });
  });

  it('keeps acking publishes on the R3 stream with one server killed (2 of 3 is a quorum)', async () => {
    const { servers } = cluster!;
    // Killing a follower, not the stream leader: the point is the quorum, not the 4-7 s it takes to
    // elect a new leader (meanwhile a publish finds no responders: "jetstream is not enabled").
    const jsm = await jetstreamManager(await open(cluster!.urls.split(',')));
    const leader = (await jsm.streams.info('ORDERS')).cluster!.leader!;
    const victim = servers.find((server) => server.name !== leader)!;
    const survivors = servers.filter((server) => server !== victim).map((server) => server.url);
    const pid = victim.pid;

    await victim.kill();
    expect(isRunning(pid)).toBe(false);

    const nc = await open(survivors);
    const ack = await jetstream(nc).publish('orders.2', encode('second'));
    expect(ack).toMatchObject({ stream: 'ORDERS', seq: 2, duplicate: false });
    // checkAPI off: its account-info request needs the meta leader, which may be the killed server
    // (then it times out for 5-10 s until re-election); stream info is answered by the stream leader.
    expect((await (await jetstreamManager(nc, { checkAPI: false })).streams.info('ORDERS')).state.messages).toBe(2);

    await victim.restart();
    expect(victim.pid).not.toBe(pid);
    expect(isRunning(victim.pid)).toBe(true);
    const back = await open(victim.url);
    const third = await jetstream(back).publish('orders.3', encode('third'));
    expect(third).toMatchObject({ stream: 'ORDERS', seq: 3, duplicate: false });
  });

  it('stops every server and removes its folder, and a second stop is harmless', async () => {
    const { servers, dir } = cluster!;
    const pids = servers.map((server) => server.pid);
    await Promise.all(connections.splice(0).map((nc) => nc.close()));
    await cluster!.stop();
    await cluster!.stop();
    expect(pids.map(isRunning)).toEqual([false, false, false]);
    expect(existsSync(dir)).toBe(false);
  });
});

describe('startNatsCluster, with users', () => {
  let cluster: NatsCluster | undefined;
  const admin = { user: 'admin', pass: 'admin-secret' };
  const limited = {
    user: 'limited',
    pass: 'limited-secret',
    permissions: { publish: { allow: ['allowed.>'], deny: ['denied.>'] }, subscribe: { allow: ['_INBOX.>', 'allowed.>'] } },
  };

  beforeAll(async () => {
    cluster = await startNatsCluster({ nodes: 1, auth: { users: [admin, limited] } });
  });
  afterAll(() => cluster?.stop());

  it('admits a user with the right password, who can use JetStream', async () => {
    const nc = await connect({ servers: cluster!.urls, ...admin });
    try {
      const info = await (await jetstreamManager(nc)).streams.add({ name: 'AUDIT', subjects: ['audit.>'] });
      expect(info.config.num_replicas).toBe(1);
      expect(await jetstream(nc).publish('audit.1', encode('x'))).toMatchObject({ stream: 'AUDIT', seq: 1 });
    } finally {
      await nc.close();
    }
  });

  it('refuses a client without credentials, or with a wrong password, as an authorization violation', async () => {
    for (const credentials of [{}, { user: 'admin', pass: 'wrong' }]) {
      const error: unknown = await connect({ servers: cluster!.urls, reconnect: false, ...credentials }).then(
        async (nc) => {
          await nc.close();
          return expect.fail('connected without valid credentials');
        },
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(errors.AuthorizationError);
      expect((error as Error).message).toBe('Authorization Violation');
    }
  });

  it('lets a limited user publish where allowed and refuses a denied subject with a permissions violation', async () => {
    const nc = await connect({ servers: cluster!.urls, user: limited.user, pass: limited.pass });
    try {
      const firstError = (async () => {
        for await (const status of nc.status()) if (status.type === 'error') return status.error;
        return undefined;
      })();
      const sub = nc.subscribe('allowed.x', { max: 1 });
      nc.publish('allowed.x', encode('fine'));
      for await (const msg of sub) expect(msg.string()).toBe('fine');

      // A plain publish is not refused to the publisher: flush resolves, the violation comes as a status.
      nc.publish('denied.y', encode('!'));
      await nc.flush();
      const violation = await firstError;
      expect(violation).toBeInstanceOf(errors.PermissionViolationError);
      expect(violation).toMatchObject({ operation: 'publish', subject: 'denied.y', message: 'Permissions Violation for Publish to "denied.y"' });

      // A request is: it rejects with a RequestError caused by the violation.
      const error: unknown = await nc.request('denied.x', encode('?'), { timeout: 5_000 }).then(
        () => expect.fail('a request on a denied subject was answered'),
        (rejection: unknown) => rejection,
      );
      expect(error).toBeInstanceOf(errors.RequestError);
      expect((error as Error).message).toBe('Permissions Violation for Publish to "denied.x"');
      const cause = (error as Error).cause;
      expect(cause).toBeInstanceOf(errors.PermissionViolationError);
      expect(cause).toMatchObject({ operation: 'publish', subject: 'denied.x' });
      expect(nc.isClosed(), 'a violation does not close the connection').toBe(false);
    } finally {
      await nc.close();
    }
  });
});

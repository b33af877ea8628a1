// The runtime's bounds hold as documented: queries count against mailboxCapacity,
// maxActiveActors is a hard cap (a busy live set refuses a new aggregate at once with
// ActorLimitError), and reads show only durable events, never a commit still being fsync'd.
import { afterEach, describe, expect, it } from 'vitest';
import { MailboxFullError } from '../../actors/errors.js';
import { ActorLimitError } from '../../runtime/errors.js';
import { resolveOptions } from '../../runtime/options.js';
import { startRuntime } from '../../runtime/runtime.js';
import type { AggregateState, Runtime, RuntimeOptions } from '../../runtime/types.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { account } from '../../fixtures/bank-account.js';
import { expectError } from '../fixtures/refusals.js';
import { RuntimeHarness } from '../fixtures/runtime-kit.js';
import { rejectionOf } from '../fixtures/storage-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

const open = (initial: number) => ({ type: 'open', owner: 'ann', initial });
const deposit = (amount: number) => ({ type: 'deposit', amount });

async function accounts(options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  const runtime = await harness.open({ path: harness.dir(), aggregates: [account], ...options });
  await runtime.send('account', 'a', open(10));
  return runtime;
}

describe('mailboxCapacity counts queries', () => {
  it('refuses a query past capacity at once, and a command past capacity when queries fill it', async () => {
    const runtime = await accounts({ mailboxCapacity: 2 });
    const deposits = [runtime.send('account', 'a', deposit(1)), runtime.send('account', 'a', deposit(2))];
    const error = expectError(await rejectionOf(runtime.state('account', 'a')), MailboxFullError, 'ERR_MAILBOX_FULL',
      'account/a has 2 commands or queries queued or in flight (mailboxCapacity)');
    expect([error.stream, error.capacity]).toEqual(['account/a', 2]);
    expect((await Promise.all(deposits)).map((r) => r.version)).toEqual([2, 3]);

    // One command in flight and one query waiting for it fill the mailbox too.
    const third = runtime.send('account', 'a', deposit(4));
    const query = runtime.state('account', 'a');
    expectError(await rejectionOf(runtime.send('account', 'a', deposit(8))), MailboxFullError, 'ERR_MAILBOX_FULL');
    expect((await third).version).toBe(4);
    expect(await query).toEqual({ value: 'open', context: { balance: 17, owner: 'ann' }, version: 4 });
    expect(await runtime.state('account', 'a')).toMatchObject({ version: 4 });
  });
});

describe('maxActiveActors is a hard cap', () => {
  it('refuses a new aggregate at once while every live actor is busy; admits it once one is idle', async () => {
    const runtime = await accounts({ maxActiveActors: 2 });
    await runtime.send('account', 'b', open(20));
    const busy = [runtime.send('account', 'a', deposit(1)), runtime.send('account', 'b', deposit(2))];
    const error = expectError(await rejectionOf(runtime.send('account', 'c', open(30))), ActorLimitError, 'ERR_ACTOR_LIMIT',
      'account/c cannot be loaded: all 2 live actors (maxActiveActors) have work queued or in flight');
    expect([error.stream, error.maxActiveActors]).toEqual(['account/c', 2]);
    expectError(await rejectionOf(runtime.state('account', 'c')), ActorLimitError, 'ERR_ACTOR_LIMIT', 'account/c');
    expect(runtime.metrics().liveActors).toBe(2);
    // Commands to the live (busy) actors are still taken.
    busy.push(runtime.send('account', 'a', deposit(4)));
    expect((await Promise.all(busy)).map((r) => r.version)).toEqual([2, 2, 3]);

    // Idle now: one of them is passivated to make room for c.
    expect((await runtime.send('account', 'c', open(30))).position).toBe(6);
    expect(runtime.metrics()).toMatchObject({ liveActors: 2, passivations: 1, headPosition: 6 });
    expect([...runtime.readAll()].filter((e) => e.aggregateId === 'c').map((e) => e.version)).toEqual([1]);
    expect(await runtime.state('account', 'b')).toMatchObject({ version: 2, context: { balance: 22 } });
  });
});

describe('reads show only durable events', () => {
  it('readStream and state({ version }) do not show a commit until it is durable', async () => {
    const path = harness.dir();
    const log = openLmdbEventLog({ path });
    const runtime = harness.track(await startRuntime(resolveOptions({ path, aggregates: [account] }), log));
    await runtime.send('account', 'a', open(10));
    let seen: { versions: number[]; asOf2: Promise<AggregateState>; head: number } | undefined;
    const sent = runtime.send('account', 'a', deposit(5));
    // Runs after the deposit's transaction committed, before it is fsync'd and acknowledged.
    log.afterNextCommit(() => {
      seen = {
        versions: [...runtime.readStream('account', 'a')].map((e) => e.version),
        asOf2: runtime.state('account', 'a', { version: 2 }),
        head: runtime.metrics().headPosition,
      };
    });
    expect((await sent).version).toBe(2);
    expect(seen!.versions).toEqual([1]);
    expect(seen!.head).toBe(1);
    expect(await seen!.asOf2).toEqual({ value: 'open', context: { balance: 10, owner: 'ann' }, version: 1 });
    expect([...runtime.readStream('account', 'a')].map((e) => e.version)).toEqual([1, 2]);
    expect(await runtime.state('account', 'a', { version: 2 })).toMatchObject({ version: 2, context: { balance: 15 } });
  });
});

// Every row of the DESIGN error table, through a real runtime on a temp LMDB: the bad input,
// the error class, its code, a message naming the aggregate and what was expected, and that
// nothing was lost or persisted (stream, log and actor state unchanged, the next command works).
import { afterEach, describe, expect, it } from 'vitest';
import { assign, createMachine, enqueueActions, fromPromise, raise, setup, spawnChild } from 'xstate';
import { defineAggregate } from '../../actors/define-aggregate.js';
import {
  ConcurrencyError, EncodingError, PersistenceError, RuntimeClosedError, SizeLimitError, StorageLockedError,
} from '../../storage/errors.js';
import {
  ApplyError, IllegalEventError, InvalidCommandError, MailboxFullError, NonDeterministicMachineError, ReplayError, UnknownCommandError,
} from '../../actors/errors.js';
import { UnknownAggregateError } from '../../runtime/errors.js';
import { resolveOptions } from '../../runtime/options.js';
import { createRuntime, startRuntime } from '../../runtime/runtime.js';
import type { Runtime, RuntimeOptions } from '../../runtime/types.js';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import { account, accountMachine } from '../../fixtures/bank-account.js';
import { UNLUCKY_AMOUNT, quirky, renamedDepositAccount } from '../fixtures/runtime-aggregates.js';
import { RuntimeHarness, domainEvent } from '../fixtures/runtime-kit.js';
import { expectError, footprint, type ErrorClass } from '../fixtures/refusals.js';
import { rejectionOf, thrownBy } from '../fixtures/storage-kit.js';

const harness = new RuntimeHarness();
afterEach(() => harness.cleanup());

/** The next valid deposit is accepted right after the one before it, with no gap. */
async function expectNextDepositWorks(runtime: Runtime, type: string, id: string, amount = 1): Promise<void> {
  const before = await footprint(runtime, type, id);
  const balance = (before.state.context as { balance: number }).balance;
  const result = await runtime.send(type, id, { type: 'deposit', amount });
  expect([result.version, result.position]).toEqual([before.state.version + 1, before.all.length + 1]);
  expect(await runtime.state(type, id)).toMatchObject({ version: before.state.version + 1, context: { balance: balance + amount } });
}

async function openAccounts(options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  const runtime = await harness.open({ path: harness.dir(), aggregates: [account, quirky], ...options });
  await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
  await runtime.send('quirky', 'q-1', { type: 'open', initial: 100 });
  return runtime;
}

describe('a handler that throws', () => {
  it('rejects send with the very same error object; nothing persisted, actor unchanged', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'quirky', 'q-1');
    const boom = new Error('no such thing');
    expect(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'fail', error: boom }))).toBe(boom);
    const notAnError = { reason: 'plain object' };
    expect(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'fail', error: notAnError }))).toBe(notAnError);
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });

  it('returning something that is not an event is an InvalidCommandError', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'quirky', 'q-1');
    expectError(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'returnGarbage' })), InvalidCommandError, 'ERR_INVALID_COMMAND',
      'quirky/q-1', 'handler "returnGarbage" must return events');
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });
});

describe('IllegalEventError: an event the statechart does not accept', () => {
  it('names the stream, the event, the state and what it accepts; nothing persisted', async () => {
    const runtime = await openAccounts();
    await runtime.send('account', 'a-2', { type: 'noop' });
    const before = await footprint(runtime, 'account', 'a-2');
    const error = expectError(await rejectionOf(runtime.send('account', 'a-2', { type: 'deposit', amount: 5 })), IllegalEventError,
      'ERR_ILLEGAL_EVENT', 'account/a-2', '"MoneyDeposited"', 'state "closed"', '(it accepts AccountOpened)');
    expect([error.stream, error.eventType, error.state, error.accepted, error.guard]).toEqual(['account/a-2', 'MoneyDeposited', 'closed', ['AccountOpened'], undefined]);
    expect(await footprint(runtime, 'account', 'a-2')).toEqual(before);
    await runtime.send('account', 'a-2', { type: 'open', owner: 'bo', initial: 1 });
    await expectNextDepositWorks(runtime, 'account', 'a-2');
  });

  it('refuses a two-event command whose SECOND event is illegal: neither is persisted nor applied', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'quirky', 'q-1');
    expectError(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'depositThenReopen', amount: 40 })), IllegalEventError,
      'ERR_ILLEGAL_EVENT', 'quirky/q-1', '"AccountOpened"', 'state "open"');
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    expect((before.state.context as { balance: number }).balance).toBe(100);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });

  it('leaves the commands pipelined around it intact', async () => {
    const runtime = await openAccounts();
    const sends = [
      runtime.send('quirky', 'q-1', { type: 'deposit', amount: 1 }),
      runtime.send('quirky', 'q-1', { type: 'depositThenReopen', amount: 40 }),
      runtime.send('quirky', 'q-1', { type: 'deposit', amount: 2 }),
      runtime.send('quirky', 'q-1', { type: 'deposit', amount: 4 }),
    ];
    const [first, illegal, ...rest] = await Promise.allSettled(sends);
    expect(first).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
    expectError((illegal as PromiseRejectedResult).reason, IllegalEventError, 'ERR_ILLEGAL_EVENT', 'quirky/q-1');
    expect(rest.map((r) => r.status === 'fulfilled' && r.value.version)).toEqual([3, 4]);
    expect(await runtime.state('quirky', 'q-1')).toMatchObject({ version: 4, context: { balance: 107 } });
    expect([...runtime.readStream('quirky', 'q-1')].map((e) => e.data.amount ?? e.data.initial)).toEqual([100, 1, 2, 4]);
  });
});

describe('malformed sends: UnknownAggregateError, UnknownCommandError, InvalidCommandError', () => {
  it('refuses an unknown aggregate type, listing the known ones', async () => {
    const runtime = await openAccounts();
    const head = runtime.metrics().headPosition;
    const error = expectError(await rejectionOf(runtime.send('acount', 'a-1', { type: 'deposit', amount: 1 })), UnknownAggregateError,
      'ERR_UNKNOWN_AGGREGATE', 'unknown aggregate type "acount"', 'known: account, quirky');
    expect(error.aggregateType).toBe('acount');
    expectError(await rejectionOf(runtime.state('acount', 'a-1')), UnknownAggregateError, 'ERR_UNKNOWN_AGGREGATE', '"acount"');
    expectError(thrownBy(() => runtime.readStream('acount', 'a-1')), UnknownAggregateError, 'ERR_UNKNOWN_AGGREGATE', '"acount"');
    expect(runtime.metrics().headPosition).toBe(head);
    await expectNextDepositWorks(runtime, 'account', 'a-1');
  });

  it('refuses an unknown command type, naming the aggregate and the known commands', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'account', 'a-1');
    const error = expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'teleport' })), UnknownCommandError,
      'ERR_UNKNOWN_COMMAND', 'aggregate "account" has no command "teleport"', 'deposit');
    expect([error.aggregateType, error.commandType]).toEqual(['account', 'teleport']);
    // Inherited names are not commands.
    for (const type of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expectError(await rejectionOf(runtime.send('account', 'a-1', { type })), UnknownCommandError, 'ERR_UNKNOWN_COMMAND', `"${type}"`);
    }
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'account', 'a-1');
  });

  it('refuses a command that is not an object with a string type', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'account', 'a-1');
    for (const command of [null, undefined, 'deposit', 42, {}, { type: 5 }, { type: null }, []]) {
      expectError(await rejectionOf(runtime.send('account', 'a-1', command as never)), InvalidCommandError, 'ERR_INVALID_COMMAND',
        'invalid command for account/a-1', 'must be an object with a string `type`');
    }
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'account', 'a-1');
  });

  it('refuses an empty, non-string or over-long (> 512 bytes) aggregate id', async () => {
    const runtime = await openAccounts();
    const head = runtime.metrics().headPosition;
    const open = { type: 'open', owner: 'x', initial: 1 };
    for (const id of ['', 42, undefined]) {
      expectError(await rejectionOf(runtime.send('account', id as never, open)), InvalidCommandError, 'ERR_INVALID_COMMAND',
        'the aggregate id must be a non-empty string');
    }
    expectError(await rejectionOf(runtime.send('account', 'x'.repeat(513), open)), InvalidCommandError, 'ERR_INVALID_COMMAND',
      'account/xxxx', 'is 513 bytes, over 512');
    // Bytes, not characters: 257 two-byte characters are 514 bytes.
    expectError(await rejectionOf(runtime.send('account', 'é'.repeat(257), open)), InvalidCommandError, 'ERR_INVALID_COMMAND',
      'is 514 bytes, over 512');
    expect(runtime.metrics().headPosition).toBe(head);
    const longest = 'é'.repeat(256);
    expect((await runtime.send('account', longest, open)).version).toBe(1);
    expect(await runtime.state('account', longest)).toMatchObject({ value: 'open', version: 1 });
  });

  it('refuses malformed send options before running anything', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'account', 'a-1');
    const deposit = { type: 'deposit', amount: 1 };
    const cases: Array<[unknown, string]> = [
      [{ expectedVersion: -1 }, 'options.expectedVersion must be a non-negative integer'],
      [{ expectedVersion: 1.5 }, 'options.expectedVersion'],
      [{ commandId: '' }, 'options.commandId must be a non-empty string'],
      [{ commandId: 'c'.repeat(513) }, 'options.commandId is 513 bytes'],
      [{ correlationId: 7 }, 'options.correlationId'],
      [{ metadata: 'user-7' }, 'options.metadata must be a plain object'],
      [null, 'send options must be an object'],
    ];
    for (const [options, fragment] of cases) {
      expectError(await rejectionOf(runtime.send('account', 'a-1', deposit, options as never)), InvalidCommandError, 'ERR_INVALID_COMMAND',
        'account/a-1', fragment);
    }
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'account', 'a-1');
  });
});

describe('ConcurrencyError: expectedVersion differs from the stream version', () => {
  it('carries expected and actual; nothing persisted; the right version is accepted', async () => {
    const runtime = await openAccounts();
    await runtime.send('account', 'a-1', { type: 'deposit', amount: 5 });
    const before = await footprint(runtime, 'account', 'a-1');
    const error = expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'deposit', amount: 1 }, { expectedVersion: 1 })),
      ConcurrencyError, 'ERR_CONCURRENCY', 'account/a-1 is at version 2, not 1', 'reload its state and retry');
    expect([error.stream, error.expected, error.actual]).toEqual(['account/a-1', 1, 2]);
    expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'deposit', amount: 1 }, { expectedVersion: 3 })), ConcurrencyError,
      'ERR_CONCURRENCY', 'at version 2, not 3');
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before);
    expect((await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 }, { expectedVersion: 2 })).version).toBe(3);
    expect((await runtime.send('account', 'new-1', { type: 'open', owner: 'n', initial: 0 }, { expectedVersion: 0 })).version).toBe(1);
  });

  it('counts commands still in flight: of two sends expecting the same version, the second fails', async () => {
    const runtime = await openAccounts();
    const deposit = { type: 'deposit', amount: 1 };
    const [a, b, c] = await Promise.allSettled([
      runtime.send('account', 'a-1', deposit, { expectedVersion: 1 }),
      runtime.send('account', 'a-1', deposit, { expectedVersion: 2 }),
      runtime.send('account', 'a-1', deposit, { expectedVersion: 2 }),
    ]);
    expect([a, b].map((r) => r.status === 'fulfilled' && r.value.version)).toEqual([2, 3]);
    const error = expectError((c as PromiseRejectedResult).reason, ConcurrencyError, 'ERR_CONCURRENCY', 'at version 3, not 2');
    expect([error.expected, error.actual]).toEqual([2, 3]);
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 3, context: { balance: 102 } });
  });
});

describe('MailboxFullError: back-pressure', () => {
  it('rejects at once past mailboxCapacity while the first commands succeed', async () => {
    const runtime = await openAccounts({ mailboxCapacity: 2 });
    await runtime.send('account', 'a-2', { type: 'open', owner: 'bo', initial: 0 });
    const deposit = (amount: number) => ({ type: 'deposit', amount });
    const settled: string[] = [];
    const track = (name: string, promise: Promise<unknown>) => promise.finally(() => settled.push(name));
    const first = track('first', runtime.send('account', 'a-1', deposit(1)));
    const second = track('second', runtime.send('account', 'a-1', deposit(2)));
    const third = runtime.send('account', 'a-1', deposit(4));
    const fourth = runtime.send('account', 'a-1', deposit(8));
    const other = runtime.send('account', 'a-2', deposit(16));
    const error = expectError(await rejectionOf(third), MailboxFullError, 'ERR_MAILBOX_FULL',
      'account/a-1 has 2 commands or queries queued or in flight', 'mailboxCapacity');
    expect([error.stream, error.capacity]).toEqual(['account/a-1', 2]);
    expect(settled, 'rejected before the first commands were durable').toEqual([]);
    expectError(await rejectionOf(fourth), MailboxFullError, 'ERR_MAILBOX_FULL');
    expect((await Promise.all([first, second])).map((r) => (r as { version: number }).version)).toEqual([2, 3]);
    expect((await other).version, 'another aggregate has its own mailbox').toBe(2);
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 3, context: { balance: 103 } });
    expect([...runtime.readStream('account', 'a-1')].map((e) => e.data.amount ?? e.data.initial)).toEqual([100, 1, 2]);
    await expectNextDepositWorks(runtime, 'account', 'a-1');
    expect(runtime.metrics().commandsRejected).toBe(2);
  });
});

describe('EncodingError, SizeLimitError, ApplyError: refused before anything is persisted', () => {
  it.each([
    ['a function', 'depositWithFunction', 'data.callback is a function'],
    ['a symbol', 'depositWithSymbol', 'data.tag is a symbol'],
  ])('refuses an event holding %s; actor unchanged', async (_what, type, fragment) => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'quirky', 'q-1');
    const error = expectError(await rejectionOf(runtime.send('quirky', 'q-1', { type, amount: 7 })), EncodingError, 'ERR_ENCODING',
      'quirky/q-1: event "MoneyDeposited" cannot be encoded', fragment);
    expect(error.cause).toBeDefined();
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });

  it('keeps the commands pipelined around an unencodable one', async () => {
    const runtime = await openAccounts();
    const results = await Promise.allSettled([
      runtime.send('quirky', 'q-1', { type: 'deposit', amount: 1 }),
      runtime.send('quirky', 'q-1', { type: 'depositWithFunction', amount: 40 }),
      runtime.send('quirky', 'q-1', { type: 'deposit', amount: 2 }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await runtime.state('quirky', 'q-1')).toMatchObject({ version: 3, context: { balance: 103 } });
  });

  it('refuses an event over maxEventBytes with SizeLimitError; actor unchanged', async () => {
    const runtime = await openAccounts({ maxEventBytes: 1024 });
    const before = await footprint(runtime, 'quirky', 'q-1');
    expectError(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'depositWithNovel', amount: 7 })), SizeLimitError, 'ERR_SIZE_LIMIT',
      'event "MoneyDeposited" of quirky/q-1 at version 2', 'over the limit of 1024 bytes');
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });

  it('refuses an event whose action throws while applying (ApplyError); actor unchanged', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'quirky', 'q-1');
    const error = expectError(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'deposit', amount: UNLUCKY_AMOUNT })), ApplyError,
      'ERR_APPLY', 'quirky/q-1: an action threw while applying "MoneyDeposited"', `a deposit of ${UNLUCKY_AMOUNT} is unlucky`,
      'nothing was persisted');
    expect([error.stream, error.eventType]).toEqual(['quirky/q-1', 'MoneyDeposited']);
    expect((error.cause as Error).message).toBe(`a deposit of ${UNLUCKY_AMOUNT} is unlucky`);
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });

  it('refuses a two-event command whose second event fails to apply; the first is not kept', async () => {
    const runtime = await openAccounts();
    const before = await footprint(runtime, 'quirky', 'q-1');
    expectError(await rejectionOf(runtime.send('quirky', 'q-1', { type: 'depositThenUnlucky', amount: 5 })), ApplyError, 'ERR_APPLY', 'quirky/q-1');
    expect(await footprint(runtime, 'quirky', 'q-1')).toEqual(before);
    await expectNextDepositWorks(runtime, 'quirky', 'q-1');
  });
});

describe('PersistenceError: the disk write fails', () => {
  async function faultyRuntime() {
    const path = harness.dir();
    let failures = 0;
    const log = openLmdbEventLog({
      path,
      injectCommitFailure: () => {
        if (failures === 0) return false;
        failures--;
        return true;
      },
    });
    const runtime = harness.track(await startRuntime(resolveOptions({ path, aggregates: [account] }), log));
    await runtime.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
    await runtime.send('account', 'a-2', { type: 'open', owner: 'bo', initial: 50 });
    return { runtime, path, failNextCommit: () => void (failures = 1) };
  }

  it('rejects every command not yet durable, and the next command rehydrates from disk', async () => {
    const { runtime, path, failNextCommit } = await faultyRuntime();
    const before = { a1: await footprint(runtime, 'account', 'a-1'), a2: await runtime.state('account', 'a-2') };
    const rehydrations = runtime.metrics().rehydrations;
    failNextCommit();
    const sends = [1, 2, 4, 8].map((amount) => runtime.send('account', 'a-1', { type: 'deposit', amount }));
    sends.push(runtime.send('account', 'a-2', { type: 'deposit', amount: 16 }));
    // Issued after the first group commit left: a second batch in flight behind the failing one.
    await Promise.resolve();
    sends.push(runtime.send('account', 'a-1', { type: 'deposit', amount: 32 }));
    sends.push(runtime.send('account', 'a-1', { type: 'transferIn', amounts: [64, 128] }));
    const outcomes = await Promise.allSettled(sends);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      const error = expectError((outcome as PromiseRejectedResult).reason, PersistenceError, 'ERR_PERSISTENCE', 'events were not made durable',
        'the command may be retried');
      expect(error.cause).toBeDefined();
    }
    expect((outcomes[0] as PromiseRejectedResult).reason.message).toContain('account/a-1');
    expect((outcomes[4] as PromiseRejectedResult).reason.message).toContain('account/a-2');

    // The live actors were ahead of the disk; now they equal it again.
    expect(await footprint(runtime, 'account', 'a-1')).toEqual(before.a1);
    expect(await runtime.state('account', 'a-2')).toEqual(before.a2);
    expect(runtime.metrics().rehydrations).toBeGreaterThan(rehydrations);

    // New commands succeed at the next gapless positions.
    const next = await Promise.all([
      runtime.send('account', 'a-1', { type: 'deposit', amount: 5 }),
      runtime.send('account', 'a-2', { type: 'deposit', amount: 6 }),
      runtime.send('account', 'a-1', { type: 'withdraw', amount: 105 }),
    ]);
    expect(next.map((r) => [r.version, r.position])).toEqual([[2, 3], [2, 4], [3, 5]]);
    expect([...runtime.readAll()].map((e) => e.position)).toEqual([1, 2, 3, 4, 5]);
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 3, context: { balance: 0 } });

    // And that is what a fresh runtime finds on disk.
    await harness.close(runtime);
    const reopened = await harness.open({ path, aggregates: [account] });
    expect([...reopened.readAll()].map(domainEvent)).toEqual([
      { type: 'AccountOpened', owner: 'ann', initial: 100 }, { type: 'AccountOpened', owner: 'bo', initial: 50 },
      { type: 'MoneyDeposited', amount: 5 }, { type: 'MoneyDeposited', amount: 6 }, { type: 'MoneyWithdrawn', amount: 105 },
    ]);
    expect(await reopened.state('account', 'a-2')).toMatchObject({ version: 2, context: { balance: 56 } });
  });

  it('turns a refusal decided on writes that then fail into a PersistenceError', async () => {
    const { runtime, failNextCommit } = await faultyRuntime();
    failNextCommit();
    const closing = runtime.send('account', 'a-1', { type: 'close' });
    // Refused because the (never durable) close says the account is closed: that was not true.
    const refused = runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
    expectError(await rejectionOf(closing), PersistenceError, 'ERR_PERSISTENCE');
    expectError(await rejectionOf(refused), PersistenceError, 'ERR_PERSISTENCE', 'account/a-1');
    expect(await runtime.state('account', 'a-1')).toMatchObject({ value: 'open', version: 1 });
    expect((await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 })).version).toBe(2);
  });

  it('rejects a query queued behind a write that fails with a PersistenceError naming the stream', async () => {
    const { runtime, failNextCommit } = await faultyRuntime();
    failNextCommit();
    const failing = runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
    // Answered after the deposit it was queued behind: that state never became durable.
    const query = runtime.state('account', 'a-1');
    expectError(await rejectionOf(failing), PersistenceError, 'ERR_PERSISTENCE', 'account/a-1');
    expectError(await rejectionOf(query), PersistenceError, 'ERR_PERSISTENCE', 'account/a-1');
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 1, context: { balance: 100 } });
  });

  it('answers the next query and commands from disk, not with the failed write\'s error', async () => {
    const { runtime, failNextCommit } = await faultyRuntime();
    failNextCommit();
    const failing = runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
    const outcome = await rejectionOf(failing);
    expectError(outcome, PersistenceError, 'ERR_PERSISTENCE', 'account/a-1');
    // Queries and empty commands right after the failure answer from disk, not with its stale error.
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 1, context: { balance: 100 } });
    expect(await runtime.send('account', 'a-1', { type: 'noop' })).toEqual({ version: 1, position: 2, events: [] });
    const retried = await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
    expect([retried.version, retried.position]).toEqual([2, 3]);
  });
});

describe('StorageLockedError: a second writer on the same path', () => {
  it('refuses the second runtime, naming path and owner; the first goes on; read-only opens are allowed', async () => {
    const path = harness.dir();
    const first = await harness.open({ path, aggregates: [account] });
    await first.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 1 });
    const error = expectError(await rejectionOf(createRuntime({ path, aggregates: [account] })), StorageLockedError, 'ERR_STORAGE_LOCKED',
      path, `already open for writing by process ${process.pid}`, 'readOnly: true');
    expect([error.path, error.ownerPid]).toEqual([path, process.pid]);
    const reader = openLmdbEventLog({ path, readOnly: true });
    try {
      expect(reader.headPosition()).toBe(1);
    } finally {
      await reader.close();
    }
    expect((await first.send('account', 'a-1', { type: 'deposit', amount: 1 })).version).toBe(2);
    await harness.close(first);
    const second = await harness.open({ path, aggregates: [account] });
    expect(await second.state('account', 'a-1')).toMatchObject({ version: 2, context: { balance: 2 } });
  });
});

describe('ReplayError: a stored event no state of the machine accepts (schema drift)', () => {
  async function writeWithOldDefinition(path: string): Promise<void> {
    const old = await harness.open({ path, aggregates: [account] });
    await old.send('account', 'a-1', { type: 'open', owner: 'ann', initial: 100 });
    await old.send('account', 'a-1', { type: 'deposit', amount: 5 });
    await harness.close(old);
  }

  it('names stream, version and event type, and points to upcasters; the log is untouched', async () => {
    const path = harness.dir();
    await writeWithOldDefinition(path);
    const runtime = await harness.open({ path, aggregates: [renamedDepositAccount()] });
    const error = expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'deposit', amount: 1 })), ReplayError, 'ERR_REPLAY',
      'account/a-1 cannot replay event "MoneyDeposited" at version 2', 'add an upcaster for "MoneyDeposited"');
    expect([error.stream, error.version, error.eventType]).toEqual(['account/a-1', 2, 'MoneyDeposited']);
    expectError(await rejectionOf(runtime.state('account', 'a-1')), ReplayError, 'ERR_REPLAY', 'at version 2');
    // Still refused on retry (it is retried, not cached as a broken live actor), and nothing was written.
    expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'deposit', amount: 1 })), ReplayError, 'ERR_REPLAY');
    expect(runtime.metrics().headPosition).toBe(2);
    expect([...runtime.readAll()].map((e) => e.type)).toEqual(['AccountOpened', 'MoneyDeposited']);
  });

  it('replays fine once an upcaster maps the old event type', async () => {
    const path = harness.dir();
    await writeWithOldDefinition(path);
    const runtime = await harness.open({
      path,
      aggregates: [renamedDepositAccount({ MoneyDeposited: (event) => ({ ...event, type: 'FundsDeposited' }) })],
    });
    expect(await runtime.state('account', 'a-1')).toEqual({ value: 'open', context: { balance: 105, owner: 'ann' }, version: 2 });
    expect((await runtime.send('account', 'a-1', { type: 'deposit', amount: 1 })).version).toBe(3);
    expect([...runtime.readStream('account', 'a-1')].map((e) => e.type)).toEqual(['AccountOpened', 'FundsDeposited', 'FundsDeposited']);
  });
});

describe('RuntimeClosedError: after close()', () => {
  it('refuses send, state, readStream, readAll and subscribe', async () => {
    const runtime = await openAccounts();
    await runtime.close();
    expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'deposit', amount: 1 })), RuntimeClosedError, 'ERR_RUNTIME_CLOSED',
      'send to account/a-1: the runtime is closed');
    expectError(await rejectionOf(runtime.state('account', 'a-1')), RuntimeClosedError, 'ERR_RUNTIME_CLOSED', 'state of account/a-1');
    expectError(thrownBy(() => runtime.readStream('account', 'a-1')), RuntimeClosedError, 'ERR_RUNTIME_CLOSED', 'readStream');
    expectError(thrownBy(() => runtime.readAll()), RuntimeClosedError, 'ERR_RUNTIME_CLOSED', 'readAll');
    expectError(thrownBy(() => runtime.subscribe({}, () => undefined)), RuntimeClosedError, 'ERR_RUNTIME_CLOSED', 'subscribe');
    await runtime.close();
  });

  it('refuses sends issued while close() drains', async () => {
    const runtime = await openAccounts();
    const accepted = runtime.send('account', 'a-1', { type: 'deposit', amount: 1 });
    const closing = runtime.close();
    expectError(await rejectionOf(runtime.send('account', 'a-1', { type: 'deposit', amount: 1 })), RuntimeClosedError, 'ERR_RUNTIME_CLOSED');
    expect((await accepted).version).toBe(2);
    await closing;
  });
});

describe('createRuntime options: TypeError/RangeError naming the field', () => {
  const cases: Array<[string, Record<string, unknown>, ErrorClass, string]> = [
    ['mailboxCapacity 0', { mailboxCapacity: 0 }, RangeError, 'options.mailboxCapacity must be an integer ≥ 1 (got 0)'],
    ['mailboxCapacity 1.5', { mailboxCapacity: 1.5 }, RangeError, 'options.mailboxCapacity'],
    ['mailboxCapacity "8"', { mailboxCapacity: '8' }, RangeError, 'options.mailboxCapacity'],
    ['idleTimeoutMs -1', { idleTimeoutMs: -1 }, RangeError, 'options.idleTimeoutMs must be an integer ≥ 0 (got -1)'],
    ['maxActiveActors 0', { maxActiveActors: 0 }, RangeError, 'options.maxActiveActors'],
    ['workers 0', { workers: 0 }, RangeError, 'options.workers'],
    ['maxEventBytes 10', { maxEventBytes: 10 }, RangeError, 'options.maxEventBytes'],
    ['commandIdRetentionMs 0', { commandIdRetentionMs: 0 }, RangeError, 'options.commandIdRetentionMs must be a positive integer of milliseconds or Infinity (got 0)'],
    ['commandIdRetentionMs 1.5', { commandIdRetentionMs: 1.5 }, RangeError, 'options.commandIdRetentionMs'],
    ['commandIdRetentionMs "1h"', { commandIdRetentionMs: '1h' }, RangeError, 'options.commandIdRetentionMs'],
    ['durability', { durability: 'fast' }, TypeError, `options.durability must be 'sync' or 'async' (got "fast")`],
    ['empty path', { path: '' }, TypeError, 'options.path must be a non-empty directory path'],
    ['missing path', { path: undefined }, TypeError, 'options.path'],
    ['no aggregates', { aggregates: [] }, TypeError, 'options.aggregates must be a non-empty array'],
    ['a non-definition', { aggregates: [account, { type: 'x' }] }, TypeError, 'options.aggregates[1] is not a defineAggregate(...) result'],
    ['two of a type', { aggregates: [account, account] }, TypeError, 'options.aggregates has two aggregates of type "account"'],
    ['an unknown key', { snapshotEvry: 5 }, TypeError, 'options.snapshotEvry is not a createRuntime option'],
  ];

  it.each(cases)('%s', async (_name, override, errorClass, fragment) => {
    const path = harness.dir();
    const error = await rejectionOf(createRuntime({ path, aggregates: [account], ...override } as RuntimeOptions));
    expect(error).toBeInstanceOf(errorClass);
    expect((error as Error).message).toContain(fragment);
    // Nothing was opened: the directory is free for a valid runtime.
    const runtime = await harness.open({ path, aggregates: [account] });
    expect(runtime.metrics().headPosition).toBe(0);
  });

  it('refuses a missing options object', async () => {
    expect(await rejectionOf(createRuntime(null as never))).toBeInstanceOf(TypeError);
  });
});

describe('defineAggregate', () => {
  const commands = { go: () => ({ type: 'GO' }) };
  const refused = (machine: Parameters<typeof defineAggregate>[0]['machine']) =>
    thrownBy(() => defineAggregate({ type: 'timer', machine, commands }));

  it('accepts delayed transitions (after) and named delays: the runtime keeps them as durable timers', () => {
    expect(() => defineAggregate({ type: 'timer', machine: createMachine({ initial: 'a', states: { a: { after: { 1000: 'b' } }, b: {} } }), commands })).not.toThrow();
    const named = setup({ delays: { soon: () => 5 } }).createMachine({ initial: 'a', states: { a: { initial: 'x', states: { x: { after: { soon: 'y' } }, y: {} } } } });
    expect(() => defineAggregate({ type: 'timer', machine: named, commands })).not.toThrow();
  });

  it('refuses a delayed raise of its own, pointing at after', () => {
    expectError(refused(createMachine({ initial: 'a', states: { a: { entry: raise({ type: 'LATER' }, { delay: 10 }) } } })), NonDeterministicMachineError,
      'ERR_NON_DETERMINISTIC', 'aggregate "timer"', 'delayed action', 'use a delayed transition (after)');
  });

  it('refuses invoked actors', () => {
    expectError(refused(createMachine({ initial: 'a', states: { a: { invoke: { src: fromPromise(async () => 1) } } } })),
      NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'state "a" invokes an actor (invoke)');
  });

  it('refuses spawnChild in entry, exit and transition actions', () => {
    const child = fromPromise(async () => 1);
    expectError(refused(createMachine({ initial: 'a', states: { a: { entry: spawnChild(child) } } })), NonDeterministicMachineError,
      'ERR_NON_DETERMINISTIC', 'spawns a child actor (spawnChild)');
    expectError(refused(createMachine({ initial: 'a', states: { a: { on: { GO: { actions: [spawnChild(child)] } } } } })),
      NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'spawnChild');
  });

  it('refuses spawn() inside assign and spawnChild inside enqueueActions', () => {
    const child = fromPromise(async () => 1);
    expectError(refused(createMachine({
      context: { ref: undefined as unknown },
      initial: 'a',
      states: { a: { on: { GO: { actions: assign({ ref: ({ spawn }) => spawn(child) }) } } } },
    })), NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'spawn');
    expectError(refused(createMachine({
      initial: 'a',
      states: { a: { on: { GO: { actions: enqueueActions(({ enqueue }) => enqueue.spawnChild(child)) } } } },
    })), NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'spawnChild');
    expectError(refused(setup({ actions: { track: assign({ ref: ({ spawn }) => spawn(child) }) } }).createMachine({
      context: { ref: undefined as unknown },
      initial: 'a',
      states: { a: { on: { GO: { actions: 'track' } } } },
    })), NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'action "track"', 'spawn');
  });

  it('refuses a delayed action enqueued by enqueueActions', () => {
    expectError(refused(createMachine({
      initial: 'a',
      states: { a: { on: { GO: { actions: enqueueActions(({ enqueue }) => enqueue.raise({ type: 'LATER' }, { delay: 10 })) } } } },
    })), NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'delayed action');
  });

  it('refuses setup({ actors }) and delayed actions', () => {
    expectError(refused(setup({ actors: { fetcher: fromPromise(async () => 1) } }).createMachine({ initial: 'a', states: { a: {} } })),
      NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'its setup() declares actors');
    expectError(refused(createMachine({ initial: 'a', states: { a: { on: { GO: { actions: raise({ type: 'LATER' }, { delay: 10 }) } } } } })),
      NonDeterministicMachineError, 'ERR_NON_DETERMINISTIC', 'schedules a delayed action');
  });

  it('accepts the deterministic bank account machine', () => {
    expect(defineAggregate({ type: 'account', machine: accountMachine, commands: { close: () => ({ type: 'AccountClosed' }) } }).fingerprint).toMatch(/^[0-9a-f]{32}$/);
  });

  it('refuses bad definition options, naming the field', () => {
    const base = { type: 'account', machine: accountMachine, commands };
    const cases: Array<[Record<string, unknown>, ErrorClass, string]> = [
      [{ type: 'has space' }, TypeError, 'options.type must be a name'],
      [{ type: '' }, TypeError, 'options.type'],
      [{ machine: {} }, TypeError, 'options.machine of aggregate "account" must be an XState machine'],
      [{ commands: {} }, TypeError, 'options.commands of aggregate "account" must map at least one command'],
      [{ commands: { go: 'nope' } }, TypeError, 'options.commands.go of aggregate "account" must be a function'],
      [{ snapshotEvery: -1 }, RangeError, 'options.snapshotEvery of aggregate "account" must be a non-negative integer (got -1)'],
      [{ snapshotVersion: 0.5 }, RangeError, 'options.snapshotVersion'],
      [{ upcasters: { MoneyDeposited: 'x' } }, TypeError, 'options.upcasters.MoneyDeposited of aggregate "account" must be a function'],
    ];
    for (const [override, errorClass, fragment] of cases) {
      const error = thrownBy(() => defineAggregate({ ...base, ...override } as never));
      expect(error).toBeInstanceOf(errorClass);
      expect((error as Error).message).toContain(fragment);
    }
  });
});

// The runtime's behaviour through its public API on a real LMDB in a temp folder: what send
// returns and stores, idempotency, pipelining, state as of a version or time, reads,
// subscriptions, snapshots, upcasters, passivation, close() draining, and metrics.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openLmdbEventLog } from '../../storage/lmdb-event-log.js';
import type { StoredEvent } from '../../storage/event-log.js';
import type { Runtime, RuntimeOptions } from '../../runtime/types.js';
import { account } from '../../fixtures/bank-account.js';
import { accountV1, accountV2, accountWith, countingAccount, tallyingAccount } from '../fixtures/runtime-aggregates.js';
import { RuntimeHarness, domainEvent, foldAccount } from '../fixtures/runtime-kit.js';

const harness = new RuntimeHarness();
afterEach(async () => {
  await harness.cleanup();
  vi.useRealTimers();
});

const open = (initial: number, owner = 'ann') => ({ type: 'open', owner, initial });
const deposit = (amount: number) => ({ type: 'deposit', amount });
const withdraw = (amount: number) => ({ type: 'withdraw', amount });

async function accounts(options: Partial<RuntimeOptions> = {}): Promise<Runtime> {
  return harness.open({ path: harness.dir(), aggregates: [account], ...options });
}

async function collect(events: AsyncIterable<StoredEvent>): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for await (const event of events) all.push(event);
  return all;
}

/** Subscription handler that records events; `until(n)` is a latch released by the n-th event. */
class Recorder {
  readonly events: StoredEvent[] = [];
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  readonly handler = (event: StoredEvent): void => {
    this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => (this.events.length >= waiter.count ? (waiter.resolve(), false) : true));
  };

  until(count: number): Promise<void> {
    if (this.events.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  get positions(): number[] {
    return this.events.map((e) => e.position);
  }
}

// Snapshots are written off the ack path, once their events are durable: poll the counter.
const SNAPSHOTS_WRITTEN = { timeout: 10_000, interval: 5 };

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('send', () => {
  it('resolves to { version, position, events } with the stored events and their metadata', async () => {
    const runtime = await accounts();
    const before = Date.now();
    const opened = await runtime.send('account', 'a-1', open(100), {
      commandId: 'c-1', correlationId: 'corr-9', metadata: { userId: 'u-7', tags: ['x'] },
    });
    const after = Date.now();
    expect(opened).toEqual({
      version: 1,
      position: 1,
      events: [{
        position: 1, aggregateType: 'account', aggregateId: 'a-1', version: 1, type: 'AccountOpened', data: { owner: 'ann', initial: 100 },
        metadata: { timestamp: expect.any(Number), commandId: 'c-1', correlationId: 'corr-9', causationId: 'c-1', userId: 'u-7', tags: ['x'] },
      }],
    });
    const timestamp = opened.events[0]!.metadata.timestamp;
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);

    await runtime.send('account', 'a-2', open(5, 'bo'));
    const transfer = await runtime.send('account', 'a-1', { type: 'transferIn', amounts: [1, 2] }, { commandId: 'c-2', causationId: 'cause-3' });
    expect([transfer.version, transfer.position]).toEqual([3, 4]);
    expect(transfer.events.map((e) => [e.position, e.version, e.type, e.data])).toEqual([
      [3, 2, 'MoneyDeposited', { amount: 1 }],
      [4, 3, 'MoneyDeposited', { amount: 2 }],
    ]);
    for (const event of transfer.events) {
      expect(event.metadata).toEqual({ timestamp: transfer.events[0]!.metadata.timestamp, commandId: 'c-2', correlationId: 'c-2', causationId: 'cause-3' });
    }
    // What send returned is exactly what is stored.
    expect([...runtime.readStream('account', 'a-1')]).toEqual([...opened.events, ...transfer.events]);
  });

  it('stores only a timestamp when no ids or metadata are given', async () => {
    const runtime = await accounts();
    const result = await runtime.send('account', 'a-1', open(1));
    expect(Object.keys(result.events[0]!.metadata)).toEqual(['timestamp']);
  });

  it('keeps the caller metadata but not a caller timestamp', async () => {
    const runtime = await accounts();
    const result = await runtime.send('account', 'a-1', open(1), { metadata: { timestamp: 5, source: 'import' } });
    expect(result.events[0]!.metadata.source).toBe('import');
    expect(result.events[0]!.metadata.timestamp).toBeGreaterThan(5);
  });

  it('returns the current version and the head for a command with no events', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'a-1', open(1));
    await runtime.send('account', 'a-2', open(2));
    expect(await runtime.send('account', 'a-1', { type: 'noop' })).toEqual({ version: 1, position: 2, events: [] });
    expect(await runtime.send('account', 'fresh', { type: 'noop' })).toEqual({ version: 0, position: 2, events: [] });
    expect(runtime.metrics().headPosition).toBe(2);
  });
});

describe('idempotency: a repeated commandId returns the first result without running the handler', () => {
  it('on the live actor, whatever the repeated command says', async () => {
    const { definition, calls } = countingAccount();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [definition] });
    const first = await runtime.send('account', 'a-1', open(100), { commandId: 'c-1' });
    const deposited = await runtime.send('account', 'a-1', deposit(5), { commandId: 'c-2' });
    expect(await runtime.send('account', 'a-1', open(100), { commandId: 'c-1' })).toEqual(first);
    expect(await runtime.send('account', 'a-1', withdraw(1_000), { commandId: 'c-2' })).toEqual(deposited);
    expect(Object.fromEntries(calls)).toEqual({ open: 1, deposit: 1 });
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 2, context: { balance: 105 } });
    expect(runtime.metrics().headPosition).toBe(2);
    // Per aggregate: the same commandId on another aggregate is a new command.
    expect((await runtime.send('account', 'a-2', open(1), { commandId: 'c-1' })).position).toBe(3);
    expect(calls.get('open')).toBe(2);
  });

  it('while the first is still in flight', async () => {
    const { definition, calls } = countingAccount();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [definition] });
    await runtime.send('account', 'a-1', open(100));
    const results = await Promise.all([
      runtime.send('account', 'a-1', deposit(5), { commandId: 'c-1' }),
      runtime.send('account', 'a-1', deposit(5), { commandId: 'c-1' }),
      runtime.send('account', 'a-1', deposit(7)),
      runtime.send('account', 'a-1', deposit(5), { commandId: 'c-1' }),
    ]);
    expect(results[1]).toEqual(results[0]);
    expect(results[3]).toEqual(results[0]);
    expect(results.map((r) => r.version)).toEqual([2, 2, 3, 2]);
    expect(calls.get('deposit')).toBe(2);
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 3, context: { balance: 112 } });
  });

  it('for a command that produced no events', async () => {
    const { definition, calls } = countingAccount();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [definition] });
    await runtime.send('account', 'a-1', open(1));
    const first = await runtime.send('account', 'a-1', { type: 'noop' }, { commandId: 'n-1' });
    await runtime.send('account', 'a-1', deposit(1));
    expect(await runtime.send('account', 'a-1', { type: 'noop' }, { commandId: 'n-1' })).toEqual(first);
    expect(calls.get('noop')).toBe(1);
  });

  it('but a rejected command is not recorded: retrying its commandId runs the handler again', async () => {
    const { definition, calls } = countingAccount();
    const runtime = await harness.open({ path: harness.dir(), aggregates: [definition] });
    await runtime.send('account', 'a-1', open(10));
    await expect(runtime.send('account', 'a-1', withdraw(50), { commandId: 'w-1' })).rejects.toThrow('insufficient funds');
    await runtime.send('account', 'a-1', deposit(40));
    expect((await runtime.send('account', 'a-1', withdraw(50), { commandId: 'w-1' })).version).toBe(3);
    expect(calls.get('withdraw')).toBe(2);
  });

  it('after close and reopen, and after snapshots were taken', async () => {
    const path = harness.dir();
    const before = countingAccount(5);
    const first = await harness.open({ path, aggregates: [before.definition] });
    const opened = await first.send('account', 'a-1', open(100), { commandId: 'c-open' });
    const deposits = [];
    for (let i = 1; i <= 12; i++) deposits.push(await first.send('account', 'a-1', deposit(i), { commandId: `c-dep-${i}` }));
    await vi.waitFor(() => expect(first.metrics().snapshotsWritten).toBe(2), SNAPSHOTS_WRITTEN);
    await harness.close(first);

    const after = countingAccount(5);
    const second = await harness.open({ path, aggregates: [after.definition] });
    expect(await second.send('account', 'a-1', open(100), { commandId: 'c-open' })).toEqual(opened);
    expect(await second.send('account', 'a-1', deposit(1), { commandId: 'c-dep-3' })).toEqual(deposits[2]);
    expect(await second.send('account', 'a-1', deposit(1), { commandId: 'c-dep-12' })).toEqual(deposits[11]);
    expect(after.calls.size).toBe(0);
    expect(await second.state('account', 'a-1')).toMatchObject({ version: 13, context: { balance: 178 } });
    expect(second.metrics().headPosition).toBe(13);
  });
});

describe('pipelining: many commands to ONE aggregate issued in the same tick', () => {
  it('all succeed in order with consecutive versions, and acks resolve in send order', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'hot', open(0));
    const acked: number[] = [];
    const sends = range(1, 300).map((i) => runtime.send('account', 'hot', deposit(i)).then((result) => (acked.push(i), result)));
    expect(runtime.metrics().queuedCommands).toBe(300);
    // A second wave while the first is still being flushed.
    await Promise.resolve();
    sends.push(...range(301, 400).map((i) => runtime.send('account', 'hot', deposit(i)).then((result) => (acked.push(i), result))));
    const results = await Promise.all(sends);
    expect(acked).toEqual(range(1, 400));
    expect(results.map((r) => r.version)).toEqual(range(2, 401));
    expect(results.map((r) => r.position)).toEqual(range(2, 401));
    expect(results.map((r) => r.events[0]!.data.amount)).toEqual(range(1, 400));
    expect(await runtime.state('account', 'hot')).toMatchObject({ version: 401, context: { balance: (400 * 401) / 2 } });
    const metrics = runtime.metrics();
    expect(metrics.maxBatchSize, 'commands of one tick share a group commit').toBeGreaterThan(1);
    expect(metrics.commits).toBeLessThan(400);
  });

  it('settles replies in send order, refusals included: a refusal waits for the writes it was decided on', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'hot', open(10));
    const settled: string[] = [];
    const sends = [deposit(5), withdraw(1_000), { type: 'close' }, deposit(1)].map((command, i) =>
      runtime.send('account', 'hot', command).then(() => settled.push(`ok ${i}`), () => settled.push(`refused ${i}`)));
    await Promise.all(sends);
    expect(settled).toEqual(['ok 0', 'refused 1', 'ok 2', 'refused 3']);
  });

  it('settles replies in send order on a freshly rehydrated actor too (nothing in flight yet)', async () => {
    const path = harness.dir();
    const first = await harness.open({ path, aggregates: [account] });
    const opened = await first.send('account', 'a-1', open(10), { commandId: 'c-1' });
    await harness.close(first);
    const runtime = await harness.open({ path, aggregates: [account] });
    const settled: string[] = [];
    const sends: Array<[string, Promise<unknown>]> = [
      ['noop', runtime.send('account', 'a-1', { type: 'noop' })],
      ['refused 1', runtime.send('account', 'a-1', withdraw(1_000))],
      ['repeat', runtime.send('account', 'a-1', open(10), { commandId: 'c-1' })],
      ['refused 2', runtime.send('account', 'a-1', withdraw(1_000))],
      ['deposit', runtime.send('account', 'a-1', deposit(1))],
      ['refused 3', runtime.send('account', 'a-1', withdraw(1_000))],
    ];
    const outcomes = await Promise.allSettled(sends.map(([name, sent]) => sent.finally(() => settled.push(name))));
    expect(settled).toEqual(sends.map(([name]) => name));
    expect(outcomes[2]).toEqual({ status: 'fulfilled', value: opened });
  });

  it('acknowledges empty commands and repeated commandIds in send order among pipelined writes', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'hot', open(0));
    const settled: string[] = [];
    const sends: Array<[string, Promise<unknown>]> = [
      ['d1', runtime.send('account', 'hot', deposit(1), { commandId: 'c-1' })],
      ['noop', runtime.send('account', 'hot', { type: 'noop' })],
      ['d2', runtime.send('account', 'hot', deposit(2))],
      ['repeat', runtime.send('account', 'hot', deposit(1), { commandId: 'c-1' })],
      ['empty transfer', runtime.send('account', 'hot', { type: 'transferIn', amounts: [] })],
      ['d3', runtime.send('account', 'hot', deposit(3))],
    ];
    const results = (await Promise.all(sends.map(([name, sent]) => sent.then((r) => (settled.push(name), r))))) as Array<{ version: number; position: number }>;
    expect(settled).toEqual(sends.map(([name]) => name));
    expect(results.map((r) => r.version)).toEqual([2, 2, 3, 2, 3, 4]);
    expect(results[3]).toEqual(results[0]);
    expect(results[1]!.position, 'an empty command reports a head that includes the writes before it').toBeGreaterThanOrEqual(results[0]!.position);
    expect(await runtime.state('account', 'hot')).toMatchObject({ version: 4, context: { balance: 6 } });
  });

  it('rejects only the commands that fail, in order, among accepted ones', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'hot', open(10));
    const outcomes = await Promise.allSettled([withdraw(6), withdraw(6), deposit(5), withdraw(6), withdraw(6)].map((c) => runtime.send('account', 'hot', c)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value.version : 'insufficient funds'))).toEqual([2, 'insufficient funds', 3, 4, 'insufficient funds']);
    expect(await runtime.state('account', 'hot')).toMatchObject({ version: 4, context: { balance: 3 } });
  });
});

describe('state', () => {
  it('is the initial state at version 0 for an aggregate with no events', async () => {
    const runtime = await accounts();
    expect(await runtime.state('account', 'nobody')).toEqual({ value: 'closed', context: { balance: 0, owner: '' }, version: 0 });
  });

  it('is current, or as of a version', async () => {
    const definition = accountWith({ snapshotEvery: 3 });
    const runtime = await accounts({ aggregates: [definition] });
    await runtime.send('account', 'a-1', open(100));
    for (const amount of [10, 20, 30, 40, 50]) await runtime.send('account', 'a-1', deposit(amount));
    await runtime.send('account', 'a-1', { type: 'close' });
    expect(await runtime.state('account', 'a-1')).toEqual({ value: 'closed', context: { balance: 250, owner: 'ann' }, version: 7 });
    const balances = [0, 100, 110, 130, 160, 200, 250, 250];
    for (let version = 0; version <= 7; version++) {
      expect(await runtime.state('account', 'a-1', { version }), `as of version ${version}`)
        .toEqual({ value: version === 0 || version === 7 ? 'closed' : 'open', context: { balance: balances[version], owner: version === 0 ? '' : 'ann' }, version });
    }
    // Past the head is a RangeError naming the stream and its head, from the API and the typed handle alike.
    const pastHead = new RangeError('account/a-1 is at version 7, so it has no version 8: ask for a version from 0 to 7');
    await expect(runtime.state('account', 'a-1', { version: 8 })).rejects.toThrow(pastHead);
    await expect(runtime.aggregate(definition).state('a-1', { version: 8 })).rejects.toThrow(pastHead);
    await expect(runtime.state('account', 'a-1', { version: 8, at: Date.now() })).rejects.toThrow(pastHead);
    await expect(runtime.state('account', 'nobody', { version: 1 })).rejects.toThrow(
      new RangeError('account/nobody is at version 0, so it has no version 1: ask for a version from 0 to 0'),
    );
    expect(await runtime.state('account', 'nobody', { version: 0 })).toEqual({ value: 'closed', context: { balance: 0, owner: '' }, version: 0 });
    await expect(runtime.state('account', 'a-1', { version: -1 })).rejects.toThrow(RangeError);
    await expect(runtime.state('account', 'a-1', { version: -1 })).rejects.toThrow('options.version of state(account/a-1) must be a non-negative integer');
  });

  it('is as of a time (Date or ms), also when snapshots exist', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const day = (d: number) => new Date(Date.UTC(2024, 0, d));
    const runtime = await accounts({ aggregates: [accountWith({ snapshotEvery: 2 })] });
    const amounts = [0, 100, 10, 20, 30, 40];
    for (let d = 1; d <= 5; d++) {
      vi.setSystemTime(day(d));
      const result = await runtime.send('account', 'a-1', d === 1 ? open(100) : deposit(amounts[d]!));
      expect(result.events[0]!.metadata.timestamp).toBe(day(d).getTime());
    }
    vi.useRealTimers();
    await vi.waitFor(() => expect(runtime.metrics().snapshotsWritten).toBe(2), SNAPSHOTS_WRITTEN);
    const balanceAt = (at: Date | number) => runtime.state('account', 'a-1', { at }).then((s) => [s.version, (s.context as { balance: number }).balance]);
    // Before the first event: the machine's initial state at version 0, as the docs say.
    expect(await runtime.state('account', 'a-1', { at: new Date(Date.UTC(2023, 11, 31)) })).toEqual({ value: 'closed', context: { balance: 0, owner: '' }, version: 0 });
    expect(await balanceAt(day(1))).toEqual([1, 100]);
    expect(await balanceAt(day(1).getTime() + 1)).toEqual([1, 100]);
    expect(await balanceAt(day(3))).toEqual([3, 130]);
    expect(await balanceAt(new Date(day(3).getTime() + 12 * 3_600_000))).toEqual([3, 130]);
    expect(await balanceAt(day(5).getTime())).toEqual([5, 200]);
    expect(await balanceAt(day(9))).toEqual([5, 200]);
    await expect(runtime.state('account', 'a-1', { at: new Date(Number.NaN) })).rejects.toThrow(RangeError);
  });
});

describe('readStream and readAll', () => {
  async function seeded(): Promise<Runtime> {
    const runtime = await accounts();
    await runtime.send('account', 'a-1', open(100));
    await runtime.send('account', 'a-2', open(5, 'bo'));
    await runtime.send('account', 'a-1', deposit(1));
    await runtime.send('account', 'a-1', { type: 'transferIn', amounts: [2, 3] });
    await runtime.send('account', 'a-2', withdraw(5));
    return runtime;
  }

  it('readStream reads one aggregate in version order, from a version, with for await and for…of', async () => {
    const runtime = await seeded();
    const all = [...runtime.readStream('account', 'a-1')];
    expect(all.map((e) => [e.version, e.position, e.type])).toEqual([
      [1, 1, 'AccountOpened'], [2, 3, 'MoneyDeposited'], [3, 4, 'MoneyDeposited'], [4, 5, 'MoneyDeposited'],
    ]);
    expect(await collect(runtime.readStream('account', 'a-1'))).toEqual(all);
    expect([...runtime.readStream('account', 'a-1', { fromVersion: 3 })]).toEqual(all.slice(2));
    expect(await collect(runtime.readStream('account', 'a-1', { fromVersion: 3 }))).toEqual(all.slice(2));
    expect([...runtime.readStream('account', 'a-1', { fromVersion: 2, toVersion: 3 })]).toEqual(all.slice(1, 3));
    expect([...runtime.readStream('account', 'a-1', { fromVersion: 5 })]).toEqual([]);
    expect([...runtime.readStream('account', 'nobody')]).toEqual([]);
    expect(foldAccount(all)).toMatchObject({ value: 'open', balance: 106 });
  });

  it('readAll reads every aggregate in global order, from a position, with a limit, with for await and for…of', async () => {
    const runtime = await seeded();
    const all = [...runtime.readAll()];
    expect(all.map((e) => [e.position, e.aggregateId, e.version])).toEqual([
      [1, 'a-1', 1], [2, 'a-2', 1], [3, 'a-1', 2], [4, 'a-1', 3], [5, 'a-1', 4], [6, 'a-2', 2],
    ]);
    expect(await collect(runtime.readAll())).toEqual(all);
    expect([...runtime.readAll({ fromPosition: 4 })]).toEqual(all.slice(3));
    expect(await collect(runtime.readAll({ fromPosition: 4 }))).toEqual(all.slice(3));
    expect([...runtime.readAll({ limit: 2 })]).toEqual(all.slice(0, 2));
    expect(await collect(runtime.readAll({ fromPosition: 2, limit: 3 }))).toEqual(all.slice(1, 4));
    expect([...runtime.readAll({ fromPosition: 7 })]).toEqual([]);
  });
});

describe('subscribe', () => {
  it('catches up from a position, then follows live, in global order, each event once', async () => {
    const runtime = await accounts();
    for (let i = 0; i < 3; i++) await runtime.send('account', `a-${i}`, open(10 * i));
    await runtime.send('account', 'a-0', deposit(1));
    await runtime.send('account', 'a-1', deposit(2));
    await runtime.send('account', 'a-2', withdraw(3));
    const recorder = new Recorder();
    const stop = runtime.subscribe({ fromPosition: 3 }, recorder.handler);
    await recorder.until(4);
    expect(recorder.positions).toEqual([3, 4, 5, 6]);

    // Live: pipelined commands on several aggregates, some in the same tick, some later.
    const sends = [];
    for (let i = 0; i < 60; i++) {
      sends.push(runtime.send('account', `a-${i % 3}`, deposit(i)));
      if (i % 20 === 19) await Promise.resolve();
    }
    await Promise.all(sends);
    await recorder.until(64);
    expect(recorder.positions).toEqual(range(3, 66));
    expect(recorder.events).toEqual([...runtime.readAll({ fromPosition: 3 })]);

    // After unsubscribe nothing more arrives: a subscription started later (so delivered later)
    // is the latch that says the new events were delivered.
    stop();
    const sentinel = new Recorder();
    runtime.subscribe({ fromPosition: 67 }, sentinel.handler);
    await runtime.send('account', 'a-0', deposit(1));
    await runtime.send('account', 'a-1', deposit(1));
    await sentinel.until(2);
    expect(sentinel.positions).toEqual([67, 68]);
    expect(recorder.positions).toEqual(range(3, 66));
  });

  it('starts at position 1 by default and sees commands sent before and after it', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'a-1', open(1));
    const recorder = new Recorder();
    runtime.subscribe({}, recorder.handler);
    await runtime.send('account', 'a-1', deposit(1));
    await recorder.until(2);
    expect(recorder.events.map(domainEvent)).toEqual([{ type: 'AccountOpened', owner: 'ann', initial: 1 }, { type: 'MoneyDeposited', amount: 1 }]);
  });

  it('ends at close(): no delivery is left to read the closed log', async () => {
    const runtime = await accounts();
    const recorder = new Recorder();
    runtime.subscribe({}, recorder.handler);
    await runtime.send('account', 'a-1', open(1));
    const sends = range(1, 50).map((i) => runtime.send('account', 'a-1', deposit(i)));
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      await runtime.close();
      await Promise.all(sends);
      // Deliveries scheduled during close() run before this turn ends.
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(recorder.positions).toEqual(range(1, recorder.events.length));
  });

  it('stops a subscription whose handler throws and reports the error and event to onError', async () => {
    const runtime = await accounts();
    await runtime.send('account', 'a-1', open(1));
    await runtime.send('account', 'a-1', deposit(2));
    const seen: number[] = [];
    const failure = new Error('projection bug');
    let reported!: (value: [unknown, StoredEvent | undefined]) => void;
    const onError = new Promise<[unknown, StoredEvent | undefined]>((resolve) => (reported = resolve));
    runtime.subscribe({ onError: (error, event) => reported([error, event]) }, (event) => {
      seen.push(event.position);
      if (event.position === 2) throw failure;
    });
    const [error, event] = await onError;
    expect(error).toBe(failure);
    expect(event?.position).toBe(2);
    const sentinel = new Recorder();
    runtime.subscribe({ fromPosition: 3 }, sentinel.handler);
    await runtime.send('account', 'a-1', deposit(3));
    await sentinel.until(1);
    expect(seen).toEqual([1, 2]);
  });
});

describe('snapshots', () => {
  async function write23(path: string): Promise<void> {
    const runtime = await harness.open({ path, aggregates: [accountWith({ snapshotEvery: 5 })] });
    await runtime.send('account', 'a-1', open(100));
    for (let i = 1; i <= 22; i++) await runtime.send('account', 'a-1', deposit(i));
    await vi.waitFor(() => expect(runtime.metrics().snapshotsWritten).toBe(4), SNAPSHOTS_WRITTEN);
    await harness.close(runtime);
  }

  it('are written every snapshotEvery events; rehydration after reopen equals full replay', async () => {
    const path = harness.dir();
    const definition = accountWith({ snapshotEvery: 5 });
    await write23(path);
    const reader = openLmdbEventLog({ path, readOnly: true });
    try {
      expect(reader.latestSnapshot({ type: 'account', id: 'a-1' })).toMatchObject({ version: 20, position: 20, fingerprint: definition.fingerprint });
    } finally {
      await reader.close();
    }
    const expected = { value: 'open', context: { balance: 100 + (22 * 23) / 2, owner: 'ann' }, version: 23 };
    const fromSnapshot = await harness.open({ path, aggregates: [definition] });
    expect(await fromSnapshot.state('account', 'a-1')).toEqual(expected);
    const events = [...fromSnapshot.readStream('account', 'a-1')];
    for (let version = 0; version <= 23; version++) {
      const fold = foldAccount(events.slice(0, version));
      expect(await fromSnapshot.state('account', 'a-1', { version })).toEqual({ value: fold.value, context: { balance: fold.balance, owner: fold.owner }, version });
    }
    await harness.close(fromSnapshot);
    // A bumped snapshotVersion changes the fingerprint: the same data, fully replayed.
    const fullReplay = await harness.open({ path, aggregates: [accountWith({ snapshotEvery: 5, snapshotVersion: 1 })] });
    expect(await fullReplay.state('account', 'a-1')).toEqual(expected);
  });

  it('rehydration starts from the latest snapshot and replays only the tail', async () => {
    const path = harness.dir();
    const definition = accountWith({ snapshotEvery: 5 });
    await write23(path);
    // Doctor the snapshot (same fingerprint): a rehydration that uses it shows the doctored balance.
    const log = openLmdbEventLog({ path });
    try {
      const stream = { type: 'account', id: 'a-1' };
      const snapshot = log.latestSnapshot(stream)!;
      const state = structuredClone(snapshot.state) as { context: { balance: number } };
      state.context.balance = 1_000_000;
      await log.putSnapshot(stream, { ...snapshot, state });
    } finally {
      await log.close();
    }
    const runtime = await harness.open({ path, aggregates: [definition] });
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 23, context: { balance: 1_000_000 + 20 + 21 + 22 } });
    await harness.close(runtime);
    // …and a definition with another fingerprint never uses it.
    const other = await harness.open({ path, aggregates: [accountWith({ snapshotEvery: 5, snapshotVersion: 2 })] });
    expect(await other.state('account', 'a-1')).toMatchObject({ version: 23, context: { balance: 100 + (22 * 23) / 2 } });
  });

  it('of a changed machine (other fingerprint) are ignored: full replay gives the correct state', async () => {
    const path = harness.dir();
    await write23(path);
    const tallying = tallyingAccount(5);
    const runtime = await harness.open({ path, aggregates: [tallying] });
    expect(await runtime.state('account', 'a-1')).toEqual({
      value: 'open', context: { balance: 100 + (22 * 23) / 2, owner: 'ann', deposits: 22 }, version: 23,
    });
    // The new machine writes its own snapshots, which it then uses.
    await runtime.send('account', 'a-1', deposit(1));
    await runtime.send('account', 'a-1', deposit(1));
    await vi.waitFor(() => expect(runtime.metrics().snapshotsWritten).toBe(1), SNAPSHOTS_WRITTEN);
    await harness.close(runtime);
    const reader = openLmdbEventLog({ path, readOnly: true });
    try {
      expect(reader.latestSnapshot({ type: 'account', id: 'a-1' })).toMatchObject({ version: 25, fingerprint: tallying.fingerprint });
    } finally {
      await reader.close();
    }
    const reopened = await harness.open({ path, aggregates: [tallyingAccount(5)] });
    expect(await reopened.state('account', 'a-1')).toMatchObject({ version: 25, context: { deposits: 24 } });
  });
});

describe('upcasters: a stored v1 event read by a v2 aggregate', () => {
  async function writeV1(path: string): Promise<void> {
    const v1 = await harness.open({ path, aggregates: [accountV1] });
    await v1.send('account', 'a-1', open(10));
    await v1.send('account', 'a-1', { type: 'deposit', cents: 250 });
    await v1.send('account', 'a-1', { type: 'deposit', cents: 100 });
    expect((await v1.state('account', 'a-1')).context).toMatchObject({ balance: 13.5 });
    await harness.close(v1);
  }

  it('is upcast on rehydration, readStream, readAll and subscribe; new events pass through', async () => {
    const path = harness.dir();
    await writeV1(path);
    const runtime = await harness.open({ path, aggregates: [accountV2] });
    expect(await runtime.state('account', 'a-1')).toEqual({ value: 'open', context: { balance: 13.5, owner: 'ann' }, version: 3 });
    expect(await runtime.state('account', 'a-1', { version: 2 })).toMatchObject({ context: { balance: 12.5 } });
    await runtime.send('account', 'a-1', deposit(4));
    const expected = [
      { type: 'AccountOpened', owner: 'ann', initial: 10 }, { type: 'MoneyDeposited', amount: 2.5 },
      { type: 'MoneyDeposited', amount: 1 }, { type: 'MoneyDeposited', amount: 4 },
    ];
    expect([...runtime.readStream('account', 'a-1')].map(domainEvent)).toEqual(expected);
    expect((await collect(runtime.readStream('account', 'a-1', { fromVersion: 2 }))).map(domainEvent)).toEqual(expected.slice(1));
    expect([...runtime.readAll()].map(domainEvent)).toEqual(expected);
    expect((await collect(runtime.readAll({ fromPosition: 2, limit: 1 }))).map((e) => [e.position, e.version, e.data])).toEqual([[2, 2, { amount: 2.5 }]]);
    const recorder = new Recorder();
    runtime.subscribe({}, recorder.handler);
    await recorder.until(4);
    expect(recorder.events.map(domainEvent)).toEqual(expected);
    expect(await runtime.state('account', 'a-1')).toMatchObject({ version: 4, context: { balance: 17.5 } });
    // The stored bytes are untouched: v1 still reads its own shape.
    await harness.close(runtime);
    const v1 = await harness.open({ path, aggregates: [accountV1] });
    expect([...v1.readStream('account', 'a-1', { toVersion: 3 })].map((e) => e.data)).toEqual([{ owner: 'ann', initial: 10 }, { cents: 250 }, { cents: 100 }]);
  });
});

describe('passivation', () => {
  it('passivates idle actors after idleTimeoutMs, never busy ones; state survives rehydration', async () => {
    // The sweeper is a setInterval that reads performance.now(): fake exactly those.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'performance'] });
    const runtime = await accounts({ idleTimeoutMs: 1_000 });
    await Promise.all(range(0, 4).map((i) => runtime.send('account', `a-${i}`, open(i))));
    expect(runtime.metrics().liveActors).toBe(5);
    // a-0 has a command in flight the whole time the clock moves (durability needs the event loop).
    const busy = runtime.send('account', 'a-0', deposit(10));
    vi.advanceTimersByTime(1_000);
    expect(runtime.metrics().passivations, 'idle exactly idleTimeoutMs is not idle for longer').toBe(0);
    vi.advanceTimersByTime(4_000);
    expect(runtime.metrics()).toMatchObject({ liveActors: 1, passivations: 4 });
    expect((await busy).version).toBe(2);
    vi.advanceTimersByTime(1_000);
    expect(runtime.metrics()).toMatchObject({ liveActors: 0, passivations: 5 });
    const rehydrations = runtime.metrics().rehydrations;
    for (const i of range(0, 4)) {
      expect(await runtime.state('account', `a-${i}`)).toEqual({
        value: 'open', context: { balance: i === 0 ? 10 : i, owner: 'ann' }, version: i === 0 ? 2 : 1,
      });
    }
    expect(runtime.metrics().rehydrations).toBe(rehydrations + 5);
    expect((await runtime.send('account', 'a-3', deposit(1))).version).toBe(2);
  });

  it('maxActiveActors is a hard cap: a burst past it is refused at once, and every aggregate stays correct', async () => {
    const runtime = await accounts({ maxActiveActors: 10 });
    const ids = range(0, 99).map((i) => `acc-${i}`);
    const expected = new Map(ids.map((id, i) => [id, i]));
    // A burst to 100 aggregates at once: the first 10 take every slot and stay busy until durable.
    const burst = await Promise.allSettled(ids.map((id) => runtime.send('account', id, open(expected.get(id)!))));
    expect(burst.slice(0, 10).map((outcome) => outcome.status)).toEqual(Array(10).fill('fulfilled'));
    for (const outcome of burst.slice(10)) {
      expect(outcome).toMatchObject({ status: 'rejected', reason: { name: 'ActorLimitError', code: 'ERR_ACTOR_LIMIT', maxActiveActors: 10 } });
    }
    expect((burst[10] as PromiseRejectedResult).reason.message).toContain('account/acc-10 cannot be loaded: all 10 live actors (maxActiveActors)');
    expect(runtime.metrics()).toMatchObject({ liveActors: 10, headPosition: 10 });
    // Refused means never run: within the cap (one wave at a time) each is opened afresh.
    for (let wave = 1; wave < 10; wave++) {
      const slice = ids.slice(wave * 10, wave * 10 + 10);
      const opened = await Promise.all(slice.map((id) => runtime.send('account', id, open(expected.get(id)!))));
      expect(opened.map((r) => r.version)).toEqual(Array(10).fill(1));
      expect(runtime.metrics().liveActors).toBeLessThanOrEqual(10);
    }
    // Waves of 10 concurrent commands: every one of them needs its actor rehydrated.
    for (let round = 0; round < 3; round++) {
      for (let wave = 0; wave < 10; wave++) {
        const slice = ids.slice(wave * 10, wave * 10 + 10);
        await Promise.all(slice.map((id, k) => runtime.send('account', id, (k + round) % 3 === 0 ? withdraw(1) : deposit(2)).then(
          () => expected.set(id, expected.get(id)! + ((k + round) % 3 === 0 ? -1 : 2)),
          (error: Error) => expect(error.message).toBe('insufficient funds'),
        )));
        expect(runtime.metrics().liveActors).toBeLessThanOrEqual(10);
      }
    }
    for (const id of ids) {
      const state = await runtime.state('account', id);
      expect(state.context, id).toMatchObject({ balance: expected.get(id) });
      const events = [...runtime.readStream('account', id)];
      expect(state.version).toBe(events.length);
      expect(foldAccount(events).balance).toBe(expected.get(id));
      expect(runtime.metrics().liveActors).toBeLessThanOrEqual(10);
    }
    const metrics = runtime.metrics();
    expect(metrics.passivations).toBeGreaterThanOrEqual(250);
    expect(metrics.rehydrations).toBeGreaterThanOrEqual(400);
  });

  it('passivates the least recently used idle actor first (maxActiveActors)', async () => {
    const runtime = await accounts({ maxActiveActors: 3 });
    for (const id of ['a', 'b', 'c']) await runtime.send('account', id, open(1));
    await runtime.state('account', 'a');
    await runtime.send('account', 'd', open(1));
    // b was the least recently used: gone. a, c and d are live: reading them rehydrates nothing.
    const rehydrations = runtime.metrics().rehydrations;
    for (const id of ['d', 'a', 'c']) await runtime.state('account', id);
    expect(runtime.metrics().rehydrations).toBe(rehydrations);
    await runtime.state('account', 'b');
    expect(runtime.metrics().rehydrations).toBe(rehydrations + 1);
  });
});

describe('close', () => {
  it('drains: commands sent just before close are all acknowledged and durable after reopen', async () => {
    const path = harness.dir();
    const runtime = await harness.open({ path, aggregates: [account] });
    await Promise.all(range(0, 4).map((i) => runtime.send('account', `a-${i}`, open(0))));
    const sends = range(1, 200).map((i) => runtime.send('account', `a-${i % 5}`, deposit(i)));
    const closing = runtime.close();
    const results = await Promise.all(sends);
    await closing;
    expect(results.map((r) => r.position)).toEqual(range(6, 205));
    const reopened = await harness.open({ path, aggregates: [account] });
    expect(reopened.metrics().headPosition).toBe(205);
    for (let k = 0; k < 5; k++) {
      const sum = range(1, 200).filter((i) => i % 5 === k).reduce((a, b) => a + b, 0);
      expect(await reopened.state('account', `a-${k}`)).toMatchObject({ version: 41, context: { balance: sum } });
    }
  });

  it('is idempotent and waits for commands queued behind a rehydration', async () => {
    const path = harness.dir();
    const first = await harness.open({ path, aggregates: [account] });
    await first.send('account', 'a-1', open(1));
    await harness.close(first);
    const runtime = await harness.open({ path, aggregates: [account] });
    const sends = [runtime.send('account', 'a-1', deposit(1)), runtime.send('account', 'a-1', deposit(2))];
    await Promise.all([runtime.close(), runtime.close()]);
    expect((await Promise.all(sends)).map((r) => r.version)).toEqual([2, 3]);
  });
});

describe("durability: 'async'", () => {
  it('acknowledges at commit; the acknowledged events are there after reopen', async () => {
    const path = harness.dir();
    const runtime = await harness.open({ path, aggregates: [account], durability: 'async' });
    await runtime.send('account', 'a-1', open(1));
    const results = await Promise.all(range(1, 20).map((i) => runtime.send('account', 'a-1', deposit(i))));
    expect(results.map((r) => r.version)).toEqual(range(2, 21));
    await harness.close(runtime);
    const reopened = await harness.open({ path, aggregates: [account] });
    expect(await reopened.state('account', 'a-1')).toMatchObject({ version: 21, context: { balance: 211 } });
  });
});

describe('metrics', () => {
  it('counts accepted and rejected commands, commits, events, latency and live actors', async () => {
    const runtime = await accounts();
    const zero = runtime.metrics();
    expect(zero).toMatchObject({
      liveActors: 0, queuedCommands: 0, commandsAccepted: 0, commandsRejected: 0, commits: 0, eventsCommitted: 0,
      latency: { count: 0 }, rehydrations: 0, passivations: 0, snapshotsWritten: 0, snapshotsFailed: 0, headPosition: 0,
    });
    await runtime.send('account', 'a-1', open(10));
    await runtime.send('account', 'a-2', open(10));
    const burst = [deposit(1), withdraw(100), { type: 'transferIn', amounts: [1, 2, 3] }, deposit(1)].map((c) => runtime.send('account', 'a-1', c));
    // The refused withdrawal too: its reply waits for the deposit before it to be durable.
    const during = runtime.metrics();
    expect(during.queuedCommands).toBe(4);
    expect(during.maxMailboxDepth).toBe(4);
    await Promise.allSettled(burst);
    const after = runtime.metrics();
    expect(after).toMatchObject({
      liveActors: 2, queuedCommands: 0, maxMailboxDepth: 0, commandsAccepted: 5, commandsRejected: 1,
      eventsCommitted: 7, headPosition: 7, rehydrations: 2,
    });
    expect(after.commits).toBeGreaterThanOrEqual(3);
    expect(after.commits).toBeLessThanOrEqual(5);
    expect(after.meanBatchSize).toBeCloseTo(after.eventsCommitted / after.commits);
    expect(after.maxBatchSize).toBeGreaterThanOrEqual(5);
    expect(after.latency.count).toBe(5);
    expect(after.latency.p50Ms).toBeGreaterThan(0);
    expect(after.latency.p99Ms).toBeGreaterThanOrEqual(after.latency.p50Ms);
    // Percentiles are bucketed (2 significant digits): p99 may round just above the exact max.
    expect(after.latency.maxMs).toBeGreaterThanOrEqual(after.latency.p99Ms * 0.99);
  });
});
